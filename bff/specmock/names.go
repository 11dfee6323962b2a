package specmock

import (
	"math/rand/v2"
	"strings"
	"unicode"
)

// epoch anchors generated times (2025-06-01T00:00:00Z): a fixed instant,
// not the clock, so that the same seed gives the same bytes on any day.
const epoch = 1_748_736_000

// timeSpan is how far before the epoch generated times go.
const timeSpan = 365 * 24 * 3600

// tokens splits a field name into lower-case words: "owner_face",
// "ownerFace" and "owner-face" all give [owner face].
func tokens(name string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	prevLower := false
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
		case unicode.IsUpper(r) && prevLower:
			flush()
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	flush()
	return out
}

// has reports whether any of name's words is one of words.
func has(toks []string, words ...string) bool {
	for _, t := range toks {
		for _, w := range words {
			if t == w {
				return true
			}
		}
	}
	return false
}

func last(toks []string) string {
	if len(toks) == 0 {
		return ""
	}
	return toks[len(toks)-1]
}

// intKind is what an integer field holds, by its name.
type intKind int

const (
	intPlain intKind = iota
	intID
	intCount
	intUnixTime
	intDuration
	intPage
	intLevel
)

func intKindOf(name string) intKind {
	toks := tokens(name)
	l := last(toks)
	switch {
	case l == "id" || l == "ids" || (len(l) <= 5 && strings.HasSuffix(l, "id")):
		return intID // id, user_id, aid, mid, rpid
	case has(toks, "at", "time", "ctime", "mtime", "pubdate", "timestamp", "date"):
		return intUnixTime
	case has(toks, "count", "counts", "total", "num", "unread", "view", "views", "like", "likes",
		"reply", "replies", "coin", "share", "favorite", "danmaku", "follower", "followers", "following", "play"):
		return intCount
	case has(toks, "duration", "seconds", "secs"):
		return intDuration
	case has(toks, "page", "ps", "size", "limit", "offset"):
		return intPage
	case has(toks, "level", "rank", "priority"):
		return intLevel
	}
	return intPlain
}

// span is the range a kind of integer is drawn from, and how.
func (k intKind) span() (lo, hi int64, draw func(*rand.Rand, int64, int64) int64) {
	switch k {
	case intID:
		return 1, 999_999, uniform
	case intCount:
		return 0, 99_999_999, logUniform
	case intUnixTime:
		return epoch - timeSpan, epoch, uniform
	case intDuration:
		return 5, 3_600, uniform
	case intPage:
		return 1, 20, uniform
	case intLevel:
		return 0, 6, uniform
	}
	return 0, 1_000, uniform
}

func uniform(rng *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + rng.Int64N(hi-lo+1)
}

// logUniform spreads counts over orders of magnitude, as view and like
// counts are: as many in the tens as in the millions.
func logUniform(rng *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	top := int64(10)
	for range rng.IntN(8) {
		if top > (hi-lo)/10 {
			break
		}
		top *= 10
	}
	return lo + rng.Int64N(min(top, hi-lo+1))
}

// strKind is what a string field holds, by its format or else its name.
type strKind int

const (
	strWords strKind = iota
	strName
	strEmail
	strPhone
	strImage
	strLink
	strTitle
	strText
	strToken
	strDateTime
	strDate
	strUUID
	strIPv4
	strIPv6
	strHost
	strColor
)

func strKindOf(format, name string) strKind {
	switch format {
	case "date-time":
		return strDateTime
	case "date":
		return strDate
	case "email", "idn-email":
		return strEmail
	case "uuid":
		return strUUID
	case "ipv4":
		return strIPv4
	case "ipv6":
		return strIPv6
	case "hostname", "idn-hostname":
		return strHost
	case "uri", "url", "iri", "uri-reference", "iri-reference":
		if k := strKindByName(tokens(name)); k == strImage {
			return k
		}
		return strLink
	}
	return strKindByName(tokens(name))
}

func strKindByName(toks []string) strKind {
	switch {
	case has(toks, "email", "mail"):
		return strEmail
	case has(toks, "phone", "mobile", "tel"):
		return strPhone
	case has(toks, "face", "avatar", "cover", "image", "img", "icon", "pic", "photo", "thumbnail", "logo"):
		return strImage
	case has(toks, "url", "uri", "link", "href", "homepage", "website"):
		return strLink
	case has(toks, "name", "nickname", "username", "uname", "author"):
		return strName
	case has(toks, "title", "subject", "headline", "summary"):
		return strTitle
	case has(toks, "body", "message", "content", "text", "desc", "description", "sign", "comment", "bio", "reason", "note"):
		return strText
	case has(toks, "id", "token", "key", "hash", "uid"):
		return strToken
	case has(toks, "color", "colour"):
		return strColor
	}
	return strWords
}
