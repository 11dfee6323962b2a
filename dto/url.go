package dto

import (
	"net/netip"
	"strconv"
	"strings"
)

// URL is a link a device may load: https, absolute, with a host and no
// userinfo, in plain RFC 3986 characters. Its only constructor is SafeURL,
// so a body cannot carry a link that skipped the check: the zero URL (no
// link) is the only other value. It encodes as a JSON string; the zero URL
// as "" in a required field, and not at all in an omitzero one.
type URL struct{ s string }

// SafeURL returns raw as a URL every client can load safely, or the zero URL
// when there is none:
//   - http:// is upgraded to https://, and so is protocol-relative //host/...
//     (an API body has no page whose scheme it could inherit); a scheme's case
//     does not matter (HTTP://, HtTpS://);
//   - any other scheme (javascript:, data:, ftp:, file:, ...) is dropped;
//   - so is anything with a character outside RFC 3986: spaces, control and
//     format characters, backslashes, quotes, angle brackets or non-ASCII,
//     which clients and browsers read in ways that differ (a leading space or
//     tab before javascript:, a backslash as a path separator);
//   - and anything without a host (a DNS name or an IP address, with an
//     optional port), or with userinfo (https://cdn.example@evil.example/
//     names evil.example).
func SafeURL(raw string) URL {
	rest, ok := cutScheme(raw)
	if !ok || !rfc3986(rest) {
		return URL{}
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if !authority(rest[:end]) {
		return URL{}
	}
	if strings.HasPrefix(raw, "https://") {
		return URL{s: raw} // the common case: no copy
	}
	return URL{s: "https://" + rest}
}

// authority reports whether a is a host with an optional port and nothing
// else: no userinfo, a DNS name (labels of 1 to 63 letters, digits, '-' or
// '_', no '-' at either end) or IP address, a port from 0 to 65535, which
// is what a browser's URL parser takes.
// (net/url parses more leniently, and allocates on every call.)
func authority(a string) bool {
	host, port := a, ""
	if strings.HasPrefix(a, "[") { // IPv6 literal
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return false
		}
		host, port = a[1:end], a[end+1:]
		if ip, err := netip.ParseAddr(host); err != nil || !ip.Is6() || ip.Zone() != "" {
			return false
		}
	} else {
		if i := strings.IndexByte(a, ':'); i >= 0 {
			host, port = a[:i], a[i:]
		}
		if !HostName(host) {
			return false
		}
	}
	if port == "" {
		return true
	}
	digits := strings.TrimPrefix(port, ":")
	n, err := strconv.ParseUint(digits, 10, 16) // at most 65535
	return len(digits) < len(port) && len(digits) <= 5 && err == nil && strings.Trim(digits, "0123456789") == "" && n <= 65535
}

// HostName reports whether host is a host name as browsers and Host
// headers carry it: at most 253 bytes of dot-separated labels, a final dot
// allowed, each of 1 to 63 letters, digits, '-' or '_', not starting or
// ending with '-'. (IP addresses in brackets are not host names.)
func HostName(host string) bool {
	host = strings.TrimSuffix(host, ".")
	if host == "" || len(host) > 253 {
		return false
	}
	for l := range strings.SplitSeq(host, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return false
		}
	}
	return true
}

// cutScheme returns what follows http://, https:// or // in raw, ignoring
// the scheme's case; ok is false for any other scheme or none.
func cutScheme(raw string) (rest string, ok bool) {
	for _, prefix := range [...]string{"https://", "http://", "//"} {
		if len(raw) >= len(prefix) && strings.EqualFold(raw[:len(prefix)], prefix) {
			return raw[len(prefix):], true
		}
	}
	return "", false
}

// rfc3986 reports whether s is non-empty and made only of the characters a
// URI may hold (unreserved, reserved, and '%' starting a two-digit escape).
func rfc3986(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// String is the URL, "" for the zero URL.
func (u URL) String() string { return u.s }

// IsZero reports whether u is no link at all; omitzero fields leave it out.
func (u URL) IsZero() bool { return u.s == "" }

// MarshalText encodes u as its string.
func (u URL) MarshalText() ([]byte, error) { return []byte(u.s), nil }

// UnmarshalText decodes a URL through SafeURL, so a URL read back from JSON
// (by a test, a tool) holds the same guarantee as one an adapter built.
func (u *URL) UnmarshalText(b []byte) error {
	*u = SafeURL(string(b))
	return nil
}
