package request

import (
	"strconv"
	"strings"

	"mosaic/bff/device"
)

// displayLang is the display style of the language a reader prefers most,
// by the Accept-Language fields given. Any zh tag (zh, zh-CN, zh-Hant-TW,
// zh-cmn-Hans) is Chinese, as the design's "zh*" has it; a traditional one
// (see traditional) gets the traditional units. The list is read element
// by element: a malformed element (a bad q, an empty tag) is skipped, not
// allowed to throw away the rest, since it costs the reader only their
// number format. A language library would canonicalize zh-cmn-Hans to cmn,
// and refuse the whole list for one bad element.
func displayLang(fields []string) device.Lang {
	best, bestQ := "", 0.0
	for _, field := range fields {
		for el := range strings.SplitSeq(field, ",") {
			tag, params, _ := strings.Cut(el, ";")
			tag = strings.TrimSpace(tag)
			q, ok := weight(params)
			if !ok || tag == "" || tag == "*" || q <= bestQ {
				continue // q=0 is "not acceptable"; a tie goes to the first
			}
			best, bestQ = tag, q
		}
	}
	switch {
	case len(best) < 2 || !strings.EqualFold(best[:2], "zh"):
		return device.English
	case len(best) == 2:
		return device.Chinese
	case best[2] != '-' && best[2] != '_':
		return device.English // zhx is another language
	case traditional(best[3:]):
		return device.TraditionalChinese
	}
	return device.Chinese
}

// traditional reports whether a zh tag's subtags (after "zh-") ask for
// traditional characters: the Hant script, or, with no script given, a
// region that writes them (Taiwan, Hong Kong, Macau) or Cantonese (yue),
// as CLDR's likely subtags have them. zh-Hans-HK is simplified; zh-Hant-CN
// is traditional.
func traditional(subtags string) bool {
	region := false
	for sub := range strings.FieldsFuncSeq(subtags, func(r rune) bool { return r == '-' || r == '_' }) {
		switch strings.ToLower(sub) {
		case "hant":
			return true
		case "hans":
			return false
		case "tw", "hk", "mo", "yue":
			region = true
		}
	}
	return region
}

// weight is the q parameter of one element's parameters (";q=0.5"), 1
// without one; ok is false when it is malformed or outside [0, 1].
func weight(params string) (q float64, ok bool) {
	q = 1
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(name, "q") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || !(v >= 0 && v <= 1) { // NaN too
			return 0, false
		}
		q = v
	}
	return q, true
}
