// Package urlcheck checks that every URL a device receives is https and
// safe: the walk the device tests run over every body they see (every
// scene of every device live and in the goldens, and whatever bodies the
// adapters make of fuzzed input). It is a test helper of its own so that
// the fuzz target, in bff/devices, need not build the server's tests.
package urlcheck

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"mosaic/dto"
)

// urlField reports whether key names a link. Besides today's fields, any
// key that says it holds a URL counts, so a new link field is checked from
// the day it appears.
func urlField(key string) bool {
	switch key {
	case "cover", "face", "owner_face":
		return true
	}
	k := strings.ToLower(key)
	for _, s := range []string{"url", "uri", "link", "href", "face", "cover", "avatar", "image", "icon"} {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// textField reports whether key carries people's words (a title, a reply, a
// display string), which clients show as text and never load: a URL typed
// into a title is not a link. Every other string that looks like a URL must
// be safe as well.
func textField(key string) bool {
	switch key {
	case "title", "desc", "tags", "reason", "name", "owner_name", "member_name", "message", "sign", "official_title":
		return true
	}
	return false
}

func looksLikeURL(s string) bool { return strings.Contains(s, "://") || strings.HasPrefix(s, "//") }

// safeURL checks s independently of dto.SafeURL (and then that SafeURL
// leaves it as is): https, a host, no userinfo, only RFC 3986 characters,
// every % a two-digit escape.
func safeURL(s string) error {
	if !strings.HasPrefix(s, "https://") {
		return fmt.Errorf("not https")
	}
	if err := uriBytes(s); err != nil {
		return err
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Host == "":
		return fmt.Errorf("no host")
	case u.User != nil:
		return fmt.Errorf("userinfo %q", u.User)
	case dto.SafeURL(s).String() != s:
		return fmt.Errorf("dto.SafeURL changes it to %q", dto.SafeURL(s))
	}
	return nil
}

// uriBytes checks that s holds only RFC 3986 characters and every % starts
// a two-digit escape.
func uriBytes(s string) error {
	const hex = "0123456789abcdefABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
		if !ok {
			return fmt.Errorf("byte %q at %d", c, i)
		}
		if c == '%' && (i+2 >= len(s) || strings.IndexByte(hex, s[i+1]) < 0 || strings.IndexByte(hex, s[i+2]) < 0) {
			return fmt.Errorf("bad escape at %d", i)
		}
	}
	return nil
}

// Walk checks every string of decoded JSON bodies, adding up what it found.
type Walk struct {
	URLs  int      // non-empty URL-field values and URL-looking strings checked
	Empty int      // URL fields left empty (no loadable source)
	Bad   []string // path: value: why
}

// Value walks v, a decoded JSON value at path, under key (the key of the
// object member holding it, or of the list that does).
func (w *Walk) Value(path, key string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			w.Value(path+"."+k, k, x)
		}
	case []any:
		for i, x := range v {
			w.Value(fmt.Sprintf("%s[%d]", path, i), key, x)
		}
	case string:
		w.check(path, key, v)
	}
}

func (w *Walk) check(path, key, s string) {
	switch {
	case urlField(key) && s == "":
		w.Empty++
		return
	case urlField(key), !textField(key) && looksLikeURL(s):
		w.URLs++
		if err := safeURL(s); err != nil {
			w.Bad = append(w.Bad, fmt.Sprintf("%s: %q: %v", path, s, err))
		}
	}
}

// Body walks one JSON body and reports each unsafe URL in it as an error
// of t; where says what the body is.
func (w *Walk) Body(t testing.TB, where string, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	before := len(w.Bad)
	w.Value("$", "", v)
	for _, b := range w.Bad[before:] {
		t.Errorf("%s: unsafe URL at %s", where, b)
	}
}
