package pad

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// Adapt is the pad's adapters: its card, with the native apps' replies and
// user header.
func Adapt() device.Adapters[dto.PadCard, dto.NativeReply, dto.NativeUser] {
	return device.Native(card)
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
