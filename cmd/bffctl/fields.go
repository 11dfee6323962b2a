package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// devices() are compared in this order: the table's columns and the footer.
func devices() []string { return []string{"app", "pad", "web", "mini"} }

// fieldPath is a location in a JSON body, one segment per key, with "[]" for
// "any element of an array": cards[].owner.name is
// {"cards", "[]", "owner", "name"}.
type fieldPath []string

func (p fieldPath) String() string {
	var b strings.Builder
	for i, seg := range p {
		if i > 0 && seg != "[]" {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// fields maps a path (as a string) to the JSON types found there: one body
// may hold several (a null in one card, an object in the next).
type fields map[string]*field

type field struct {
	path  fieldPath
	types []string // sorted, distinct
}

// flatten lists every path in a JSON body (the root itself excluded), with
// array indices collapsed to [] so that every card contributes to the same
// paths.
func flatten(body []byte) (fields, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("body is not JSON: data after the first value")
	}
	f := fields{}
	f.walk(nil, v)
	return f, nil
}

func (f fields) walk(path fieldPath, v any) {
	if len(path) > 0 {
		f.add(path, jsonType(v))
	}
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			f.walk(append(slices.Clip(path), k), child)
		}
	case []any:
		for _, child := range v {
			f.walk(append(slices.Clip(path), "[]"), child)
		}
	}
}

func (f fields) add(path fieldPath, typ string) {
	key := path.String()
	fd, ok := f[key]
	if !ok {
		fd = &field{path: slices.Clone(path)}
		f[key] = fd
	}
	if i, found := slices.BinarySearch(fd.types, typ); !found {
		fd.types = slices.Insert(fd.types, i, typ)
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	default:
		return "null"
	}
}

// row is one line of the comparison: a path and what each device has there.
type row struct {
	path string
	// types per device, in the order of devices(); nil where the path is
	// absent.
	types [][]string
	// differs is set when the path is present on several devices() with
	// different JSON types.
	differs bool
}

func (r row) present(i int) bool { return r.types[i] != nil }

// diffRows merges each device's fields into rows sorted by path (a parent
// right before its children). A device without fields (it failed) has every
// path absent.
func diffRows(byDevice []fields) []row {
	paths := map[string]fieldPath{}
	for _, f := range byDevice {
		for key, fd := range f {
			paths[key] = fd.path
		}
	}
	keys := make([]string, 0, len(paths))
	for key := range paths {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b string) int { return slices.Compare(paths[a], paths[b]) })

	rows := make([]row, 0, len(keys))
	for _, key := range keys {
		r := row{path: key, types: make([][]string, len(byDevice))}
		var first []string
		for i, f := range byDevice {
			fd, ok := f[key]
			if !ok {
				continue
			}
			r.types[i] = fd.types
			if first == nil {
				first = fd.types
			} else if !slices.Equal(first, fd.types) {
				r.differs = true
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// note explains a row that differs: which devices() have which types.
func (r row) note(names []string) string {
	if !r.differs {
		return ""
	}
	var groups []string
	seen := map[string]bool{}
	for i, types := range r.types {
		if types == nil {
			continue
		}
		typ := strings.Join(types, "|")
		if seen[typ] {
			continue
		}
		seen[typ] = true
		var on []string
		for j := i; j < len(r.types); j++ {
			if r.types[j] != nil && strings.Join(r.types[j], "|") == typ {
				on = append(on, names[j])
			}
		}
		groups = append(groups, typ+" on "+strings.Join(on, ","))
	}
	return "differs: " + strings.Join(groups, "; ")
}
