package app

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// Adapt is the app's adapters: the nested card for current builds, the
// flat one for builds below device.LegacyBuild, which never upgrade.
func Adapt() device.Builds[dto.AppCard, dto.AppLegacyCard, dto.NativeReply, dto.NativeUser] {
	return device.ByBuild(device.Native(card), device.Native(legacyCard))
}

func card(c scene.Card, v device.View) dto.AppCard {
	a := c.Archive
	out := dto.AppCard{
		Aid:      a.GetAid(),
		Title:    a.GetTitle(),
		Cover:    device.ImageURL(a.GetCover(), covers().For(v.Network)),
		Duration: a.GetDurationS(),
		Pubdate:  a.GetPubdate(),
		Reason:   c.Reason,
		Owner:    device.Owner(c),
	}
	if s := c.Stat; s != nil {
		out.Stats = &dto.AppStats{View: device.Count(s.GetView(), v.Lang), Danmaku: device.Count(s.GetDanmaku(), v.Lang)}
	}
	return out
}

// legacyCard flattens owner and stats: builds below 8000000 read owner_name,
// owner_face and play, and break on nested objects.
func legacyCard(c scene.Card, v device.View) dto.AppLegacyCard {
	a := c.Archive
	play := c.Stat.GetView()
	return dto.AppLegacyCard{
		Aid:       a.GetAid(),
		Title:     a.GetTitle(),
		Cover:     device.ImageURL(a.GetCover(), covers().For(v.Network)),
		Duration:  a.GetDurationS(),
		Pubdate:   a.GetPubdate(),
		OwnerName: c.Owner.GetName(),
		OwnerFace: dto.SafeURL(c.Owner.GetFace()),
		Play:      play,
		PlayText:  device.Display(play, v.Lang),
	}
}
