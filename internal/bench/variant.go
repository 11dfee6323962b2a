package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Variant is mosaic run with extra flags, one line of the skewed pass: the
// caches on (mosaic's defaults) and off are two variants of one binary.
type Variant struct {
	Name  string   `json:"name"`
	Flags []string `json:"flags,omitempty"` // after the bench's own, so they win
}

// NoCache is the variant with the entity caches off.
const NoCache = "mosaic-nocache"

// DefaultVariants are mosaic with its caches (its defaults) and without.
func DefaultVariants() []Variant {
	return []Variant{{Name: Mosaic}, {Name: NoCache, Flags: []string{"-cache=false"}}}
}

// FormatVariants writes vs as ParseVariants reads them.
func FormatVariants(vs []Variant) string {
	var out []string
	for _, v := range vs {
		s := v.Name
		if len(v.Flags) > 0 {
			s += ":" + strings.Join(v.Flags, " ")
		}
		out = append(out, s)
	}
	return strings.Join(out, ";")
}

// ParseVariants reads "name[:flag flag...];name..." (flags split on
// spaces, so a flag's value holds none: -x=1, not -x 1).
func ParseVariants(s string) ([]Variant, error) {
	var vs []Variant
	for item := range strings.SplitSeq(s, ";") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, flags, _ := strings.Cut(item, ":")
		vs = append(vs, Variant{Name: strings.TrimSpace(name), Flags: strings.Fields(flags)})
	}
	return vs, validVariants(vs)
}

// validVariants: named, each name once and not the reference BFFs', and
// flags that are flags.
func validVariants(vs []Variant) error {
	seen := map[string]bool{}
	for _, v := range vs {
		switch {
		case v.Name == "" || strings.ContainsAny(v.Name, " \t:;,"):
			return fmt.Errorf("-variants: bad name %q", v.Name)
		case v.Name == Floor || v.Name == Naive:
			return fmt.Errorf("-variants: %q names a reference BFF", v.Name)
		case seen[v.Name]:
			return fmt.Errorf("-variants: %q twice", v.Name)
		case slices.ContainsFunc(v.Flags, func(f string) bool { return !strings.HasPrefix(f, "-") }):
			return fmt.Errorf("-variants: %s: every flag starts with -, got %q", v.Name, v.Flags)
		}
		seen[v.Name] = true
	}
	if len(seen) == 0 {
		return errors.New("-variants names no variant")
	}
	return nil
}
