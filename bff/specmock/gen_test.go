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
	m, err := specmock.New(doc, 7, true)
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
	for _, b := range bodies(t, doc, 20) {
		for _, k := range []string{"email", "contact_email"} {
			if _, err := mail.ParseAddress(b[k].(string)); err != nil {
				t.Errorf("%s %q: %v", k, b[k], err)
			}
		}
		for _, k := range []string{"link", "avatar"} {
			u, err := url.Parse(b[k].(string))
			if err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("%s %q is not an https URL", k, b[k])
			}
		}
		if _, err := time.Parse(time.RFC3339, b["when"].(string)); err != nil {
			t.Error(err)
		}
		if _, err := time.Parse(time.DateOnly, b["day"].(string)); err != nil {
			t.Error(err)
		}
		if !uuid.MatchString(b["uuid"].(string)) {
			t.Errorf("uuid %q", b["uuid"])
		}
		if !strings.HasPrefix(b["ip"].(string), "192.0.2.") {
			t.Errorf("ip %q is not in TEST-NET-1", b["ip"])
		}
		if n := b["name"].(string); n == "" || strings.Contains(n, ".") {
			t.Errorf("name %q does not look like a person", n)
		}
		if m := b["message"].(string); !strings.HasSuffix(m, ".") || len(strings.Fields(m)) < 4 {
			t.Errorf("message %q is not sentences", m)
		}
		if p := b["phone"].(string); strings.IndexFunc(p, func(r rune) bool { return r >= '0' && r <= '9' }) < 0 {
			t.Errorf("phone %q has no digits", p)
		}
		if n := utf8.RuneCountInString(b["token"].(string)); n != 16 {
			t.Errorf("token %q: %d runes, want 16", b["token"], n)
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
	counts := map[bool]int{}
	for _, b := range bodies(t, doc, 30) {
		num := func(k string) float64 { return b[k].(float64) }
		if l := num("level"); l < 0 || l > 6 || l != float64(int(l)) {
			t.Errorf("level %v", l)
		}
		if a := num("aid"); a < 1 {
			t.Errorf("aid %v is not a positive id", a)
		}
		if v := num("view_count"); v < 0 {
			t.Errorf("view_count %v", v)
		} else {
			counts[v >= 1000]++
		}
		if p := num("pubdate"); p < float64(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) || p > float64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) {
			t.Errorf("pubdate %v is not a unix time near the mock epoch", p)
		}
		if r := num("ratio"); r < 0 || r >= 1 {
			t.Errorf("ratio %v", r)
		}
		if o := num("odd"); o != 10 && o != 15 && o != 20 {
			t.Errorf("odd %v", o)
		}
		if n := len(b["tags"].([]any)); n < 2 || n > 4 {
			t.Errorf("%d tags", n)
		}
		if n := utf8.RuneCountInString(b["short"].(string)); n < 3 || n > 5 {
			t.Errorf("short %q", b["short"])
		}
		seen := map[any]bool{}
		for _, k := range b["kinds"].([]any) {
			seen[k] = true
		}
		if len(seen) != 3 {
			t.Errorf("kinds %v are not 3 unique items", b["kinds"])
		}
	}
	// Counts span magnitudes: some small, some large.
	if counts[true] == 0 || counts[false] == 0 {
		t.Errorf("view counts all on one side of 1000: %v", counts)
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
		if _, err := specmock.New(docWith(t, schema), 1, true); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	doc := docWith(t, "                {type: string}\n")
	doc.Paths.Value("/x").Get.Responses.Status(200).Value.Content = openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{"text/plain"})
	if _, err := specmock.New(doc, 1, true); err == nil {
		t.Error("New accepted an operation with no JSON response")
	}
}
