package scene

import (
	accountv1 "mosaic/clients/account/v1"
	relationv1 "mosaic/clients/relation/v1"
)

// User is a user's page before device adaptation: the profile, follow
// counts, the viewer's relation to the user, and one page of uploads.
type User struct {
	Profile  *accountv1.Profile
	Counts   *relationv1.FollowerCount // nil when degraded
	Relation *relationv1.Relation      // nil when anonymous or degraded
	Page, PS int
	Total    int64 // uploads in all, hidden ones included; 0 when the uploads are left out
	// More: uploads exist past this page (hidden ones included, so a later
	// page may turn out empty; see more). False when the uploads are left out.
	More     bool
	Archives []Card
	Degraded []Degraded
}
