// Package qa is the QA page of the admin listener: one scene request served
// to the four devices side by side. It sends the request through the public
// handler in-process (no network, no port: what the devices would receive
// from this very instance) and shows which field paths each device gets,
// with the differences highlighted, the bytes each payload weighs, the
// mini/web ratio and the mini card budget, and links to each raw body.
// It shares the comparison with bffctl compare (package devicediff).
package qa

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/devicediff"
	"mosaic/bff/openapi"
	"mosaic/bff/problem"
	"mosaic/dto"
)

// Where the page and its parts are mounted on the admin listener.
const (
	comparePath = "/debug/compare"
	rawPath     = comparePath + "/raw"
	assetsPath  = comparePath + "/assets/"
)

//go:embed assets
var assets embed.FS

// Page serves the comparison, the raw bodies and the page's own CSS and JS.
type Page struct {
	public http.Handler
	spec   *openapi.Spec
	tmpl   *template.Template
	files  fs.FS // the assets
	static http.Handler
}

// New returns the QA page over public, the public listener's handler, whose
// answers it checks against spec.
func New(public http.Handler, spec *openapi.Spec) *Page {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the directory is embedded above: cannot be missing
	}
	return &Page{
		public: public,
		spec:   spec,
		tmpl:   template.Must(template.ParseFS(sub, "compare.html")),
		files:  sub,
		static: http.StripPrefix(assetsPath, http.FileServerFS(sub)),
	}
}

// Routes adds the page, the raw bodies and the assets to r.
func (p *Page) Routes(r chi.Router) {
	r.Get(comparePath, p.compare)
	r.Get(rawPath, p.raw)
	r.Get(assetsPath+"*", p.asset)
}

// asset serves one file of the assets. Anything else is the listener's
// problem 404, not the file server's plain text or its listing of the
// directory.
func (p *Page) asset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "*")
	if fi, err := fs.Stat(p.files, name); err != nil || !fi.Mode().IsRegular() {
		problem.NotFound(w, "no asset "+r.URL.EscapedPath())
		return
	}
	p.static.ServeHTTP(w, r)
}

// known reports whether path (without the device) is a GET operation of the
// spec for at least one device.
func (p *Page) known(path string) bool {
	for template, item := range p.spec.Doc.Paths.Map() {
		if item.Get == nil {
			continue
		}
		for _, dev := range devicediff.Devices() {
			if matches(template, "/"+dev+path) {
				return true
			}
		}
	}
	return false
}

// matches reports whether path fits a spec path template, where each
// {param} stands for one non-empty segment.
func matches(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, seg := range ts {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if ps[i] == "" {
				return false
			}
		} else if seg != ps[i] {
			return false
		}
	}
	return true
}

func (p *Page) compare(w http.ResponseWriter, r *http.Request) {
	var q query
	v, err := pageQuery(r)
	if err == nil {
		q, err = parseQuery(v, p.known)
	}
	if err != nil {
		badRequest(w, err)
		return
	}
	results := serveAll(r.Context(), p.public, p.spec, q, r.RemoteAddr)
	if refused := allRefused(results); refused != nil {
		// Every device refused the input (an aid that is no number, a user
		// that does not exist): the page passes the API's own verdict on
		// rather than four columns of the same error.
		w.Header().Set("Content-Type", refused.header.Get("Content-Type"))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(refused.status)
		w.Write(refused.body)
		return
	}
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, newView(q, r.RemoteAddr, results)); err != nil {
		problem.Write(w, dto.Problem{Status: http.StatusInternalServerError, Detail: "rendering the page: " + err.Error()})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Nothing but this listener's own assets: the page works offline and a
	// stray external URL would show as a blocked load.
	h.Set("Content-Security-Policy", "default-src 'self'")
	w.Write(buf.Bytes())
}

// raw answers what the public handler answered one device, as it was.
func (p *Page) raw(w http.ResponseWriter, r *http.Request) {
	v, err := pageQuery(r)
	var q query
	if err == nil {
		q, err = parseQuery(v, p.known, "device")
	}
	if err != nil {
		badRequest(w, err)
		return
	}
	dev := v.Get("device")
	if !slices.Contains(devicediff.Devices(), dev) {
		badRequest(w, badInput("device", "must be one of %s, got %q", strings.Join(devicediff.Devices(), ", "), problem.Clip(dev)))
		return
	}
	ctx, cancel := fresh(r.Context())
	defer cancel()
	res := serve(ctx, p.public, p.spec, q, dev, r.RemoteAddr)
	w.Header().Set("Content-Type", res.header.Get("Content-Type"))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(res.status)
	w.Write(res.body)
}

// allRefused returns a device's answer when every device answered a client
// error: the first 400 (it names the parameter), else the first answer.
func allRefused(results []result) *result {
	for _, r := range results {
		if r.status < 400 || r.status >= 500 {
			return nil
		}
	}
	for i, r := range results {
		if r.status == http.StatusBadRequest {
			return &results[i]
		}
	}
	return &results[0]
}

func badRequest(w http.ResponseWriter, err error) {
	var in *inputError
	if errors.As(err, &in) {
		problem.BadParam(w, in.param, in.detail)
		return
	}
	problem.BadParam(w, "", err.Error())
}
