package qa_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"golang.org/x/net/html"

	"mosaic/bff/admin/qa"
	"mosaic/bff/apitest"
	"mosaic/bff/openapi"
	"mosaic/bff/problem"
	"mosaic/dto"
	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

func loadSpec(t *testing.T) *openapi.Spec {
	t.Helper()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// admin is the page mounted as the admin listener mounts it.
func admin(t *testing.T, public http.Handler) http.Handler {
	t.Helper()
	r := chi.NewRouter()
	qa.New(public, loadSpec(t)).Routes(r)
	return r
}

// get requests target from a loopback peer, as an operator on the machine.
func get(h http.Handler, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// node helpers over the parsed page.

func parse(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// all returns the elements under n named tag that pass keep.
func all(n *html.Node, tag string, keep func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && d.Data == tag && (keep == nil || keep(d)) {
			out = append(out, d)
		}
	}
	return out
}

func byID(t *testing.T, doc *html.Node, tag, id string) *html.Node {
	t.Helper()
	found := all(doc, tag, func(n *html.Node) bool { return attr(n, "id") == id })
	if len(found) != 1 {
		t.Fatalf("%d <%s id=%q> on the page", len(found), tag, id)
	}
	return found[0]
}

func texts(nodes []*html.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, text(n))
	}
	return out
}

// The feed on 2g, compared over the real public handler and the mock
// downstreams: four device columns, highlighted differences, each payload's
// bytes as the raw link serves them, and the mini/web ratio of those bytes.
func TestCompareFeed(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	h := admin(t, srv.Handler)
	rec := get(h, "/debug/compare?path=/v1/feed&network=2g&lang=en&user=42&ps=8")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); csp != "default-src 'self'" {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	doc := parse(t, rec.Body.String())
	table := byID(t, doc, "table", "field-table")
	heads := texts(all(table, "th", func(n *html.Node) bool { return hasClass(n, "device") }))
	if want := []string{"app", "pad", "web", "mini"}; !slices.Equal(heads, want) {
		t.Errorf("device columns %q, want %q", heads, want)
	}
	rows := all(table, "tr", func(n *html.Node) bool { return n.Parent.Data == "tbody" })
	if len(rows) < 20 {
		t.Fatalf("%d field rows", len(rows))
	}
	highlighted := all(table, "td", func(n *html.Node) bool { return hasClass(n, "diff") })
	if len(highlighted) == 0 {
		t.Error("no highlighted difference")
	}
	// The app's counts are objects (display string and number) where the
	// web's are numbers; the mini card has a flat view string instead, and
	// no desc.
	for path, want := range map[string][]string{
		"cards[].desc":       {"—", "string", "string", "—"},
		"cards[].aid":        {"number", "number", "number", "number"},
		"cards[].stats.view": {"object", "object", "number", "—"},
		"cards[].view":       {"—", "—", "—", "string"},
	} {
		var row *html.Node
		for _, r := range rows {
			if text(r.FirstChild) == path {
				row = r
			}
		}
		if row == nil {
			t.Errorf("no row for %s", path)
			continue
		}
		cells := all(row, "td", nil)[1:5]
		if got := texts(cells); !slices.Equal(got, want) {
			t.Errorf("%s: cells %q, want %q", path, got, want)
		}
		differs := !slices.Equal(want, []string{want[0], want[0], want[0], want[0]})
		if hasClass(row, "differs") != differs || hasClass(cells[0], "diff") != differs {
			t.Errorf("%s: row class %q, first cell class %q; want highlighted %v", path, attr(row, "class"), attr(cells[0], "class"), differs)
		}
	}

	// Bytes per device are what the raw links serve, and the ratio is
	// mini over web.
	bytes := map[string]int{}
	for _, td := range all(doc, "td", func(n *html.Node) bool { return hasClass(n, "bytes") }) {
		n, err := strconv.Atoi(text(td))
		if err != nil || n < 100 {
			t.Errorf("%s bytes %q", attr(td, "data-device"), text(td))
		}
		bytes[attr(td, "data-device")] = n
	}
	links := all(doc, "a", func(n *html.Node) bool { return hasClass(n, "raw") })
	if len(links) != 4 {
		t.Fatalf("%d raw links", len(links))
	}
	for _, a := range links {
		dev := attr(a, "data-device")
		raw := get(h, attr(a, "href"))
		var v map[string]any
		if raw.Code != http.StatusOK || raw.Header().Get("Content-Type") != "application/json" || json.Unmarshal(raw.Body.Bytes(), &v) != nil {
			t.Errorf("%s raw: %d %q %.100s", dev, raw.Code, raw.Header().Get("Content-Type"), raw.Body)
		}
		if raw.Body.Len() != bytes[dev] {
			t.Errorf("%s: raw body %d bytes, page says %d", dev, raw.Body.Len(), bytes[dev])
		}
		if _, ok := v["cards"]; !ok {
			t.Errorf("%s raw body has no cards", dev)
		}
	}
	wantRatio := fmt.Sprintf("%.2f", float64(bytes["mini"])/float64(bytes["web"]))
	if got := text(byID(t, doc, "dd", "ratio")); got != wantRatio {
		t.Errorf("mini/web ratio %q, want %q", got, wantRatio)
	}
	if got := text(byID(t, doc, "dd", "budget")); !strings.Contains(got, "(budget 0.40)") || !strings.HasSuffix(got, ": ok") {
		t.Errorf("budget %q", got)
	}
	// Two cards are weighed, not held to the budget.
	few := parse(t, get(h, "/debug/compare?path=/v1/feed&network=2g&lang=en&user=42&ps=2").Body.String())
	if got := text(byID(t, few, "dd", "budget")); !strings.HasSuffix(got, "not held to the budget, fewer than 3 cards") {
		t.Errorf("budget of two cards %q, want it weighed and not held to the budget", got)
	}
}

