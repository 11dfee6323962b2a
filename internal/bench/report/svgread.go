package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SVGContent is what a chart drew, as its tests check it: the root
// element, the shaded rects (bars and legend swatches: those with a
// fill-opacity) and the text.
type SVGContent struct {
	Root   string
	Shaded int
	Texts  []string
}

// Text is every piece of text, joined by "|".
func (c SVGContent) Text() string { return strings.Join(c.Texts, "|") }

// ReadSVG reads a chart, failing if it is not well-formed XML.
func ReadSVG(doc []byte) (SVGContent, error) {
	var c SVGContent
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return c, fmt.Errorf("SVG is not well-formed: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if c.Root == "" {
				c.Root = tok.Name.Local
			}
			if tok.Name.Local == "rect" && hasAttr(tok, "fill-opacity") {
				c.Shaded++
			}
		case xml.CharData:
			c.Texts = append(c.Texts, string(tok))
		}
	}
}

func hasAttr(e xml.StartElement, name string) bool {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return true
		}
	}
	return false
}
