package device

import (
	"strconv"
	"time"
)

// Display formats a count for people: 1.2万 / 3.4亿 in Chinese, 1.2K / 3.4M /
// 5.6B otherwise. It truncates rather than rounds, so a number never shows
// as the next unit up (99999 is 9.9万, not 10.0万).
func Display(n int64, lang Lang) string {
	// The magnitude as uint64: -n overflows for the most negative int64,
	// which only a faulty downstream sends, and which shows all the same.
	mag := uint64(n)
	if n < 0 {
		mag = -mag
	}
	var s string
	if lang == Chinese {
		s = scaled(mag, []unit{{1e8, "亿"}, {1e4, "万"}})
	} else {
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

// Truncate keeps the first n runes of s, never splitting a rune.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// RFC3339 formats unix seconds as an RFC 3339 time in UTC, so a body does
// not depend on the server's time zone.
func RFC3339(unix int64) string {
	return time.Unix(unix, 0).UTC().Format(time.RFC3339)
}
