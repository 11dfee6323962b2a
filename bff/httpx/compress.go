package httpx

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// Encodings are the content codings Compress may apply, each of which
// suffixes the ETag of a response it encodes (a strong validator names
// one representation, and the encoded bytes are another one).
var encodings = [...]string{"gzip", "zstd"}

// Compress encodes responses for clients that accept gzip or zstd
// (zstd first when both are equally welcome), when the body is worth it:
// at least gzhttp.DefaultMinSize bytes of a compressible type. Responses
// without a body (304, HEAD) and small ones (problems) pass through
// untouched but for `Vary: Accept-Encoding`, which every response it wraps
// carries so that a cache never hands one coding to a client that asked for
// another.
func Compress() func(http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.SuffixETag("-gzip"))
	if err != nil {
		// The options are constants: an error here is a programming error,
		// caught by every test that builds a server.
		panic("httpx: gzhttp rejected its options: " + err.Error())
	}
	return func(next http.Handler) http.Handler { return wrap(next) }
}
