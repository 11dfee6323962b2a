package devicediff

import (
	"slices"
	"strings"
	"testing"
)

func TestFlatten(t *testing.T) {
	f, err := Flatten([]byte(`{"page":1,"cards":[{"aid":1,"owner":{"name":"a"},"tags":["x"]},{"aid":2,"owner":null,"reason":"hot"}],"empty":[],"ok":true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"page":               "number",
		"cards":              "array",
		"cards[]":            "object",
		"cards[].aid":        "number",
		"cards[].owner":      "null|object",
		"cards[].owner.name": "string",
		"cards[].tags":       "array",
		"cards[].tags[]":     "string",
		"cards[].reason":     "string",
		"empty":              "array",
		"ok":                 "boolean",
	}
	got := map[string]string{}
	for key, fd := range f {
		got[key] = strings.Join(fd.Types, "|")
		if fd.Path.String() != key {
			t.Errorf("path %q renders as %q", key, fd.Path.String())
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d paths %v, want %d", len(got), got, len(want))
	}
	for key, typ := range want {
		if got[key] != typ {
			t.Errorf("%s: got %q, want %q", key, got[key], typ)
		}
	}
}

func TestFlattenRejectsNonJSON(t *testing.T) {
	for _, body := range []string{``, `{`, `{"a":1} {"b":2}`, `<html>`} {
		if _, err := Flatten([]byte(body)); err == nil {
			t.Errorf("Flatten(%q) succeeded", body)
		}
	}
}

func TestFlattenNestedArrays(t *testing.T) {
	f, err := Flatten([]byte(`{"m":[[1,2],[3]]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f["m[][]"]; !ok {
		t.Errorf("no m[][] in %v", keys(f))
	}
}

func keys(f Fields) []string {
	var out []string
	for k := range f {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mustFlatten(t *testing.T, body string) Fields {
	t.Helper()
	f, err := Flatten([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDiffRows(t *testing.T) {
	app := mustFlatten(t, `{"video":{"stats":{"view":{"num":1,"text":"1"}},"owner":{"name":"a"}}}`)
	web := mustFlatten(t, `{"video":{"stats":{"view":1},"owner":{"name":"a"},"owner_name":"a","desc":"d"}}`)
	mini := mustFlatten(t, `{"video":{"owner_name":"a"}}`)
	rows := Diff([]Fields{app, nil, web, mini}) // pad failed

	var paths []string
	for _, r := range rows {
		paths = append(paths, r.Path)
	}
	want := []string{
		"video",
		"video.desc",
		"video.owner",
		"video.owner.name",
		"video.owner_name",
		"video.stats",
		"video.stats.view",
		"video.stats.view.num",
		"video.stats.view.text",
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths:\n got %q\nwant %q", paths, want)
	}

	byPath := map[string]Row{}
	for _, r := range rows {
		byPath[r.Path] = r
	}
	present := func(r Row) string {
		var b strings.Builder
		for i := range Devices() {
			if r.Present(i) {
				b.WriteByte('+')
			} else {
				b.WriteByte('-')
			}
		}
		return b.String()
	}
	for path, want := range map[string]string{
		"video":                "+-++",
		"video.desc":           "--+-",
		"video.owner.name":     "+-+-",
		"video.owner_name":     "--++",
		"video.stats.view":     "+-+-",
		"video.stats.view.num": "+---",
	} {
		if got := present(byPath[path]); got != want {
			t.Errorf("%s present %s, want %s", path, got, want)
		}
	}
	for _, r := range rows {
		if wantDiffers := r.Path == "video.stats.view"; r.Differs != wantDiffers {
			t.Errorf("%s differs = %v", r.Path, r.Differs)
		}
	}
	if got, want := byPath["video.stats.view"].Note(Devices()), "differs: object on app; number on web"; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
	if got := byPath["video.owner.name"].Note(Devices()); got != "" {
		t.Errorf("note %q for a path that does not differ", got)
	}
}

func TestDiffRowsGroupsTypesInNote(t *testing.T) {
	a := mustFlatten(t, `{"x":1}`)
	b := mustFlatten(t, `{"x":"1"}`)
	rows := Diff([]Fields{a, b, a, b})
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	if got, want := rows[0].Note(Devices()), "differs: number on app,web; string on pad,mini"; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
}

func TestSortKeepsChildrenUnderParent(t *testing.T) {
	// By bytes "owner-x" < "owner.name"; by segment the owner's children
	// come right after it.
	rows := Diff([]Fields{mustFlatten(t, `{"owner":{"name":"a"},"owner-x":1}`)})
	var paths []string
	for _, r := range rows {
		paths = append(paths, r.Path)
	}
	if want := []string{"owner", "owner.name", "owner-x"}; !slices.Equal(paths, want) {
		t.Errorf("got %q, want %q", paths, want)
	}
}

func TestDiffRowsPartial(t *testing.T) {
	app := mustFlatten(t, `{"a":1,"b":{"c":1}}`)
	web := mustFlatten(t, `{"a":1}`)
	rows := Diff([]Fields{app, nil, web, app}) // pad failed: it has no body
	partial := map[string]bool{}
	for _, r := range rows {
		partial[r.Path] = r.Partial
	}
	for path, want := range map[string]bool{"a": false, "b": true, "b.c": true} {
		if got, ok := partial[path]; !ok || got != want {
			t.Errorf("%s: partial %v (row found %v), want %v", path, got, ok, want)
		}
	}
}
