// Package app serves and adapts scenes for the phone app: small covers that
// shrink on slow networks, display counts with numbers, two counters, no
// desc, and the flat legacy card for builds that predate the nested one.
package app

import (
	"mosaic/bff/device"
	"mosaic/bff/endpoint"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// Device is the app's entry in the device registry (bff/devices).
func Device() endpoint.Device {
	return endpoint.Device{Name: "app", PageSize: device.PageSize{Default: 10, Max: 20}, Related: 10, Replies: 5, Builds: true,
		Vary: []string{"X-Network", "Accept-Language", "X-Client-Build"}, Routes: endpoint.Scenes(Adapt())}
}

func covers() device.Covers {
	return device.Covers{Fast: device.Cover(640, 360, "webp"), Mid: device.Cover(480, 270, "webp"), Slow: device.Cover(320, 180, "webp").AtQuality(50)}
}

// Adapt is the app's adapters: the nested card for current builds, the
// flat one for builds below device.LegacyBuild, which never upgrade.
func Adapt() device.Builds[dto.AppCard, dto.AppLegacyCard, dto.NativeReply, dto.NativeUser] {
	return device.ByBuild(device.Native(card), device.Native(legacyCard))
}

func card(c scene.Card, v device.View) dto.AppCard {
	out := dto.AppCard{Head: device.Head(c), NativeCard: device.NativeCard(c, covers().For(v.Network))}
	if s := c.Stat; s != nil {
		out.Stats = &dto.AppStats{View: device.Count(s.GetView(), v.Lang), Danmaku: device.Count(s.GetDanmaku(), v.Lang)}
	}
	return out
}

// legacyCard flattens owner and stats: builds below 8000000 read a card's
// owner_name, owner_face and play, and break on a card with nested objects
// or missing fields. Their replies and user header are the current ones,
// as the design's legacy rule is the card's alone. Those builds do not
// read degraded either, so a card without stats shows no play count
// (play_text empty, as owner_name is without the owner) rather than "0",
// which they would show as a real one.
func legacyCard(c scene.Card, v device.View) dto.AppLegacyCard {
	a := c.Archive
	out := dto.AppLegacyCard{
		Head:      device.Head(c),
		Cover:     device.ImageURL(a.GetCover(), covers().For(v.Network)),
		Duration:  a.GetDurationS(),
		Pubdate:   a.GetPubdate(),
		Reason:    c.Reason, // the legacy rule flattens owner and stats only
		OwnerName: c.Owner.GetName(),
		OwnerFace: dto.SafeURL(c.Owner.GetFace()),
	}
	if c.Stat != nil {
		out.Play = c.Stat.GetView()
		out.PlayText = device.Display(out.Play, v.Lang)
	}
	return out
}
