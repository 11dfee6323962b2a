// Package openapi checks responses against api.openapi.yaml, the contract
// with the frontends: the tests validate every response with it, and
// bffctl compare validates what a running mosaic serves.
package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"mosaic"
)

// Spec is api.openapi.yaml, loaded and validated.
type Spec struct {
	Doc    *openapi3.T
	router routers.Router
}

// Load parses and validates api.openapi.yaml.
func Load() (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(mosaic.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("api.openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("api.openapi.yaml is invalid: %w", err)
	}
	// Match routes on any host: tests serve on ephemeral loopback ports.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &Spec{Doc: doc, router: router}, nil
}

// Validate checks one response against the operation its request matched.
// A response to a request that matches no path (an unknown device, say)
// must still be a valid Problem.
func (s *Spec) Validate(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return s.validateProblem(status, header, body)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s → %d does not match the spec: %w", req.Method, req.URL.RequestURI(), status, err)
	}
	return nil
}

func (s *Spec) validateProblem(status int, header http.Header, body []byte) error {
	if ct := header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("unrouted response %d has Content-Type %q, want application/problem+json", status, ct)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("problem body: %w", err)
	}
	if err := s.Doc.Components.Schemas["Problem"].Value.VisitJSON(v); err != nil {
		return fmt.Errorf("problem body does not match the Problem schema: %w", err)
	}
	return nil
}
