// Package docs serves the interactive API reference on the public listener:
// Swagger UI rendering api.openapi.yaml. Its scripts, styles and icons are
// embedded in the binary (github.com/swaggest/swgui's v5emb), so the page
// works offline and behind firewalls: it loads nothing but this server's
// own /docs/ assets and the spec.
package docs

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mosaic/bff/httpx"
	"mosaic/bff/problem"
	"mosaic/dto"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

// Path is where the reference is mounted; its assets live under Path + "/".
const Path = "/docs"

// Handler returns the reference page and its assets for requests under
// Path. specURL is where the browser fetches the OpenAPI document, a path on
// the same listener (the public one serves it at /openapi.yaml).
// It serves GET and HEAD only, and its errors are problems, as every other
// error of the listener is.
func Handler(specURL string) http.Handler {
	ui := swaggerUI(specURL)
	index := indexPage(ui)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			problem.MethodNotAllowed(w, r)
			return
		}
		if r.URL.Path == Path || r.URL.Path == Path+"/" {
			index.ServeHTTP(w, r)
			return
		}
		// The asset server evaluates the conditional headers against its
		// unquoted tag; they are evaluated here, against the quoted one, on
		// the way out. Ranges are not served: an asset is a few hundred KB
		// at most, and If-Range would need the same care.
		qw := &quotedETag{ResponseWriter: w, inm: r.Header.Values("If-None-Match"), im: r.Header.Values("If-Match")}
		r = r.Clone(r.Context())
		for _, k := range []string{"If-None-Match", "If-Match", "If-Range", "Range", "If-Modified-Since", "If-Unmodified-Since"} {
			r.Header.Del(k)
		}
		ui.ServeHTTP(&notFoundProblem{ResponseWriter: qw, path: r.URL.Path}, r)
		qw.finish()
	})
}

// indexPage serves the page ui renders at Path, rendered once (it is the
// same for every request): declared UTF-8, which swgui leaves out, and
// compressed, which its asset server does for its files but not the page.
func indexPage(ui http.Handler) http.Handler {
	var rendered pageWriter
	ui.ServeHTTP(&rendered, &http.Request{Method: http.MethodGet, URL: &url.URL{Path: Path + "/"}, Header: http.Header{}})
	if rendered.code != http.StatusOK {
		// The page is swgui's, built from constants: caught by every test
		// that builds a server.
		panic(fmt.Sprintf("docs: swgui answered %d for its page", rendered.code))
	}
	page := rendered.body.Bytes()
	return httpx.Compress()(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Write(page)
	}))
}

// pageWriter keeps what a handler writes.
type pageWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (p *pageWriter) Header() http.Header {
	if p.header == nil {
		p.header = http.Header{}
	}
	return p.header
}

func (p *pageWriter) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return p.body.Write(b)
}

func (p *pageWriter) WriteHeader(code int) {
	if p.code == 0 {
		p.code = code
	}
}

// quotedETag quotes the asset server's ETag (it sends `Etag: 32rpxkc3`, an
// invalid entity tag that no cache would use) and evaluates the request's
// If-Match (412 when it names another) and If-None-Match (304 when it holds
// this one) against it. The reference is served without Compress: the asset
// server sends its own gzip files, under tags of their own.
type quotedETag struct {
	http.ResponseWriter
	inm, im  []string
	wrote    bool
	dropBody bool
}

func (q *quotedETag) WriteHeader(code int) {
	if q.wrote {
		return
	}
	q.wrote = true
	h := q.ResponseWriter.Header()
	tag := h.Get("Etag")
	if tag != "" && !strings.HasPrefix(tag, `"`) && !strings.HasPrefix(tag, `W/`) {
		tag = `"` + tag + `"`
		h.Set("Etag", tag)
	}
	h.Del("Accept-Ranges")
	switch {
	case code != http.StatusOK || tag == "":
	case len(q.im) > 0 && !httpx.Match(q.im, tag):
		q.dropBody = true
		for _, k := range []string{"Etag", "Content-Encoding", "Last-Modified"} {
			h.Del(k)
		}
		problem.Write(q.ResponseWriter, dto.Problem{Status: http.StatusPreconditionFailed, Param: "If-Match", Detail: "If-Match names no current representation of this asset"})
		return
	case len(q.inm) > 0 && httpx.NoneMatch(q.inm, tag):
		q.dropBody = true
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding"} {
			h.Del(k)
		}
		code = http.StatusNotModified
	}
	q.ResponseWriter.WriteHeader(code)
}

func (q *quotedETag) Write(b []byte) (int, error) {
	q.WriteHeader(http.StatusOK)
	if q.dropBody {
		return len(b), nil
	}
	return q.ResponseWriter.Write(b)
}

// finish sends the header of an answer that wrote none (a HEAD).
func (q *quotedETag) finish() { q.WriteHeader(http.StatusOK) }

// Unwrap lets http.ResponseController reach the connection's writer.
func (q *quotedETag) Unwrap() http.ResponseWriter { return q.ResponseWriter }

func swaggerUI(specURL string) http.Handler {
	return v5emb.NewHandlerWithConfig(swgui.Config{
		Title:       "mosaic API",
		SwaggerJSON: specURL,
		BasePath:    Path + "/",
		SettingsUI: map[string]string{
			// Every operation listed on load, grouped by device tag, so a
			// frontend developer sees the whole API without clicking.
			"docExpansion": `"list"`,
			// Schemas shown: the response shapes are what frontends read
			// the reference for.
			"defaultModelsExpandDepth": "1",
			// Operations filterable by tag (app, pad, web, mini).
			"filter": "true",
		},
	})
}

// notFoundProblem turns the file server's plain-text 404 into a problem.
type notFoundProblem struct {
	http.ResponseWriter
	path     string
	replaced bool // the 404 was answered: drop the file server's body
}

func (n *notFoundProblem) WriteHeader(code int) {
	if code != http.StatusNotFound {
		n.ResponseWriter.WriteHeader(code)
		return
	}
	n.replaced = true
	h := n.ResponseWriter.Header()
	h.Del("X-Content-Type-Options")
	problem.NotFound(n.ResponseWriter, "no file "+n.path+" in the API reference")
}

func (n *notFoundProblem) Write(b []byte) (int, error) {
	if n.replaced {
		return len(b), nil
	}
	return n.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (n *notFoundProblem) Unwrap() http.ResponseWriter { return n.ResponseWriter }
