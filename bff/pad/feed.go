package pad

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// AdaptFeed shapes a feed for this device.
func AdaptFeed(f scene.Feed, v device.View) dto.Feed[dto.PadCard] {
	return device.FeedBody(f, v, card)
}

func card(c scene.Card, v device.View) dto.PadCard {
	a := c.Archive
	out := dto.PadCard{
		Aid:      a.GetAid(),
		Title:    a.GetTitle(),
		Desc:     device.Truncate(a.GetDesc(), descRunes),
		Cover:    device.ImageURL(a.GetCover(), covers().For(v.Network)),
		Duration: a.GetDurationS(),
		Pubdate:  a.GetPubdate(),
		Reason:   c.Reason,
		Owner:    device.Owner(c),
	}
	if s := c.Stat; s != nil {
		out.Stats = &dto.PadStats{
			View:    device.Count(s.GetView(), v.Lang),
			Danmaku: device.Count(s.GetDanmaku(), v.Lang),
			Like:    device.Count(s.GetLike(), v.Lang),
		}
	}
	return out
}
