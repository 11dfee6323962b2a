// Package pad serves and adapts scenes for the tablet app: larger covers than
// the phone, an 80-rune desc, three counters with display strings.
package pad

import (
	"mosaic/bff/device"
	"mosaic/bff/endpoint"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// descRunes is how much of a desc fits under a pad card.
const descRunes = 80

// Device is the pad's entry in the device registry (bff/devices). The pad
// validates X-Client-Build but no adapter reads it yet, so its bodies do
// not vary on it.
func Device() endpoint.Device {
	return endpoint.Device{Name: "pad", PageSize: device.PageSize{Default: 20, Max: 40}, Related: 12, Replies: 8, Builds: true,
		Vary: []string{"X-Network", "Accept-Language"}, Routes: endpoint.Scenes(Adapt())}
}

func covers() device.Covers {
	return device.Covers{Fast: device.Cover(960, 540, "webp"), Mid: device.Cover(640, 360, "webp"), Slow: device.Cover(480, 270, "webp").AtQuality(50)}
}

// Adapt is the pad's adapters: its card, with the native apps' replies and
// user header.
func Adapt() device.Adapters[dto.PadCard, dto.NativeReply, dto.NativeUser] {
	return device.Native(card)
}

func card(c scene.Card, v device.View) dto.PadCard {
	out := dto.PadCard{
		Head:       device.Head(c),
		Desc:       device.Truncate(c.Archive.GetDesc(), descRunes),
		NativeCard: device.NativeCard(c, covers().For(v.Network)),
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
