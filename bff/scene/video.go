package scene

import (
	accountv1 "mosaic/clients/account/v1"
	replyv1 "mosaic/clients/reply/v1"
)

// Video is the video page before device adaptation: the video as a card
// (Relation is the viewer's to its owner), its visible related videos and
// its hot replies.
type Video struct {
	Card
	Related  []Card
	Replies  []Reply
	Degraded []Degraded
}

// Reply is a hot reply with its author's profile (nil if unknown or degraded).
type Reply struct {
	*replyv1.Reply
	Member *accountv1.Profile
}
