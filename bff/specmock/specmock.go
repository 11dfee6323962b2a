// Package specmock serves the operations of api.openapi.yaml that are
// specified but not built yet, so that frontends can start on an API
// before its BFF code exists.
//
// An operation marked `x-mosaic-mock: true` gets, in mock mode, a handler
// that validates the request's parameters against the spec (a 400
// problem naming the parameter otherwise) and answers its success
// response generated from the schema: values are drawn by JSON Schema
// format, then by field name (email, uri, date-time, name, title, ids,
// counts...), within enums, bounds and minItems/maxItems, from a source
// seeded by the mosaic seed and the request (method, path, query), so the
// same seed and request give the same bytes. Every body is checked
// against its schema before it is sent.
//
// Outside mock mode such an operation answers 501 Not Implemented as a
// problem: the route exists in the contract, the server has no code for
// it, and a frontend pointed at a real deployment learns that rather than
// a 404 it could take for a typo.
//
// A mock never shadows real code: Mount registers only the operations the
// router does not already serve, so an operation drops out of mock serving
// the day its handler is routed.
package specmock

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/go-chi/chi/v5"

	"mosaic/bff/problem"
	"mosaic/bff/request"
	"mosaic/dto"
	"mosaic/mocks/dataset"
)

// Extension marks an operation to serve from its schema.
const Extension = "x-mosaic-mock"

// Header marks a response generated from the spec, so that nobody takes
// it for real data.
const Header = "X-Mosaic-Mock"

// streamGen is the PCG stream of the generator's draws.
const streamGen = 0x73706563 // "spec"

// selfChecks is how many seeds New tries on each operation.
const selfChecks = 8

// Mocks serves the marked operations of one OpenAPI document.
type Mocks struct {
	seed    uint64
	enabled bool
	trust   request.Trust // who may assert X-User-Id
	ops     []*operation
}

type operation struct {
	route     *routers.Route
	status    int
	mediaType string
	schema    *openapi3.SchemaRef
}

func (o *operation) String() string { return o.route.Method + " " + o.route.Path }

// New finds the operations of doc marked with Extension. enabled is mock
// mode: with it false, they answer 501. seed is the mock data seed (the
// -seed flag). trust is who may assert the viewer (X-User-Id), as for the
// scene routes: a mock answers each viewer its own data. New fails when a
// marked operation has no JSON success response with a schema, or when
// its schema is one the generator cannot satisfy (it tries a few seeds),
// so a bad spec stops the server at start rather than at a frontend's
// first request.
func New(doc *openapi3.T, seed int64, enabled bool, trust request.Trust) (*Mocks, error) {
	m := &Mocks{seed: uint64(seed), enabled: enabled, trust: trust}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if marked, _ := op.Extensions[Extension].(bool); !marked {
				continue
			}
			o, err := newOperation(&routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op})
			if err != nil {
				return nil, err
			}
			for i := range uint64(selfChecks) {
				if _, err := o.body(i); err != nil {
					return nil, fmt.Errorf("%s: %w", o, err)
				}
			}
			m.ops = append(m.ops, o)
		}
	}
	slices.SortFunc(m.ops, func(a, b *operation) int {
		return cmp.Or(strings.Compare(a.route.Path, b.route.Path), strings.Compare(a.route.Method, b.route.Method))
	})
	return m, nil
}

// newOperation picks the lowest 2xx response with a JSON schema.
func newOperation(route *routers.Route) (*operation, error) {
	o := &operation{route: route}
	codes := make([]int, 0, route.Operation.Responses.Len())
	for code := range route.Operation.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 {
			codes = append(codes, n)
		}
	}
	slices.Sort(codes)
	for _, code := range codes {
		resp := route.Operation.Responses.Status(code)
		for mediaType, content := range resp.Value.Content {
			if isJSON(mediaType) && content.Schema != nil {
				o.status, o.mediaType, o.schema = code, mediaType, content.Schema
				return o, nil
			}
		}
	}
	return nil, fmt.Errorf("%s is marked %s but has no 2xx JSON response with a schema", o, Extension)
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// Operations lists the marked operations as "METHOD /path", sorted.
func (m *Mocks) Operations() []string {
	var out []string
	for _, o := range m.ops {
		out = append(out, o.String())
	}
	return out
}

// body generates, encodes and checks one response body.
func (o *operation) body(seed uint64) ([]byte, error) {
	var v any
	var err error
	dataset.Fake(seed, func(f dataset.Faker) {
		g := &gen{rng: rand.New(rand.NewPCG(seed, streamGen)), fake: f}
		v, err = g.value("", o.schema, 0)
	})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	// Check what a client will decode, numbers as float64, not the Go
	// values that went in.
	var decoded any
	if err := json.Unmarshal(body, &decoded); err != nil {
		return nil, err
	}
	if err := o.schema.Value.VisitJSON(decoded); err != nil {
		return nil, fmt.Errorf("generated body does not match its schema: %w", err)
	}
	return body, nil
}

// seedFor mixes the mosaic seed with what identifies the request, so pages
// and viewers differ from each other and a repeated request repeats its
// bytes.
func (m *Mocks) seedFor(o *operation, r *http.Request, viewer int64) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s\x00%d", m.seed, o.route.Method, r.URL.Path, r.URL.Query().Encode(), viewer)
	return h.Sum64()
}

