package bff

import (
	"fmt"
	"math/rand/v2"
	"net/http"

	"mosaic/bff/problem"
	"mosaic/dto"
	"mosaic/internal/reqid"
)

// maxURI bounds the request line: no scene needs more, a scanner might.
const maxURI = 2048

// limitURI answers 414 to oversized request URIs before any parsing, and
// tells counted (nil: no one).
func limitURI(counted func(*http.Request, int)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(r.RequestURI) > maxURI {
				refuse(w, r, counted, dto.Problem{Status: http.StatusRequestURITooLong, Detail: "the request URI is longer than 2048 bytes"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// refuse answers p, and tells counted of it, where the scene routes'
// answers are counted.
func refuse(w http.ResponseWriter, r *http.Request, counted func(*http.Request, int), p dto.Problem) {
	if counted != nil {
		counted(r, p.Status)
	}
	problem.Write(w, p)
}

// MaxHeaderBytes bounds a request's header fields, all of them together:
// room for the longest cookie a site sets, and for little more. (nginx's
// defaults take 8 KB a line and about 32 KB in all; the gateway takes
// 16 KB lines, so that what reaches a bff is judged here, by one rule.)
// Past it limitHeaders answers 431 as a problem naming the largest field.
// The server's own http.Server.MaxHeaderBytes must be larger: past that,
// Go answers a plain-text 431 itself, before any handler runs.
const MaxHeaderBytes = 16 << 10

// limitHeaders answers 431 to requests whose header fields take more than
// MaxHeaderBytes, counted as on the wire ("Name: value\r\n"), and tells
// counted (nil: no one).
func limitHeaders(counted func(*http.Request, int)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if total, largest, size := headerBytes(r); total > MaxHeaderBytes {
				refuse(w, r, counted, dto.Problem{
					Status: http.StatusRequestHeaderFieldsTooLarge,
					Param:  problem.Clip(largest),
					Detail: fmt.Sprintf("the request's header fields take %d bytes, over the %d allowed; the largest is %s, %d bytes", total, MaxHeaderBytes, problem.Clip(largest), size),
				})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// headerBytes is what r's header fields take on the wire, all together,
// and the name and size of the largest.
func headerBytes(r *http.Request) (total int, largest string, largestSize int) {
	if r.Host != "" { // a header field too, which Go moves out of r.Header
		total, largest, largestSize = len("Host")+len(r.Host)+4, "Host", len("Host")+len(r.Host)+4
	}
	for name, vals := range r.Header {
		size := 0
		for _, v := range vals {
			size += len(name) + len(v) + 4
		}
		total += size
		if size > largestSize {
			largest, largestSize = name, size
		}
	}
	return total, largest, largestSize
}

// requestID echoes a sane X-Request-Id, or makes one, and puts it on the
// context: every log line of the request and every downstream call carry
// it, so a request can be followed through logs on both sides. A repeated
// one is made anew too: which value was meant is unknown, and an id changes
// no answer, so it is not worth refusing the screen for.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if ids := r.Header.Values("X-Request-Id"); len(ids) == 1 {
			id = ids[0]
		}
		if !reqid.Sane(id) {
			// Unique, not secret: math/rand/v2 needs no system call.
			// Sixteen digits always, leading zeros kept.
			id = fmt.Sprintf("%016x", rand.Uint64())
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(reqid.With(r.Context(), id)))
	})
}
