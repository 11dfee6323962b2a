package dto_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"mosaic/dto"
)

// encode is what endpoint.writeJSON does, and json.Marshal what tests do:
// a ByBuild encodes to the same bytes as the body it carries, either way.
func encode(t *testing.T, v any, escapeHTML bool) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// appFeed is the app's feed body: the current card, or the legacy one.
type appFeed = dto.ByBuild[dto.Feed[dto.AppCard], dto.Feed[dto.AppLegacyCard]]

func TestByBuildEncodesTheBodyTheBuildGets(t *testing.T) {
	current := dto.Feed[dto.AppCard]{Paging: dto.Paging{Page: 1, PageSize: 10}, Cards: []dto.AppCard{{Head: dto.Head{Aid: 1, Title: "a < b & c"}}}}
	legacy := dto.Feed[dto.AppLegacyCard]{Paging: dto.Paging{Page: 1, PageSize: 10}, Cards: []dto.AppLegacyCard{{Head: dto.Head{Aid: 1, Title: "a < b & c"}, OwnerName: "up"}}}
	for _, tc := range []struct {
		name string
		body appFeed
		want any
	}{
		{"current build", appFeed{Current: current}, current},
		{"legacy build", appFeed{Current: current, Legacy: &legacy}, legacy},
	} {
		for _, escape := range []bool{true, false} {
			if got, want := encode(t, tc.body, escape), encode(t, tc.want, escape); got != want {
				t.Errorf("%s, escapeHTML %v:\n got %s\nwant %s", tc.name, escape, got, want)
			}
		}
		for _, escape := range []bool{true, false} {
			if got, want := encode(t, dto.Encoded(tc.body), escape), encode(t, tc.want, escape); got != want {
				t.Errorf("%s, Encoded, escapeHTML %v:\n got %s\nwant %s", tc.name, escape, got, want)
			}
		}
	}
}
