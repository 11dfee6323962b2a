package specmock_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"mosaic/bff/specmock"
)

// docWith is a one-operation spec, GET /x marked for mocking, whose 200
// body is schema (YAML, indented for its place).
func docWith(t *testing.T, schema string) *openapi3.T {
	t.Helper()
	src := `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /x:
    get:
      x-mosaic-mock: true
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
` + schema
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return doc
}

// bodies serves GET /x?page=i for n pages and decodes each body.
func bodies(t *testing.T, doc *openapi3.T, n int) []map[string]any {
	t.Helper()
	m, err := specmock.New(doc, 7, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	m.Mount(r)
	var out []map[string]any
	for i := range n {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/x?page=%d", i), nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// Strings are picked by format first, then by the field's name.
func TestStringsByFormatAndName(t *testing.T) {
	doc := docWith(t, `                type: object
                required: [email, contact_email, link, avatar, when, day, uuid, ip, name, title, message, phone, token]
                properties:
                  email: {type: string, format: email}
                  contact_email: {type: string}
                  link: {type: string, format: uri}
                  avatar: {type: string}
                  when: {type: string, format: date-time}
                  day: {type: string, format: date}
                  uuid: {type: string, format: uuid}
                  ip: {type: string, format: ipv4}
                  name: {type: string}
                  title: {type: string}
                  message: {type: string}
                  phone: {type: string}
                  token: {type: string, minLength: 16, maxLength: 16}
`)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	isEmail := func(v string) bool { _, err := mail.ParseAddress(v); return err == nil }
	isHTTPS := func(v string) bool { u, err := url.Parse(v); return err == nil && u.Scheme == "https" && u.Host != "" }
	parses := func(layout string) func(string) bool {
		return func(v string) bool { _, err := time.Parse(layout, v); return err == nil }
	}
	checks := map[string]func(string) bool{
		"email":         isEmail,
		"contact_email": isEmail,
		"link":          isHTTPS,
		"avatar":        isHTTPS,
		"when":          parses(time.RFC3339),
		"day":           parses(time.DateOnly),
		"uuid":          uuid.MatchString,
		"ip":            func(v string) bool { return strings.HasPrefix(v, "192.0.2.") }, // TEST-NET-1
		"name":          func(v string) bool { return v != "" && !strings.Contains(v, ".") },
		"title":         func(v string) bool { return v != "" && !strings.HasSuffix(v, ".") },
		"message":       func(v string) bool { return strings.HasSuffix(v, ".") && len(strings.Fields(v)) >= 4 },
		"phone":         func(v string) bool { return strings.ContainsAny(v, "0123456789") },
		"token":         func(v string) bool { return utf8.RuneCountInString(v) == 16 },
	}
	for _, b := range bodies(t, doc, 20) {
		for field, ok := range checks {
			if v, _ := b[field].(string); !ok(v) {
				t.Errorf("%s: %q does not look like one", field, b[field])
			}
		}
	}
}

// Numbers, lengths and lists keep to the schema's bounds, and names pick
// plausible ranges within them.
func TestBoundsAndNamedRanges(t *testing.T) {
	doc := docWith(t, `                type: object
                required: [level, aid, view_count, pubdate, ratio, odd, tags, short, kinds]
                properties:
                  level: {type: integer, minimum: 0, maximum: 6}
                  aid: {type: integer, format: int64}
                  view_count: {type: integer}
                  pubdate: {type: integer, format: int64}
                  ratio: {type: number, minimum: 0, maximum: 1, exclusiveMaximum: true}
                  odd: {type: integer, minimum: 10, maximum: 20, multipleOf: 5}
                  tags: {type: array, minItems: 2, maxItems: 4, items: {type: string}}
                  short: {type: string, minLength: 3, maxLength: 5}
                  kinds:
                    type: array
                    minItems: 3
                    maxItems: 3
                    uniqueItems: true
                    items: {type: string, enum: [a, b, c]}
`)
	year := func(y int) float64 { return float64(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) }
	checks := map[string]func(any) bool{
		"level":      between(0, 6),
		"aid":        between(1, 1<<53), // a positive id
		"view_count": between(0, 1<<53),
		"pubdate":    between(year(2024), year(2026)), // a unix time near the mock epoch
		"ratio":      func(v any) bool { f, ok := v.(float64); return ok && f >= 0 && f < 1 },
		"odd":        func(v any) bool { return v == 10.0 || v == 15.0 || v == 20.0 },
		"tags":       length(2, 4),
		"short":      length(3, 5),
		"kinds":      distinct(3),
	}
	counts := map[bool]int{}
	for _, b := range bodies(t, doc, 30) {
		for field, ok := range checks {
			if !ok(b[field]) {
				t.Errorf("%s: %v is out of its bounds", field, b[field])
			}
		}
		counts[b["view_count"].(float64) >= 1000]++
	}
	// Counts span magnitudes: some small, some large.
	if counts[true] == 0 || counts[false] == 0 {
		t.Errorf("view counts all on one side of 1000: %v", counts)
	}
}

// between checks for an integer within [lo, hi].
func between(lo, hi float64) func(any) bool {
	return func(v any) bool { f, ok := v.(float64); return ok && f >= lo && f <= hi && f == float64(int64(f)) }
}

// length checks a string's runes or an array's items are within [lo, hi].
func length(lo, hi int) func(any) bool {
	return func(v any) bool {
		switch v := v.(type) {
		case string:
			n := utf8.RuneCountInString(v)
			return n >= lo && n <= hi
		case []any:
			return len(v) >= lo && len(v) <= hi
		}
		return false
	}
}

// distinct checks for an array of n different items.
func distinct(n int) func(any) bool {
	return func(v any) bool {
		items, _ := v.([]any)
		seen := map[any]bool{}
		for _, k := range items {
			seen[k] = true
		}
		return len(items) == n && len(seen) == n
	}
}

// A schema the generator cannot satisfy, or an operation with nothing to
// generate, stops New: a bad spec fails at start, not at a request.
func TestNewRefusesWhatItCannotServe(t *testing.T) {
	for name, schema := range map[string]string{
		"pattern":       "                {type: string, pattern: '^[0-9]{3}$'}\n",
		"depth":         "                {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: object, required: [a], properties: {a: {type: string}}}}}}}}}}}}}}}}}}}}}}}}}}}\n",
		"no-items-room": "                {type: array, minItems: 4, uniqueItems: true, items: {type: boolean}}\n",
	} {
		if _, err := specmock.New(docWith(t, schema), 1, true, nil); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	doc := docWith(t, "                {type: string}\n")
	doc.Paths.Value("/x").Get.Responses.Status(200).Value.Content = openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{"text/plain"})
	if _, err := specmock.New(doc, 1, true, nil); err == nil {
		t.Error("New accepted an operation with no JSON response")
	}
}