func (m *Mocks) handler(o *operation) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !m.enabled {
			problem.Write(w, dto.Problem{
				Status: http.StatusNotImplemented,
				Detail: o.String() + " is in api.openapi.yaml but not built yet; mosaic serves it from its schema in mock mode only (no downstream targets)",
			})
			return
		}
		if err := o.validate(r); err != nil {
			badRequest(w, err)
			return
		}
		viewer, err := request.Viewer(r, m.trust) // as the scene routes read it
		if err != nil {
			badRequest(w, err)
			return
		}
		body, err := o.body(m.seedFor(o, r, viewer))
		if err != nil {
			// The spec changed under a running server's feet, or the
			// self-check missed a seed: a fault of ours, not the caller's.
			problem.Write(w, dto.Problem{Status: http.StatusInternalServerError, Detail: "spec mock of " + o.String() + ": " + err.Error()})
			return
		}
		h := w.Header()
		h.Set("Content-Type", o.mediaType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set(Header, "spec")
		// Generated bytes, which change with the seed and the spec: not
		// worth keeping, and a frontend must not take a stale mock for the
		// real endpoint once it is built.
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(o.status)
		w.Write(body)
	}
}

// lenient are the headers the spec says are never a 400: the edge makes
// a request id anew when the client's is unusable or sent twice, as it
// does for the scene routes.
var lenient = []string{"X-Request-Id"}

// validate checks the path, query and header parameters against the spec.
// The security scheme, the gateway's X-User-Id, is read apart (viewer), as
// the scene routes read it; the request body is not read: marked
// operations are reads.
func (o *operation) validate(r *http.Request) error {
	r = r.Clone(r.Context())
	for _, h := range lenient {
		r.Header.Del(h)
	}
	params, ints, err := o.readParams(r)
	if err != nil {
		return err
	}
	saturate(r, ints)
	return openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      o.route,
		Options: &openapi3filter.Options{
			ExcludeRequestBody:  true,
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
		},
	})
}

// readParams returns the path parameters and the names of the integer
// query parameters, having refused what the scene routes refuse and
// kin-openapi would take: a query parameter or header given more than once
// (kin takes the first), a query that decodes more than one way, a number
// with a leading zero (kin reads 08 as 8: a number has one spelling in a
// URL).
func (o *operation) readParams(r *http.Request) (params map[string]string, ints []string, err error) {
	params = map[string]string{}
	var single, numbers []string
	for _, ref := range append(o.route.PathItem.Parameters, o.route.Operation.Parameters...) {
		p := ref.Value
		if p == nil {
			continue
		}
		if schemaIs(p, openapi3.TypeInteger) {
			numbers = append(numbers, p.Name)
		}
		switch {
		case p.In == openapi3.ParameterInPath:
			params[p.Name] = chi.URLParam(r, p.Name)
		case schemaIs(p, openapi3.TypeArray):
		case p.In == openapi3.ParameterInQuery:
			single = append(single, p.Name)
			if schemaIs(p, openapi3.TypeInteger) {
				ints = append(ints, p.Name)
			}
		case p.In == openapi3.ParameterInHeader:
			if _, err := request.Single(r.Header, p.Name); err != nil {
				return nil, nil, err
			}
		}
	}
	query, err := request.Query(r.URL.RawQuery, single...)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range numbers {
		v, ok := params[name]
		if !ok {
			v = query[name]
		}
		if err := request.Unpadded(name, v); err != nil {
			return nil, nil, err
		}
	}
	return params, ints, nil
}

// saturate rewrites, in r's query, a positive integer parameter too large
// for int64 as the largest int64: the scene routes read such a number as
// larger than any bound (request.Count), to clamp (ps) or to refuse
// (page), where kin-openapi would refuse it as no integer at all.
func saturate(r *http.Request, names []string) {
	q, changed := r.URL.Query(), false
	for _, name := range names {
		v := q.Get(name)
		if _, err := strconv.ParseInt(v, 10, 64); errors.Is(err, strconv.ErrRange) && strings.Trim(v, "0123456789") == "" {
			q.Set(name, strconv.FormatInt(math.MaxInt64, 10))
			changed = true
		}
	}
	if changed {
		r.URL.RawQuery = q.Encode()
	}
}

// schemaIs reports whether p's schema is of type t.
func schemaIs(p *openapi3.Parameter, t string) bool {
	return p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Type.Is(t)
}

func badRequest(w http.ResponseWriter, err error) {
	var pe *request.Error
	if errors.As(err, &pe) {
		problem.BadParam(w, pe.Param, pe.Detail)
		return
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) && re.Parameter != nil {
		problem.BadParam(w, re.Parameter.Name, reason(re))
		return
	}
	problem.Write(w, dto.Problem{Status: http.StatusBadRequest, Detail: firstLine(err.Error())})
}

// reason is what was wrong with a parameter, in one line: kin-openapi's
// own message goes on to dump the whole schema, no detail for a frontend.
func reason(re *openapi3filter.RequestError) string {
	var se *openapi3.SchemaError
	switch {
	case errors.As(re.Err, &se) && se.Reason != "":
		return se.Reason
	case re.Err != nil:
		return firstLine(re.Err.Error())
	case re.Reason != "":
		return re.Reason
	}
	return firstLine(re.Error())
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}
