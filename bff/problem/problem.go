// Package problem writes RFC 9457 problem details, the only error body
// mosaic sends.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"mosaic/dto"
)

// ContentType is the media type of every error body.
const ContentType = "application/problem+json"

// Write sends p with its status.
func Write(w http.ResponseWriter, p dto.Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	body, _ := json.Marshal(p) // cannot fail: strings and ints only
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	w.Write(body)
}

// BadParam is a 400 naming the input that was wrong.
func BadParam(w http.ResponseWriter, param, detail string) {
	Write(w, dto.Problem{Status: http.StatusBadRequest, Param: param, Detail: detail})
}

// MethodNotAllowed is the 405 of a route served to GET and HEAD only.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	Write(w, dto.Problem{Status: http.StatusMethodNotAllowed, Detail: Clip(r.Method) + " is not served here"})
}

// NotFound is a 404 with detail.
func NotFound(w http.ResponseWriter, detail string) {
	Write(w, dto.Problem{Status: http.StatusNotFound, Detail: detail})
}

// Clip keeps echoed input short: a problem body is no place for 8 KB of
// junk. It cuts between runes, so a clipped value is still UTF-8.
func Clip(s string) string {
	const most = 64
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
