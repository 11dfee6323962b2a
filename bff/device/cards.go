package device

import (
	"mosaic/bff/scene"
	"mosaic/dto"
)

// Degraded lists the sections a scene left out.
func Degraded(d []scene.Degraded) []dto.Degraded {
	if len(d) == 0 {
		return nil
	}
	out := make([]dto.Degraded, len(d))
	for i, s := range d {
		out[i] = dto.Degraded{Section: s.Section, Reason: s.Reason}
	}
	return out
}

// Count pairs a number with its display string (app and pad).
func Count(n int64, lang Lang) dto.Count {
	return dto.Count{Num: n, Text: Display(n, lang)}
}

// NativeCard is c between its title and its counters as the native apps
// show it, with the cover rendition cover.
func NativeCard(c scene.Card, cover Image) dto.NativeCard {
	a := c.Archive
	return dto.NativeCard{
		Cover:    ImageURL(a.GetCover(), cover),
		Duration: a.GetDurationS(),
		Pubdate:  a.GetPubdate(),
		Reason:   c.Reason,
		Owner:    Owner(c),
	}
}

// Owner is a card's uploader as native and web clients show it: name and
// face when the profile is known (face only if it is a safe URL), following
// when the relation is.
func Owner(c scene.Card) dto.Owner {
	o := dto.Owner{Mid: c.Archive.GetOwnerMid()}
	if c.Owner != nil {
		o.Name = c.Owner.GetName()
		o.Face = dto.SafeURL(c.Owner.GetFace())
	}
	if c.Relation != nil {
		following := c.Relation.GetFollowing()
		o.Following = &following
	}
	return o
}

// Head is what every card starts with: which video, and its title.
func Head(c scene.Card) dto.Head {
	return dto.Head{Aid: c.Archive.GetAid(), Title: c.Archive.GetTitle()}
}
