package httpx

import (
	"context"
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// Compress encodes responses for clients that accept gzip or zstd
// (zstd first when both are equally welcome), suffixing the ETag of what it
// encodes ("-gzip", "-zstd": a strong validator names one representation,
// and the encoded bytes are another one), when the body is worth it:
// at least gzhttp.DefaultMinSize bytes of a compressible type. Responses
// without a body (304, HEAD) and small ones (problems) pass through
// untouched but for `Vary: Accept-Encoding`, which every response it wraps
// carries so that a cache never hands one coding to a client that asked for
// another.
//
// A conditional request learns, before its handler runs, which coding its
// answer would get (see WritePersonal), so that a 304 carries the ETag of the 200 it
// stands for, and If-Match is held against that tag.
func Compress() func(http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.SuffixETag("-gzip"))
	if err != nil {
		// The options are constants: an error here is a programming error,
		// caught by every test that builds a server.
		panic("httpx: gzhttp rejected its options: " + err.Error())
	}
	// The probe is the smallest body the wrapper encodes, under an empty
	// tag: the tag it comes out with is the suffix of the request's coding.
	zeros := make([]byte, gzhttp.DefaultMinSize) // only ever read
	probe := wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `""`)
		w.Write(zeros)
	}))
	return func(next http.Handler) http.Handler {
		h := wrap(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(r.Header.Values("If-None-Match")) > 0 || len(r.Header.Values("If-Match")) > 0 {
				rec := headerOnly{h: http.Header{}}
				probe.ServeHTTP(&rec, r)
				suffix := strings.Trim(rec.h.Get("ETag"), `"`)
				r = r.WithContext(context.WithValue(r.Context(), suffixKey{}, suffix))
			}
			h.ServeHTTP(w, r)
		})
	}
}

type suffixKey struct{}

// coded is etag as the 200 answering r with a body of n bytes of
// contentType would carry it: suffixed when Compress would encode it.
func coded(r *http.Request, etag, contentType string, n int) string {
	suffix, _ := r.Context().Value(suffixKey{}).(string)
	if suffix == "" || n < gzhttp.DefaultMinSize || !gzhttp.DefaultContentTypeFilter(contentType) {
		return etag
	}
	return etag[:len(etag)-1] + suffix + `"`
}

// headerOnly is a ResponseWriter that keeps the headers and drops the rest.
type headerOnly struct{ h http.Header }

func (w *headerOnly) Header() http.Header         { return w.h }
func (w *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnly) WriteHeader(int)             {}