// fakePublic answers each device with a canned response and records what
// it was sent.
type fakePublic struct {
	mu   sync.Mutex
	seen map[string]*http.Request
	body map[string]string // by device; absent: 503
}

func (f *fakePublic) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dev := strings.Split(r.URL.Path, "/")[1]
	f.mu.Lock()
	f.seen[dev] = r
	f.mu.Unlock()
	body, ok := f.body[dev]
	if !ok {
		problem.Write(w, problemUnavailable())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

func newFake(bodies map[string]string) *fakePublic {
	return &fakePublic{seen: map[string]*http.Request{}, body: bodies}
}

// Only the rows that differ among the devices that answered are
// highlighted: a type difference marks the present cells, a path one
// device lacks marks its absent cell too, and a device without a body
// colors nothing.
func TestCompareHighlightsDifferences(t *testing.T) {
	fake := newFake(map[string]string{
		"app":  `{"same":1,"typed":1,"nested":{"x":true}}`,
		"web":  `{"same":2,"typed":"1","nested":{"x":false}}`,
		"mini": `{"same":3,"typed":1}`,
	}) // pad: 503
	rec := get(admin(t, fake), "/debug/compare?path=/v1/feed")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	table := byID(t, parse(t, rec.Body.String()), "table", "field-table")
	got := map[string]string{}
	for _, row := range all(table, "tr", func(n *html.Node) bool { return n.Parent.Data == "tbody" }) {
		var cells []string
		for _, td := range all(row, "td", nil)[1:5] {
			cells = append(cells, attr(td, "class"))
		}
		got[text(row.FirstChild)] = attr(row, "class") + " | " + strings.Join(cells, ", ")
	}
	want := map[string]string{
		"same":     " | present, failed, present, present",
		"typed":    "differs | present diff, failed, present diff, present diff",
		"nested":   "differs | present diff, failed, present diff, absent diff",
		"nested.x": "differs | present diff, failed, present diff, absent diff",
	}
	if len(got) != len(want) {
		t.Errorf("rows %q", got)
	}
	for path, w := range want {
		if got[path] != w {
			t.Errorf("%s: %q, want %q", path, got[path], w)
		}
	}
	if !strings.Contains(rec.Body.String(), "differs: number on app,mini; string on web") {
		t.Error("no note naming which devices type typed how")
	}
	if !strings.Contains(rec.Body.String(), "only on app,web") {
		t.Error("no note naming where nested is present")
	}
	fake.body["mini"] = `{"same":3}`
	rec = get(admin(t, fake), "/debug/compare?path=/v1/feed")
	if !strings.Contains(rec.Body.String(), "differs: number on app; string on web; absent on mini") {
		t.Error("no note naming types and absence together")
	}
}

// Every device gets the same request: the page's parameters become the
// headers and query a client would send, from the caller's address, so the
// public handler's trust decides about X-User-Id as for anyone.
func TestCompareSendsTheRequestToEveryDevice(t *testing.T) {
	fake := newFake(map[string]string{"app": `{}`, "pad": `{}`, "web": `{}`, "mini": `{}`})
	rec := get(admin(t, fake), "/debug/compare?path=/v1/users/5&network=3G&lang=zh-CN&user=42&build=7999999&ps=3&page=2")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if len(fake.seen) != 4 {
		t.Fatalf("devices served: %v", fake.seen)
	}
	for dev, r := range fake.seen {
		if r.URL.Path != "/"+dev+"/v1/users/5" || r.URL.Query().Get("ps") != "3" || r.URL.Query().Get("page") != "2" {
			t.Errorf("%s: %s", dev, r.URL)
		}
		for name, want := range map[string]string{"X-User-Id": "42", "X-Network": "3g", "Accept-Language": "zh-CN", "X-Client-Build": "7999999"} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("%s: %s %q, want %q", dev, name, got, want)
			}
		}
		if r.RemoteAddr != "127.0.0.1:40000" {
			t.Errorf("%s: from %q, want the caller's address", dev, r.RemoteAddr)
		}
	}
}

