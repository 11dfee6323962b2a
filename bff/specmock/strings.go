package specmock

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// str draws a string by the schema's format, else by the field's name,
// then fits it to minLength/maxLength. A pattern is checked, not
// generated from: a value the heuristics cannot make match is an error,
// which New reports at startup.
func (g *gen) str(name string, s *openapi3.Schema) (string, error) {
	v := g.strOf(strKindOf(s.Format, name))
	if s.Format == "byte" {
		v = base64.StdEncoding.EncodeToString([]byte(v))
	}
	v = g.fit(v, s.MinLength, s.MaxLength)
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return "", fmt.Errorf("%s: pattern: %w", label(name), err)
		}
		if !re.MatchString(v) {
			return "", fmt.Errorf("%s: generated %q does not match its pattern %s", label(name), v, s.Pattern)
		}
	}
	return v, nil
}

func (g *gen) strOf(k strKind) string {
	switch k {
	case strName:
		return g.fake.Name()
	case strEmail:
		return g.fake.Email()
	case strPhone:
		return g.fake.Phone()
	case strTitle:
		return g.fake.Title()
	case strText:
		return g.text()
	case strImage:
		return fmt.Sprintf("https://i%d.hdslb.example/bfs/%s/%016x.jpg", g.rng.IntN(3), g.fake.Word(), g.rng.Uint64())
	case strLink:
		return fmt.Sprintf("https://www.mosaic.example/%s/%d", g.fake.Word(), 1+g.rng.IntN(99_999))
	case strToken:
		return fmt.Sprintf("%016x", g.rng.Uint64())
	case strColor:
		return fmt.Sprintf("#%06x", g.rng.IntN(1<<24))
	}
	return g.formatted(k)
}

func (g *gen) formatted(k strKind) string {
	switch k {
	case strDateTime:
		return time.Unix(uniform(g.rng, epoch-timeSpan, epoch), 0).UTC().Format(time.RFC3339)
	case strDate:
		return time.Unix(uniform(g.rng, epoch-timeSpan, epoch), 0).UTC().Format(time.DateOnly)
	case strUUID:
		hi, lo := g.rng.Uint64(), g.rng.Uint64()
		hi = hi&^0xf000 | 0x4000     // version 4
		lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
		return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
	case strIPv4:
		return fmt.Sprintf("192.0.2.%d", 1+g.rng.IntN(254)) // TEST-NET-1, RFC 5737
	case strIPv6:
		return fmt.Sprintf("2001:db8::%x", 1+g.rng.IntN(0xfffe)) // RFC 3849
	case strHost:
		return strings.ToLower(g.fake.Word()) + ".mosaic.example"
	}
	n := 1 + g.rng.IntN(3)
	w := make([]string, n)
	for i := range w {
		w[i] = g.fake.Word()
	}
	return strings.Join(w, " ")
}

// text is one or two sentences, as a message or description is.
func (g *gen) text() string {
	t := g.fake.Sentence()
	if g.rng.IntN(2) == 0 {
		t += " " + g.fake.Sentence()
	}
	return t
}

// fit pads with words up to minLength and cuts at maxLength, in runes as
// JSON Schema counts them.
func (g *gen) fit(v string, minLen uint64, maxLen *uint64) string {
	for tries := 0; uint64(utf8.RuneCountInString(v)) < minLen && tries < 1000; tries++ {
		v += " " + g.fake.Word()
	}
	for uint64(utf8.RuneCountInString(v)) < minLen {
		v += "x" // faker's words ran dry: only possible for huge minLength
	}
	if maxLen != nil && uint64(utf8.RuneCountInString(v)) > *maxLen {
		r := []rune(v)[:*maxLen]
		v = strings.TrimRight(string(r), " ")
		for uint64(utf8.RuneCountInString(v)) < minLen {
			v += "x"
		}
	}
	return v
}
