package workload

import (
	"slices"
	"strings"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/internal/bench/reference"
	"mosaic/mocks/dataset"
)

func TestPickEntities(t *testing.T) {
	ds := dataset.Shared(apitest.Seed)
	e, err := PickEntities(ds)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := ds.Archive(e.Aid); !ok || a.GetState() != 0 || len(ds.HotReplies(e.Aid, reference.Replies)) != reference.Replies {
		t.Errorf("video %d: not a visible video with %d replies", e.Aid, reference.Replies)
	}
	if _, total := ds.ListByOwner(e.Mid, 1, 1); total <= reference.MaxPS {
		t.Errorf("user %d has %d uploads, want more than %d", e.Mid, total, reference.MaxPS)
	}
}

func TestScenePaths(t *testing.T) {
	e := Entities{Aid: 7, Mid: 9}
	got := map[string][2]string{}
	for _, s := range Scenes() {
		got[s.Name] = [2]string{s.Path("web", e, 20), s.Path("mini", e, 0)}
	}
	want := map[string][2]string{
		Feed:  {"/web/v1/feed?ps=20", "/mini/v1/feed"},
		Video: {"/web/v1/videos/7", "/mini/v1/videos/7"},
		User:  {"/web/v1/users/9?ps=20", "/mini/v1/users/9"},
	}
	if len(got) != len(want) {
		t.Errorf("scenes %v, want %v", SceneNames(), want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	if !slices.Equal(SceneNames(), []string{Feed, Video, User}) {
		t.Errorf("order %v", SceneNames())
	}
	for _, s := range Scenes() {
		if s.ByID != strings.Contains(s.Path("web", Entities{Aid: 7, Mid: 7}, 0), "7") {
			t.Errorf("%s: ByID %v, path %s", s.Name, s.ByID, s.Path("web", Entities{Aid: 7, Mid: 7}, 0))
		}
	}
	if s, ok := Lookup(User); !ok || s.Name != User || !s.Paged {
		t.Errorf("Lookup(user) = %+v, %v", s, ok)
	}
	if _, ok := Lookup("home"); ok {
		t.Error("Lookup found a scene that is not there")
	}
}

func TestHeaderNamesTheViewer(t *testing.T) {
	h := Header()
	if h.Get("X-User-Id") != "42" || h.Get("X-Network") != "wifi" || h.Get("Accept-Language") != "zh-CN" {
		t.Errorf("header %v", h)
	}
}
