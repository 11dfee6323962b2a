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

// ImageURL appends the CDN suffix {url}@{w}w_{h}h[_{q}q].{fmt} to url, after
// Scheme. A url that is empty, or that no client could load, stays empty:
// there is nothing to resize.
func ImageURL(url string, img Image, httpsOnly bool) string {
	url = Scheme(url, httpsOnly)
	if url == "" {
		return ""
	}
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

// Scheme returns url in a form every client can load: http is upgraded to
// https when httpsOnly (the mini-program refuses plain http), a
// protocol-relative //host/... gets https (an API body has no page whose
// scheme it could inherit), and anything but http(s), or with spaces or
// control characters in it, is dropped.
func Scheme(url string, httpsOnly bool) string {
	if strings.ContainsFunc(url, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return ""
	}
	switch {
	case strings.HasPrefix(url, "https://"):
		return url
	case strings.HasPrefix(url, "http://"):
		if httpsOnly {
			return "https://" + url[len("http://"):]
		}
		return url
	case strings.HasPrefix(url, "//"):
		return "https:" + url
	}
	return ""
}
