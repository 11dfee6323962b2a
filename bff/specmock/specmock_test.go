package specmock_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/openapi"
	"mosaic/bff/request"
	"mosaic/bff/specmock"
	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

const notifications = "/web/v1/notifications"

func loadSpec(t *testing.T) *openapi.Spec {
	t.Helper()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// gateway trusts httptest's requests (from 192.0.2.1) to assert the viewer.
var gateway = request.Trust{netip.MustParsePrefix("192.0.2.1/32")}

// router is a chi router with the real mosaic layout's shape (a /web
// subrouter) and the spec mocks mounted last, as bff.NewServer does.
func router(t *testing.T, spec *openapi.Spec, seed int64, enabled bool) (chi.Router, []string) {
	t.Helper()
	m, err := specmock.New(spec.Doc, seed, enabled, gateway)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Route("/web", func(r chi.Router) {
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				w.Header().Set("X-Group", "web")
				next.ServeHTTP(w, req)
			})
		})
		r.Get("/v1/feed", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	})
	return r, m.Mount(r)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// get serves path on h and checks the answer against api.openapi.yaml.
func get(t *testing.T, spec *openapi.Spec, h http.Handler, path string, headers ...string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if err := spec.Validate(req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("%v\nbody: %s", err, rec.Body.Bytes())
	}
	return response{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// getTwice is get with header sent twice.
func getTwice(t *testing.T, spec *openapi.Spec, h http.Handler, path, header string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Add(header, "a")
	req.Header.Add(header, "b")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if err := spec.Validate(req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("%v\nbody: %s", err, rec.Body.Bytes())
	}
	return response{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func TestOnlyTheMarkedOperationsAreMocked(t *testing.T) {
	spec := loadSpec(t)
	m, err := specmock.New(spec.Doc, 1, true, request.Loopback())
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Operations(); !slices.Equal(got, []string{"GET " + notifications}) {
		t.Fatalf("marked operations = %v", got)
	}
	_, mounted := router(t, spec, 1, true)
	if !slices.Equal(mounted, []string{"GET " + notifications}) {
		t.Fatalf("mounted = %v", mounted)
	}
}

// Done-when 5: in mock mode the operation answers from its schema, valid
// against it, and the same seed gives the same bytes from another Mocks
// (another process's worth of state); another seed or page gives others.
func TestMockBodyIsValidAndSeeded(t *testing.T) {
	spec := loadSpec(t)
	r1, _ := router(t, spec, 1, true)
	r1again, _ := router(t, spec, 1, true)
	r2, _ := router(t, spec, 2, true)

	first := get(t, spec, r1, notifications)
	if first.status != http.StatusOK || first.header.Get("Content-Type") != "application/json" || first.header.Get(specmock.Header) != "spec" {
		t.Fatalf("%d %v %s", first.status, first.header, first.body)
	}
	if first.header.Get("X-Group") != "web" {
		t.Error("the mock did not run behind the /web group's middleware")
	}
	for _, again := range []response{get(t, spec, r1, notifications), get(t, spec, r1again, notifications)} {
		if string(again.body) != string(first.body) {
			t.Errorf("seed 1 gave different bytes:\n%s\n%s", first.body, again.body)
		}
	}
	if other := get(t, spec, r2, notifications); string(other.body) == string(first.body) {
		t.Error("seed 2 gave the same body as seed 1")
	}
	if page2 := get(t, spec, r1, notifications+"?page=2"); string(page2.body) == string(first.body) {
		t.Error("page 2 gave the same body as page 1")
	}
	// Each viewer its own: the gateway's X-User-Id is part of the request.
	v42, v43 := get(t, spec, r1, notifications, "X-User-Id", "42"), get(t, spec, r1, notifications, "X-User-Id", "43")
	if string(v42.body) == string(v43.body) || string(v42.body) == string(first.body) {
		t.Error("viewers 42, 43 and the anonymous one got the same body")
	}
	if again := get(t, spec, r1, notifications, "X-User-Id", "42"); string(again.body) != string(v42.body) {
		t.Error("viewer 42 got other bytes the second time")
	}
	if twice := getTwice(t, spec, r1, notifications, "X-User-Id"); twice.status != http.StatusBadRequest || !strings.Contains(string(twice.body), `"param":"X-User-Id"`) {
		t.Errorf("X-User-Id twice from the gateway: %d %s, want a 400 naming it", twice.status, twice.body)
	}
}

// The values look like what their fields say, across many pages: every
// kind, https faces, times that parse, titles within maxLength, more
// than one length of list.
func TestMockValuesFitTheirFields(t *testing.T) {
	spec := loadSpec(t)
	r, _ := router(t, spec, 1, true)
	kinds, lengths := map[string]bool{}, map[int]bool{}
	var faces, names int
	for page := range 30 {
		res := get(t, spec, r, notifications+"?page="+strconv.Itoa(page+1))
		var body struct {
			Notifications []struct {
				ID        int64  `json:"id"`
				Kind      string `json:"kind"`
				Title     string `json:"title"`
				CreatedAt string `json:"created_at"`
				Actor     struct {
					Name string `json:"name"`
					Face string `json:"face"`
				} `json:"actor"`
			} `json:"notifications"`
		}
		if err := json.Unmarshal(res.body, &body); err != nil {
			t.Fatal(err)
		}
		lengths[len(body.Notifications)] = true
		for _, n := range body.Notifications {
			kinds[n.Kind] = true
			if n.ID < 1 {
				t.Errorf("id %d", n.ID)
			}
			if _, err := time.Parse(time.RFC3339, n.CreatedAt); err != nil {
				t.Errorf("created_at: %v", err)
			}
			if n.Actor.Face != "" {
				faces++
				if !strings.HasPrefix(n.Actor.Face, "https://") || !strings.HasSuffix(n.Actor.Face, ".jpg") {
					t.Errorf("face %q is not an https image", n.Actor.Face)
				}
			}
			if strings.TrimSpace(n.Actor.Name) != "" && !strings.Contains(n.Actor.Name, "@") {
				names++
			}
		}
	}
	if len(kinds) != 5 {
		t.Errorf("kinds seen: %v, want all five of the enum", kinds)
	}
	if len(lengths) < 5 {
		t.Errorf("list lengths seen: %v; want them drawn from 0..maxItems", lengths)
	}
	if faces == 0 || names == 0 {
		t.Errorf("%d faces, %d names", faces, names)
	}
}

// A page size past int64 is a page size above the largest: clamped, as
// the scene routes clamp it, not refused as no integer.
func TestAHugePageSizeIsClamped(t *testing.T) {
	spec := loadSpec(t)
	r, _ := router(t, spec, 1, true)
	if res := get(t, spec, r, notifications+"?ps=99999999999999999999"); res.status != http.StatusOK {
		t.Errorf("ps past int64: %d %s, want 200", res.status, res.body)
	}
}

// Parameters are checked against the spec: a 400 problem naming the one
// that is wrong, before anything is generated.
func TestBadParametersAre400Problems(t *testing.T) {
	spec := loadSpec(t)
	r, _ := router(t, spec, 1, true)
	for _, tt := range []struct {
		path, param string
		headers     []string
		twice       string // a header sent twice
	}{
		{"?ps=0", "ps", nil, ""},
		{"?ps=ten", "ps", nil, ""},
		{"?page=0", "page", nil, ""},
		{"?page=10001", "page", nil, ""},
		{"?page=99999999999999999999", "page", nil, ""}, // past int64: past the maximum, as on the scenes
		{"?ps=3&ps=4", "ps", nil, ""},
		{"?page=02", "page", nil, ""},
		{"?ps=05", "ps", nil, ""},
		{"?page=1;ps=2", "query", nil, ""},
	} {
		res := get(t, spec, r, notifications+tt.path, tt.headers...)
		if tt.twice != "" {
			res = getTwice(t, spec, r, notifications+tt.path, tt.twice)
		}
		var p struct {
			Status int    `json:"status"`
			Param  string `json:"param"`
			Detail string `json:"detail"`
		}
		if err := json.Unmarshal(res.body, &p); err != nil {
			t.Fatal(err)
		}
		if res.status != http.StatusBadRequest || p.Param != tt.param || res.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want a 400 problem naming %s", tt.path, res.status, res.body, tt.param)
		}
		// One line saying what is wrong, not kin-openapi's schema dump.
		if p.Detail == "" || strings.Contains(p.Detail, "\n") || strings.Contains(p.Detail, "Schema") {
			t.Errorf("%s: detail %q, want one line", tt.path, p.Detail)
		}
	}
}

// A request id is never a 400 (the spec's requestId): one sent twice or
// too long is replaced at the edge, on the mocks as on the scene routes.
func TestAnUnusableRequestIdIsNoBadRequest(t *testing.T) {
	spec := loadSpec(t)
	r, _ := router(t, spec, 1, true)
	if res := getTwice(t, spec, r, notifications, "X-Request-Id"); res.status != http.StatusOK {
		t.Errorf("X-Request-Id sent twice: %d %s, want 200", res.status, res.body)
	}
	if res := get(t, spec, r, notifications, "X-Request-Id", strings.Repeat("r", 129)); res.status != http.StatusOK {
		t.Errorf("a 129-byte X-Request-Id: %d %s, want 200", res.status, res.body)
	}
}

// Outside mock mode the route exists and says it is not built: 501.
func TestOutsideMockModeIs501(t *testing.T) {
	spec := loadSpec(t)
	r, mounted := router(t, spec, 1, false)
	if len(mounted) != 1 {
		t.Fatalf("mounted = %v", mounted)
	}
	res := get(t, spec, r, notifications)
	if res.status != http.StatusNotImplemented || res.header.Get("Content-Type") != "application/problem+json" || res.header.Get(specmock.Header) != "" {
		t.Fatalf("%d %v %s", res.status, res.header, res.body)
	}
	if !strings.Contains(string(res.body), "mock mode") {
		t.Errorf("the 501 does not say how to get the mock: %s", res.body)
	}
}

// The day the real handler is routed, it wins: the mock is not mounted,
// whatever the parameter names or where the route was registered.
func TestARealHandlerWins(t *testing.T) {
	spec := loadSpec(t)
	m, err := specmock.New(spec.Doc, 1, true, request.Loopback())
	if err != nil {
		t.Fatal(err)
	}
	real := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }
	for name, build := range map[string]func(chi.Router){
		"in the web group": func(r chi.Router) {
			r.Route("/web", func(r chi.Router) { r.Get("/v1/notifications", real) })
		},
		"at the root": func(r chi.Router) { r.Get(notifications, real) },
		"with a trailing slash": func(r chi.Router) {
			r.Route("/web/v1", func(r chi.Router) { r.Get("/notifications/", real) })
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := chi.NewRouter()
			build(r)
			if mounted := m.Mount(r); len(mounted) != 0 {
				t.Fatalf("mounted %v over a real handler", mounted)
			}
			req := httptest.NewRequest(http.MethodGet, notifications, nil)
			if name == "with a trailing slash" {
				req = httptest.NewRequest(http.MethodGet, notifications+"/", nil)
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if rec.Code != http.StatusAccepted || rec.Header().Get(specmock.Header) != "" {
				t.Errorf("%d %v: the mock answered", rec.Code, rec.Header())
			}
		})
	}
	// Another method on the same path does not count as the operation.
	r := chi.NewRouter()
	r.Post(notifications, real)
	if mounted := m.Mount(r); len(mounted) != 1 {
		t.Errorf("a POST handler kept the GET mock off: %v", mounted)
	}
}

// faker's global state is shared; concurrent requests still each get the
// bytes their seed gives (run with -race).
func TestConcurrentRequestsKeepTheirBytes(t *testing.T) {
	spec := loadSpec(t)
	r, _ := router(t, spec, 1, true)
	want := map[string]string{}
	paths := []string{notifications, notifications + "?page=2", notifications + "?page=3&ps=5"}
	for _, p := range paths {
		want[p] = string(get(t, spec, r, p).body)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(paths))
	for range 8 {
		for _, p := range paths {
			wg.Go(func() {
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
				if rec.Body.String() != want[p] {
					errs <- p
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for p := range errs {
		t.Errorf("%s: concurrent request got other bytes", p)
	}
}
