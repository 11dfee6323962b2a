package device

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Display formats a count for people: 1.2万 / 3.4亿 in Chinese (1.2萬 /
// 3.4億 in traditional), 1.2K / 3.4M / 5.6B otherwise. It truncates rather
// than rounds, so a number never shows as the next unit up (99999 is 9.9万,
// not 10.0万).
func Display(n int64, lang Lang) string {
	// The magnitude as uint64: -n overflows for the most negative int64,
	// which only a faulty downstream sends, and which shows all the same.
	mag := uint64(n)
	if n < 0 {
		mag = -mag
	}
	var s string
	switch lang {
	case Chinese:
		s = scaled(mag, []unit{{1e8, "亿"}, {1e4, "万"}})
	case TraditionalChinese:
		s = scaled(mag, []unit{{1e8, "億"}, {1e4, "萬"}})
	default:
		s = scaled(mag, []unit{{1e9, "B"}, {1e6, "M"}, {1e3, "K"}})
	}
	if n < 0 {
		return "-" + s
	}
	return s
}

type unit struct {
	size   uint64
	suffix string
}

func scaled(n uint64, units []unit) string {
	for _, u := range units {
		if n >= u.size {
			tenths := n / (u.size / 10)
			whole, frac := tenths/10, tenths%10
			if frac == 0 {
				return strconv.FormatUint(whole, 10) + u.suffix
			}
			return strconv.FormatUint(whole, 10) + "." + strconv.FormatUint(frac, 10) + u.suffix
		}
	}
	return strconv.FormatUint(n, 10)
}

// Truncate keeps at most the first n runes of s, cut between user-perceived
// characters (grapheme clusters): a cut inside 👨‍👩‍👧 or 🇨🇳 or é spelt e
// plus an accent would leave a stray person, half a flag or a bare e, so
// the cluster the n-th rune falls in is dropped whole.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	cut, runes := 0, 0
	for cut < len(s) && runes < n {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
		runes++
	}
	if cut == len(s) {
		return s
	}
	// Between two plain characters there is always a boundary, and
	// segmenting costs twenty times the rune count: most cuts need only this.
	before, _ := utf8.DecodeLastRuneInString(s[:cut])
	if after, _ := utf8.DecodeRuneInString(s[cut:]); plain(before) && plain(after) {
		return s[:cut]
	}
	kept, state := 0, -1
	for rest := s; ; {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if kept+len(cluster) > cut {
			return s[:kept]
		}
		kept += len(cluster)
	}
}

// plain reports whether r is a character no grapheme rule joins to its
// neighbour (Unicode's UAX #29): printable ASCII, CJK ideographs, CJK
// punctuation (less the combining tone marks from U+302A) and fullwidth
// ASCII. Emoji, marks, joiners, Hangul and the rest are left to uniseg.
func plain(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0x7e, r >= 0x4e00 && r <= 0x9fff, r >= 0x3000 && r <= 0x3029, r >= 0xff01 && r <= 0xff5e:
		return true
	}
	return false
}

// RFC3339 formats unix seconds as an RFC 3339 time in UTC, so a body does
// not depend on the server's time zone. RFC 3339 has four-digit years: a
// time a downstream put outside them is clamped to the first or last
// second they hold, where Go would write "10000-01-01T00:00:00Z", which
// no client parses.
func RFC3339(unix int64) string {
	const first, last = -62167219200, 253402300799 // 0000-01-01T00:00:00Z, 9999-12-31T23:59:59Z
	return time.Unix(min(max(unix, first), last), 0).UTC().Format(time.RFC3339)
}
