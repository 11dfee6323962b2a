package devices_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"mosaic/bff/devices"
	"mosaic/bff/endpoint"
	"mosaic/bff/openapi"
	"mosaic/bff/specmock"
)

// specDevice is what api.openapi.yaml says of one device: the scene paths
// served under /{device} (relative to it), and the headers and page sizes
// its operations declare. Operations the spec marks as not built yet
// (specmock) are no scene of the device's routes.
type specDevice struct {
	scenes  []string
	headers map[string]int // header → how many of the scenes declare it
	ps      []string       // each paged scene's "default D, values above M"
}

func loadSpec(t *testing.T) map[string]*specDevice {
	t.Helper()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*specDevice{}
	for path, item := range spec.Doc.Paths.Map() {
		dev, rest, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if !ok { // /openapi.yaml: no device's
			continue
		}
		op := item.Get
		if op == nil {
			t.Fatalf("%s: a device path without GET", path)
		}
		if marked, _ := op.Extensions[specmock.Extension].(bool); marked {
			continue
		}
		d := out[dev]
		if d == nil {
			d = &specDevice{headers: map[string]int{}}
			out[dev] = d
		}
		d.scenes = append(d.scenes, "/"+rest)
		d.collect(op.Parameters)
	}
	return out
}

var pageSize = regexp.MustCompile(`default (\d+), values above (\d+)`)

func (d *specDevice) collect(params openapi3.Parameters) {
	for _, p := range params {
		switch {
		case p.Value.In == openapi3.ParameterInHeader:
			d.headers[p.Value.Name]++
		case p.Value.In == openapi3.ParameterInQuery && p.Value.Name == "ps":
			if m := pageSize.FindStringSubmatch(p.Value.Description); m != nil {
				d.ps = append(d.ps, m[0])
			} else {
				d.ps = append(d.ps, "no page sizes in: "+p.Value.Description)
			}
		}
	}
}

// served lists dev's routes as mounted: GET and HEAD paths apart.
func served(t *testing.T, dev endpoint.Device) (gets, heads []string) {
	t.Helper()
	r := chi.NewRouter()
	r.Route("/", endpoint.Mount(endpoint.Env{}, dev))
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(route, "/")
		switch method {
		case http.MethodGet:
			gets = append(gets, route)
		case http.MethodHead:
			heads = append(heads, route)
		default:
			t.Errorf("%s serves %s %s", dev.Name, method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(gets)
	slices.Sort(heads)
	return gets, heads
}

// The registry and the spec name the same devices, each device's routes
// are exactly its scenes in the spec (GET and HEAD), and every device
// serves every scene: a device, or a scene, missing from any of those
// places fails here.
func TestRegistryServesTheSpecsScenes(t *testing.T) {
	spec := loadSpec(t)
	if got, want := slices.Sorted(slices.Values(devices.Names())), slices.Sorted(func(yield func(string) bool) {
		for dev := range spec {
			if !yield(dev) {
				return
			}
		}
	}); !slices.Equal(got, want) {
		t.Fatalf("registry devices %v, spec devices %v", got, want)
	}
	var everyScene []string
	for _, d := range spec {
		everyScene = append(everyScene, d.scenes...)
	}
	slices.Sort(everyScene)
	everyScene = slices.Compact(everyScene)
	for _, dev := range devices.All() {
		gets, heads := served(t, dev)
		want := slices.Sorted(slices.Values(spec[dev.Name].scenes))
		if !slices.Equal(gets, want) {
			t.Errorf("%s serves GET %v, the spec has %v", dev.Name, gets, want)
		}
		if !slices.Equal(heads, gets) {
			t.Errorf("%s serves HEAD %v, want its GET routes %v", dev.Name, heads, gets)
		}
		if !slices.Equal(want, everyScene) {
			t.Errorf("%s has the scenes %v in the spec, every scene is %v", dev.Name, want, everyScene)
		}
	}
}

// Each entry agrees with the spec on what the spec also says: the page
// sizes, that the device sends builds, and that every header its body
// varies on is one its operations take.
func TestRegistryEntriesAgreeWithTheSpec(t *testing.T) {
	spec := loadSpec(t)
	for _, dev := range devices.All() {
		d := spec[dev.Name]
		if d == nil {
			t.Errorf("%s: not in the spec", dev.Name)
			continue
		}
		ps := fmt.Sprintf("default %d, values above %d", dev.PageSize.Default, dev.PageSize.Max)
		if dev.PageSize.Default < 1 || dev.PageSize.Default > dev.PageSize.Max {
			t.Errorf("%s: page sizes %+v", dev.Name, dev.PageSize)
		}
		for _, got := range d.ps {
			if got != ps {
				t.Errorf("%s: the spec's ps says %q, the registry %q", dev.Name, got, ps)
			}
		}
		if builds := d.headers["X-Client-Build"] == len(d.scenes); builds != dev.Builds {
			t.Errorf("%s: Builds %v, but %d of its %d scenes take X-Client-Build", dev.Name, dev.Builds, d.headers["X-Client-Build"], len(d.scenes))
		}
		for _, h := range dev.Vary {
			if d.headers[h] != len(d.scenes) {
				t.Errorf("%s varies on %s, which %d of its %d scenes take", dev.Name, h, d.headers[h], len(d.scenes))
			}
		}
		if dev.Related < 1 || dev.Replies < 1 || dev.Routes == nil {
			t.Errorf("%s: incomplete entry %+v", dev.Name, dev)
		}
	}
}

// Each device's bodies say in the spec how many items their lists hold at
// most: the registry's largest page, related videos and replies.
func TestSpecBoundsEachDevicesLists(t *testing.T) {
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, dev := range devices.All() {
		prefix := strings.ToUpper(dev.Name[:1]) + dev.Name[1:]
		want := map[string]map[string]int{
			"Feed":      {"cards": dev.PageSize.Max},
			"VideoPage": {"related": dev.Related, "replies": dev.Replies},
			"UserPage":  {"archives": dev.PageSize.Max},
		}
		found := 0
		for name, ref := range spec.Doc.Components.Schemas {
			for shape, lists := range want {
				if rest, ok := strings.CutSuffix(name, shape); !ok || (rest != prefix && rest != prefix+"Legacy") {
					continue
				}
				found++
				for field, n := range lists {
					p := ref.Value.Properties[field]
					if p == nil || p.Value.MaxItems == nil || *p.Value.MaxItems != uint64(n) {
						t.Errorf("%s.%s: want maxItems %d, the registry's %s", name, field, n, dev.Name)
					}
				}
			}
		}
		if found < len(want) {
			t.Errorf("%s: %d schemas of its bodies found, want at least %d", dev.Name, found, len(want))
		}
	}
}

func TestByName(t *testing.T) {
	for _, name := range devices.Names() {
		if d, ok := devices.ByName(name); !ok || d.Name != name {
			t.Errorf("ByName(%q) = %q, %v", name, d.Name, ok)
		}
	}
	if _, ok := devices.ByName("tv"); ok {
		t.Error("ByName found a device the registry does not have")
	}
}
