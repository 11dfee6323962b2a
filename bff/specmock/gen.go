package specmock

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"

	"mosaic/mocks/dataset"
)

// maxDepth bounds nesting: an optional property deeper than this is left
// out (so recursive schemas end), a required one is an error.
const maxDepth = 12

// defaultMaxExtra is how many items past minItems an array may get when
// the schema sets no maxItems.
const defaultMaxExtra = 5

// gen draws one JSON value for a schema. Every choice comes from rng or
// fake, both seeded from the request, so the same seed gives the same value.
type gen struct {
	rng  *rand.Rand
	fake dataset.Faker
}

// value generates for ref; name is the property (or, for array items, the
// array) it is for, which picks realistic data when the schema's type and
// format leave room.
func (g *gen) value(name string, ref *openapi3.SchemaRef, depth int) (any, error) {
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("%s: no schema", label(name))
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: nested deeper than %d", label(name), maxDepth)
	}
	s := ref.Value
	switch {
	case len(s.Enum) > 0:
		return s.Enum[g.rng.IntN(len(s.Enum))], nil
	case len(s.AllOf) > 0:
		return g.allOf(name, s, depth)
	case len(s.OneOf) > 0:
		return g.value(name, s.OneOf[g.rng.IntN(len(s.OneOf))], depth)
	case len(s.AnyOf) > 0:
		return g.value(name, s.AnyOf[g.rng.IntN(len(s.AnyOf))], depth)
	}
	switch typeOf(s) {
	case openapi3.TypeObject:
		return g.object(s, depth)
	case openapi3.TypeArray:
		return g.array(name, s, depth)
	case openapi3.TypeInteger:
		return g.integer(name, s)
	case openapi3.TypeNumber:
		return g.number(s), nil
	case openapi3.TypeBoolean:
		return g.rng.IntN(2) == 0, nil
	default:
		return g.str(name, s)
	}
}

// typeOf is the schema's type, inferred when it is left out.
func typeOf(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != openapi3.TypeNull {
				return t
			}
		}
	}
	switch {
	case len(s.Properties) > 0:
		return openapi3.TypeObject
	case s.Items != nil:
		return openapi3.TypeArray
	}
	return openapi3.TypeString
}

func label(name string) string {
	if name == "" {
		return "the body"
	}
	return fmt.Sprintf("%q", name)
}

// object fills every required property and, like a real response that
// omits what it does not know, most of the optional ones (all of them when
// minProperties asks for more than the required).
func (g *gen) object(s *openapi3.Schema, depth int) (map[string]any, error) {
	out := make(map[string]any, len(s.Properties))
	all := s.MinProps > uint64(len(s.Required))
	for _, name := range s.Required {
		if _, ok := s.Properties[name]; !ok {
			return nil, fmt.Errorf("required property %q has no schema", name)
		}
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	slices.Sort(names) // map order would make the bytes differ run to run
	for _, name := range names {
		required := slices.Contains(s.Required, name)
		if !required && (depth >= maxDepth || (!all && g.rng.IntN(5) == 0)) {
			continue
		}
		v, err := g.value(name, s.Properties[name], depth+1)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

// allOf merges the objects its parts generate.
func (g *gen) allOf(name string, s *openapi3.Schema, depth int) (map[string]any, error) {
	out := map[string]any{}
	for _, part := range s.AllOf {
		v, err := g.value(name, part, depth)
		if err != nil {
			return nil, err
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: allOf of a non-object is not supported", label(name))
		}
		for k, x := range obj {
			out[k] = x
		}
	}
	return out, nil
}

// array draws its length between minItems and maxItems (minItems+5 when
// unbounded); items are named after the array, so "tags" gets words.
func (g *gen) array(name string, s *openapi3.Schema, depth int) ([]any, error) {
	if s.Items == nil {
		return nil, fmt.Errorf("%s: array without items", label(name))
	}
	lo, hi := s.MinItems, s.MinItems+defaultMaxExtra
	if s.MaxItems != nil {
		hi = *s.MaxItems
	}
	if hi < lo {
		return nil, fmt.Errorf("%s: maxItems below minItems", label(name))
	}
	n := int(lo) + g.rng.IntN(int(hi-lo)+1)
	out := make([]any, 0, n)
	seen := map[string]bool{}
	// uniqueItems: redraw duplicates, a bounded number of times.
	for tries := 0; len(out) < n && tries < 10*n+10; tries++ {
		v, err := g.value(name, s.Items, depth+1)
		if err != nil {
			return nil, err
		}
		if s.UniqueItems {
			key, _ := json.Marshal(v) // generated values always marshal
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
		}
		out = append(out, v)
	}
	if len(out) < int(lo) {
		return nil, fmt.Errorf("%s: cannot draw %d unique items", label(name), lo)
	}
	return out, nil
}

// integer draws in the range the field's name suggests (ids, counts,
// unix times, levels...), kept inside the schema's own bounds.
func (g *gen) integer(name string, s *openapi3.Schema) (int64, error) {
	lo, hi := intBounds(s)
	if lo > hi {
		return 0, fmt.Errorf("%s: no integer within its bounds", label(name))
	}
	wantLo, wantHi, draw := intKindOf(name).span()
	if wantLo < lo || wantLo > hi {
		wantLo = lo
	}
	if wantHi > hi || wantHi < wantLo {
		wantHi = min(hi, wantLo+1000)
	}
	v := draw(g.rng, wantLo, wantHi)
	if s.MultipleOf != nil && *s.MultipleOf >= 1 {
		m := int64(*s.MultipleOf)
		v = v / m * m
		if v < lo {
			v += m
		}
		if v > hi {
			return 0, fmt.Errorf("%s: no multiple of %d within its bounds", label(name), m)
		}
	}
	return v, nil
}

// intBounds is the schema's inclusive integer range, by format when it
// sets no minimum or maximum.
func intBounds(s *openapi3.Schema) (int64, int64) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if s.Format == "int32" {
		lo, hi = math.MinInt32, math.MaxInt32
	}
	if s.Min != nil {
		lo = int64(math.Ceil(*s.Min))
		if s.ExclusiveMin.IsTrue() && float64(lo) == *s.Min {
			lo++
		}
	}
	if s.Max != nil {
		hi = int64(math.Floor(*s.Max))
		if s.ExclusiveMax.IsTrue() && float64(hi) == *s.Max {
			hi--
		}
	}
	return lo, hi
}

// number draws a value with two decimals within the schema's bounds
// (0-1000 when open).
func (g *gen) number(s *openapi3.Schema) float64 {
	lo, hi := 0.0, 1000.0
	if s.Min != nil {
		lo = *s.Min
		if s.Max == nil {
			hi = lo + 1000
		}
	}
	if s.Max != nil {
		hi = *s.Max
		if s.Min == nil {
			lo = hi - 1000
		}
	}
	v := math.Round((lo+g.rng.Float64()*(hi-lo))*100) / 100
	// Rounding may step over an (exclusive) bound: fall back inside.
	if v <= lo || v >= hi {
		v = (lo + hi) / 2
	}
	return v
}
