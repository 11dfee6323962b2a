package report

import "testing"

func TestReadSVG(t *testing.T) {
	doc := `<?xml version="1.0"?><svg><rect fill-opacity="0.8"/><rect/><text>a &amp; b</text><g><rect fill-opacity="1"/></g><text>c</text></svg>`
	c, err := ReadSVG([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if c.Root != "svg" || c.Shaded != 2 || c.Text() != "a & b|c" {
		t.Fatalf("%+v", c)
	}
	for _, bad := range []string{`<svg><rect></svg>`, `<svg><text>a & b</text></svg>`, `<svg>`} {
		if _, err := ReadSVG([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
