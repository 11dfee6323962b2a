package scene

// Sections a scene can leave out when an optional dependency fails, as
// degraded[].section names them. One name per section on every scene (the
// viewer's follow state is "relation" on the feed as on the video and user
// pages), because frontends, dashboards (bff_degraded_sections_total) and
// api.openapi.yaml's per-scene enums all key on these strings.
const (
	SectionStats    = "stats"           // view/like/... counts of the cards
	SectionOwners   = "owners"          // names and faces of owners (and repliers)
	SectionRelation = "relation"        // whether the viewer follows the owner or user
	SectionRelated  = "related"         // the video page's related videos
	SectionReplies  = "replies"         // the video page's hot replies
	SectionCounts   = "follower_counts" // the user page's follower/following counts
	SectionArchives = "archives"        // the user page's uploads; the feed's cards (critical)
	SectionArchive  = "archive"         // the video page's video (critical)
	SectionProfile  = "profile"         // the user page's user (critical)
	SectionFeed     = "recommend"       // the feed's recommendations (critical)
)

// Sections returns, for each scene (feed, video, user), the sections it can
// report as degraded, sorted. The spec's enums are checked against this, and
// this against what the scenes report when each downstream fails.
func Sections() map[string][]string {
	return map[string][]string{
		"feed":  {SectionOwners, SectionRelation, SectionStats},
		"video": {SectionOwners, SectionRelated, SectionRelation, SectionReplies, SectionStats},
		"user":  {SectionArchives, SectionCounts, SectionRelation, SectionStats},
	}
}

// ServedStale returns, for each scene, the critical sections that may be
// listed as degraded with reason stale: never left out (their failure is
// the scene's), but shown from entries past their freshness bound when
// the downstream fails. The spec's enums are Sections and these.
func ServedStale() map[string][]string {
	return map[string][]string{
		"feed":  {SectionArchives},
		"video": {SectionArchive},
		"user":  {SectionProfile},
	}
}