// A page size past int64 is one the scene routes clamp to the device's
// largest, so the page passes it on rather than refusing what they answer.
func TestComparePassesOnAPageSizeTheRoutesClamp(t *testing.T) {
	const huge = "99999999999999999999"
	fake := newFake(map[string]string{"app": `{}`, "pad": `{}`, "web": `{}`, "mini": `{}`})
	rec := get(admin(t, fake), "/debug/compare?path=/v1/feed&ps="+huge+"&page="+huge)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	for dev, r := range fake.seen {
		if q := r.URL.Query(); q.Get("ps") != huge || q.Get("page") != huge {
			t.Errorf("%s: %s", dev, r.URL)
		}
	}
}

// lang is sent as Accept-Language, so it takes what a browser sends: a
// weighted list.
func TestComparePassesOnALanguageList(t *testing.T) {
	const list = "en-US,zh;q=0.9"
	fake := newFake(map[string]string{"app": `{}`, "pad": `{}`, "web": `{}`, "mini": `{}`})
	rec := get(admin(t, fake), "/debug/compare?path=/v1/feed&lang="+url.QueryEscape(list))
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	for dev, r := range fake.seen {
		if got := r.Header.Get("Accept-Language"); got != list {
			t.Errorf("%s: Accept-Language %q, want %q", dev, got, list)
		}
	}
}

func TestCompareRejectsBadInput(t *testing.T) {
	h := admin(t, newFake(nil))
	for _, tc := range []struct{ query, param string }{
		{"", "path"},
		{"path=v1/feed", "path"},
		{"path=/web/v1/feed", "path"},
		{"path=/v1/nope", "path"},
		{"path=/v1/feed/extra", "path"},
		{"path=/v1/videos/", "path"},
		{"path=" + url.QueryEscape("/v1/feed?ps=5"), "path"},
		{"path=/v1/feed&network=3.5g", "network"},
		{"path=/v1/feed&lang=" + url.QueryEscape("not a tag!"), "lang"},
		{"path=/v1/feed&user=abc", "user"},
		{"path=/v1/feed&user=-1", "user"},
		{"path=/v1/feed&build=0", "build"},
		{"path=/v1/feed&ps=0", "ps"},
		{"path=/v1/feed&page=x", "page"},
		{"path=/v1/feed&pth=/v1/feed", "pth"},
		{"path=/v1/feed&device=web", "device"},
		{"path=/v1/feed&ps=1&ps=2", "ps"},
		{"path=/v1/feed&page=%ZZ", "page"}, // url.Values drops what does not decode
		{"path=/v1/feed&lang=%ZZ", "lang"},
		{"path=/v1/feed&%ZZ=1", "query"},
		{"path=/v1/feed;x", "query"},
	} {
		rec := get(h, "/debug/compare?"+tc.query)
		var p struct {
			Status int
			Param  string
			Detail string
		}
		if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != problem.ContentType || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
			t.Errorf("?%s: %d %q %s", tc.query, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			continue
		}
		if p.Param != tc.param || p.Detail == "" {
			t.Errorf("?%s: param %q detail %q, want param %q", tc.query, p.Param, p.Detail, tc.param)
		}
	}
	for _, tc := range []struct{ query, param string }{
		{"path=/v1/feed", "device"},
		{"path=/v1/feed&device=tv", "device"},
		{"device=web", "path"},
		{"path=/v1/feed&device=web&network=edge", "network"},
		{"path=/v1/feed&device=web&ps=%ZZ", "ps"},
	} {
		rec := get(h, "/debug/compare/raw?"+tc.query)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"param":"`+tc.param+`"`) {
			t.Errorf("raw ?%s: %d %s", tc.query, rec.Code, rec.Body)
		}
	}
}

// Input every device refuses gets the API's own 400, not a page of four
// identical errors.
func TestCompareRelaysWhatEveryDeviceRefuses(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	rec := get(admin(t, srv.Handler), "/debug/compare?path=/v1/videos/abc")
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != problem.ContentType || !strings.Contains(rec.Body.String(), `"param":"aid"`) ||
		rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("%d %q, Cache-Control %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), rec.Body)
	}
}

// The page loads nothing but its own embedded assets.
func TestPageAssetsAreLocal(t *testing.T) {
	fake := newFake(map[string]string{"app": `{}`, "pad": `{}`, "web": `{}`, "mini": `{}`})
	h := admin(t, fake)
	doc := parse(t, get(h, "/debug/compare?path=/v1/feed").Body.String())
	var assets int
	for _, tag := range []string{"link", "script", "a", "form", "img"} {
		for _, n := range all(doc, tag, nil) {
			ref := attr(n, "href") + attr(n, "src") + attr(n, "action")
			if !strings.HasPrefix(ref, "/debug/compare") {
				t.Errorf("<%s> refers to %q, off this page", tag, ref)
			}
			if tag == "link" || tag == "script" {
				assets++
				rec := get(h, ref)
				if rec.Code != http.StatusOK || rec.Body.Len() < 100 {
					t.Errorf("%s: %d, %d bytes", ref, rec.Code, rec.Body.Len())
				}
			}
		}
	}
	if assets != 3 {
		t.Errorf("%d icons, stylesheets and scripts, want favicon.svg, qa.css and qa.js", assets)
	}
}

func problemUnavailable() dto.Problem {
	return dto.Problem{Status: http.StatusServiceUnavailable, Detail: "down", Section: "feed"}
}
