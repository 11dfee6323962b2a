package bff_test

import (
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"mosaic"
	"mosaic/bff"
	"mosaic/bff/docs"
	"mosaic/bff/endpoint"
	"mosaic/bff/openapi"
)

// The spec and the router agree: every route served is documented, and
// every documented operation is served.
func TestEveryRouteIsInTheSpecAndBack(t *testing.T) {
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range spec.Doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI, nil)
	var served []string
	err = chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(route, docs.Path) {
			return nil // the reference page renders the spec; it is no operation of it
		}
		served = append(served, method+" "+strings.TrimSuffix(route, "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if len(served) < 13 {
		t.Fatalf("only %d routes served: %v", len(served), served)
	}
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("served but not in api.openapi.yaml: %s", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("in api.openapi.yaml but not served: %s", r)
		}
	}
}
