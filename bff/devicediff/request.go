package devicediff

import (
	"net/http"
	"strings"
)

// Headers are what a comparison may send every device alike, in the order
// Describe lists them: the viewer, and what the devices adapt to.
func Headers() []string {
	return []string{"X-User-Id", "X-Network", "Accept-Language", "X-Client-Build"}
}

// Describe lists the Headers that h sets, as a client sends them:
// "X-User-Id: 42, X-Network: 2g" ("" for none).
func Describe(h http.Header) string {
	var parts []string
	for _, name := range Headers() {
		if v := h.Get(name); v != "" {
			parts = append(parts, name+": "+v)
		}
	}
	return strings.Join(parts, ", ")
}
