// Package devicediff compares what each device receives for the same scene
// request: the field paths of each body, side by side, and the mini card
// budget (a mini card weighs at most a fraction of its web card). It is pure:
// bffctl compare feeds it bodies fetched over HTTP, the admin QA page bodies
// served in-process, so both report the same differences.
package devicediff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"mosaic/bff/devices"
)

// Devices are compared in the registry's order (bff/devices): the columns
// of every comparison.
func Devices() []string { return devices.Names() }

// Path is a location in a JSON body, one segment per key, with "[]" for
// "any element of an array": cards[].owner.name is
// {"cards", "[]", "owner", "name"}.
type Path []string

func (p Path) String() string {
	var b strings.Builder
	for i, seg := range p {
		if i > 0 && seg != "[]" {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// Fields maps a path (as a string) to the JSON types found there: one body
// may hold several (a null in one card, an object in the next).
type Fields map[string]*Field

// Field is one path of a body and the JSON types seen at it.
type Field struct {
	Path  Path
	Types []string // sorted, distinct
}

// Flatten lists every path in a JSON body (the root itself excluded), with
// array indices collapsed to [] so that every card contributes to the same
// paths.
func Flatten(body []byte) (Fields, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("body is not JSON: data after the first value")
	}
	f := Fields{}
	f.walk(nil, v)
	return f, nil
}

func (f Fields) walk(path Path, v any) {
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

func (f Fields) add(path Path, typ string) {
	key := path.String()
	fd, ok := f[key]
	if !ok {
		fd = &Field{Path: slices.Clone(path)}
		f[key] = fd
	}
	if i, found := slices.BinarySearch(fd.Types, typ); !found {
		fd.Types = slices.Insert(fd.Types, i, typ)
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

// Row is one line of the comparison: a path and what each device has there.
type Row struct {
	Path string
	// Types per device, in the order the bodies were given; nil where the
	// path is absent.
	Types [][]string
	// Differs is set when the path is present on several devices with
	// different JSON types.
	Differs bool
	// Partial is set when the path is present on some of the devices that
	// have a body and absent on others (a device without a body, one that
	// failed, does not count).
	Partial bool
}

// Present reports whether device i has the path.
func (r Row) Present(i int) bool { return r.Types[i] != nil }

// Diff merges each device's fields into rows sorted by path (a parent right
// before its children). A device without fields (nil: it failed) has every
// path absent.
func Diff(byDevice []Fields) []Row {
	paths := map[string]Path{}
	for _, f := range byDevice {
		for key, fd := range f {
			paths[key] = fd.Path
		}
	}
	keys := make([]string, 0, len(paths))
	for key := range paths {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b string) int { return slices.Compare(paths[a], paths[b]) })

	rows := make([]Row, 0, len(keys))
	for _, key := range keys {
		r := Row{Path: key, Types: make([][]string, len(byDevice))}
		var first []string
		for i, f := range byDevice {
			fd, ok := f[key]
			if !ok {
				r.Partial = r.Partial || f != nil
				continue
			}
			r.Types[i] = fd.Types
			if first == nil {
				first = fd.Types
			} else if !slices.Equal(first, fd.Types) {
				r.Differs = true
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// Note explains a row that differs in type: which devices (named by names,
// in the order of the bodies) have which types.
func (r Row) Note(names []string) string {
	if !r.Differs {
		return ""
	}
	var groups []string
	seen := map[string]bool{}
	for i, types := range r.Types {
		if types == nil {
			continue
		}
		typ := strings.Join(types, "|")
		if seen[typ] {
			continue
		}
		seen[typ] = true
		var on []string
		for j := i; j < len(r.Types); j++ {
			if r.Types[j] != nil && strings.Join(r.Types[j], "|") == typ {
				on = append(on, names[j])
			}
		}
		groups = append(groups, typ+" on "+strings.Join(on, ","))
	}
	return "differs: " + strings.Join(groups, "; ")
}
