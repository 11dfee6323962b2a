package scene

import (
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	relationv1 "mosaic/clients/relation/v1"
	statv1 "mosaic/clients/stat/v1"
)

// Feed is the home feed before device adaptation. More: the recommender
// filled the page, so its stream goes on; Cards may still hold fewer than
// PS, since hidden archives are dropped.
type Feed struct {
	Page     int
	PS       int
	Cards    []Card
	More     bool
	Degraded []Degraded
}

// Card is one visible archive with what is known about it. Stat, Owner and
// Relation are nil when their section is degraded or the entity is unknown.
type Card struct {
	Archive  *archivev1.Archive
	Reason   string
	Stat     *statv1.Stat
	Owner    *accountv1.Profile
	Relation *relationv1.Relation
}
