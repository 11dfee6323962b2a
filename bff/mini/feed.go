package mini

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// AdaptFeed shapes a feed for this device.
func AdaptFeed(f scene.Feed, v device.View) dto.Feed[dto.MiniCard] {
	return device.FeedBody(f, v, card)
}

func card(c scene.Card, v device.View) dto.MiniCard {
	a := c.Archive
	out := dto.MiniCard{
		Aid:       a.GetAid(),
		Title:     a.GetTitle(),
		Cover:     device.ImageURL(a.GetCover(), covers().For(v.Network)),
		Duration:  a.GetDurationS(),
		OwnerName: c.Owner.GetName(),
	}
	if c.Stat != nil {
		out.View = device.Display(c.Stat.GetView(), v.Lang)
	}
	return out
}
