package device

import (
	"strconv"
	"strings"
)

// Image is one rendition the CDN can produce.
type Image struct {
	W, H int
	// Q is the quality percentage; 0 keeps the CDN's default.
	Q      int
	Format string
}

// Covers is a device's cover rendition for each network class.
type Covers struct {
	Fast Image // wifi, 5g
	Mid  Image // 4g
	Slow Image // 3g, 2g
}

// For picks the rendition for network n.
func (c Covers) For(n Network) Image {
	switch n {
	case G4:
		return c.Mid
	case G3, G2:
		return c.Slow
	}
	return c.Fast
}

// ImageURL appends the CDN suffix {url}@{w}w_{h}h[_{q}q].{fmt} to url.
// httpsOnly upgrades an http URL, for clients (the mini-program) that refuse
// plain http. An empty url stays empty: there is nothing to resize.
func ImageURL(url string, img Image, httpsOnly bool) string {
	if url == "" {
		return ""
	}
	url = Scheme(url, httpsOnly)
	var b strings.Builder
	b.Grow(len(url) + 24)
	b.WriteString(url)
	b.WriteByte('@')
	b.WriteString(strconv.Itoa(img.W))
	b.WriteString("w_")
	b.WriteString(strconv.Itoa(img.H))
	b.WriteByte('h')
	if img.Q > 0 {
		b.WriteByte('_')
		b.WriteString(strconv.Itoa(img.Q))
		b.WriteByte('q')
	}
	b.WriteByte('.')
	b.WriteString(img.Format)
	return b.String()
}

// Scheme upgrades an http:// URL to https:// when httpsOnly is set.
func Scheme(url string, httpsOnly bool) string {
	if httpsOnly {
		if rest, ok := strings.CutPrefix(url, "http://"); ok {
			return "https://" + rest
		}
	}
	return url
}
