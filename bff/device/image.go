package device

import (
	"strconv"
	"strings"

	"mosaic/dto"
)

// Image is one rendition the CDN can produce.
type Image struct {
	W, H int
	// Q is the quality percentage; 0 keeps the CDN's default.
	Q      int
	Format string
}

// Cover is a w×h rendition in format, at the CDN's default quality.
func Cover(w, h int, format string) Image { return Image{W: w, H: h, Format: format} }

// AtQuality is img at q percent quality, for slow networks.
func (img Image) AtQuality(q int) Image {
	img.Q = q
	return img
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

// ImageURL is the CDN rendition {url}@{w}w_{h}h[_{q}q].{fmt} of url, made
// safe by dto.SafeURL (https only). The suffix names a file, so it ends the
// path: a query stays after it, a fragment (which never reaches the CDN) is
// dropped, and a rendition suffix url already has is replaced, not
// stacked. The check runs on the whole rendition, suffix included: a
// cover with no path, https://host, would otherwise turn into
// https://host@640w_360h.webp, a URL whose host is the suffix. A url that
// is empty, or that no client could load, gives the zero URL: there is
// nothing to resize.
func ImageURL(url string, img Image) dto.URL {
	if url == "" {
		return dto.URL{}
	}
	path, query := url, ""
	if i := strings.IndexAny(url, "?#"); i >= 0 {
		path = url[:i]
		if url[i] == '?' {
			query, _, _ = strings.Cut(url[i:], "#")
		}
	}
	if at := strings.LastIndexByte(path, '@'); at > strings.LastIndexByte(path, '/') && isRendition(path[at+1:]) {
		path = path[:at]
	}
	var b strings.Builder
	b.Grow(len(path) + len(query) + 24)
	b.WriteString(path)
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
	b.WriteString(query)
	return dto.SafeURL(b.String())
}

// isRendition reports whether s is a rendition suffix without its '@',
// {w}w_{h}h[_{q}q].{fmt}, fmt a letter then letters or digits (webp, JPG,
// jp2): an '@' that starts anything else (logo@2x.png) is part of the
// file's name.
func isRendition(s string) bool {
	digits := func(s string) (rest string, ok bool) {
		i := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return s[i:], i > 0
	}
	var ok bool
	if s, ok = digits(s); !ok || !strings.HasPrefix(s, "w_") {
		return false
	}
	if s, ok = digits(s[2:]); !ok || !strings.HasPrefix(s, "h") {
		return false
	}
	s = s[1:]
	if strings.HasPrefix(s, "_") {
		if s, ok = digits(s[1:]); !ok || !strings.HasPrefix(s, "q") {
			return false
		}
		s = s[1:]
	}
	format, ok := strings.CutPrefix(s, ".")
	return ok && format != "" && strings.Trim(format[:1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" &&
		strings.Trim(format, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
}
