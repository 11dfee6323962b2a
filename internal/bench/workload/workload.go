// Package workload is what bffctl's bench and overload ask of a BFF: the
// devices and scenes they load, in one table each (the one place to change
// when a device or a scene is added), the video and the user the scene
// requests name, the viewer they are sent for, and their headers.
package workload

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"mosaic/bff/devices"
	"mosaic/internal/bench/reference"
	"mosaic/mocks/dataset"
)

// Devices are the device route segments mosaic serves, in the order the
// reports list them: the device registry's.
func Devices() []string { return devices.Names() }

// The scenes' names.
const (
	Feed  = "feed"
	Video = "video"
	User  = "user"
)

// Scene is one scene the tools load.
type Scene struct {
	Name string
	// Paged scenes take a page size (ps); the video page has none.
	Paged bool
	// ByID scenes name one of the Entities in their path.
	ByID bool
	// path is the scene's path after the device segment.
	path func(e Entities, query string) string
}

// Scenes are the scenes the tools load, in the order they measure them.
func Scenes() []Scene {
	return []Scene{
		{Name: Feed, Paged: true, path: func(_ Entities, q string) string { return "/v1/feed" + q }},
		{Name: Video, ByID: true, path: func(e Entities, _ string) string { return fmt.Sprintf("/v1/videos/%d", e.Aid) }},
		{Name: User, Paged: true, ByID: true, path: func(e Entities, q string) string { return fmt.Sprintf("/v1/users/%d%s", e.Mid, q) }},
	}
}

// SceneNames are the names of Scenes, in order.
func SceneNames() []string {
	var out []string
	for _, s := range Scenes() {
		out = append(out, s.Name)
	}
	return out
}

// Lookup is the scene of that name.
func Lookup(name string) (Scene, bool) {
	i := slices.IndexFunc(Scenes(), func(s Scene) bool { return s.Name == name })
	if i < 0 {
		return Scene{}, false
	}
	return Scenes()[i], true
}

// Path is the scene's path on device at page size ps (0: the device's
// default, no ps parameter).
func (s Scene) Path(device string, e Entities, ps int) string {
	q := ""
	if s.Paged && ps > 0 {
		q = "?ps=" + strconv.Itoa(ps)
	}
	return "/" + device + s.path(e, q)
}

// Viewer is the viewer every request is sent for.
const Viewer = 42

// Header is what every request carries: the viewer, a network and a
// language, as a device behind the real edge sends them.
func Header() http.Header {
	h := http.Header{}
	h.Set("X-User-Id", strconv.Itoa(Viewer))
	h.Set("X-Network", "wifi")
	h.Set("Accept-Language", "zh-CN")
	return h
}

// Entities are the video and the user the video and user scenes ask for.
type Entities struct {
	Aid int64 // a visible video with full pages of related and hot replies
	Mid int64 // a user with more uploads than the largest page
}

// PickEntities chooses them in the dataset.
func PickEntities(ds *dataset.Dataset) (Entities, error) {
	var e Entities
	for _, a := range ds.VisibleAids() {
		if len(ds.HotReplies(a, reference.Replies)) == reference.Replies && len(ds.Related(a, reference.Related)) == reference.Related {
			e.Aid = a
			break
		}
	}
	for _, m := range ds.Mids() {
		if _, total := ds.ListByOwner(m, 1, 1); total > reference.MaxPS {
			e.Mid = m
			break
		}
	}
	if e.Aid == 0 || e.Mid == 0 {
		return e, fmt.Errorf("seed %d has no video with %d replies or no user with more than %d uploads", ds.Seed(), reference.Replies, reference.MaxPS)
	}
	return e, nil
}
