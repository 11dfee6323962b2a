// Package web serves and adapts scenes for browsers: the full card, large
// covers on every network, plain numbers and RFC 3339 times.
package web

import (
	"mosaic/bff/device"
	"mosaic/bff/endpoint"
	"mosaic/bff/scene"
	relationv1 "mosaic/clients/relation/v1"
	"mosaic/dto"
)

// Device is the web's entry in the device registry (bff/devices). Its
// bodies vary on no device header (one cover for every network, plain
// numbers, RFC 3339 times), and browsers call it across origins.
func Device() endpoint.Device {
	return endpoint.Device{Name: "web", PageSize: device.PageSize{Default: 20, Max: 50}, Related: 20, Replies: 10, CORS: true, Routes: endpoint.Scenes(Adapt())}
}

// cover is the same on every network: a browser's network class says little
// about its bandwidth.
func cover() device.Image { return device.Cover(1280, 720, "webp") }

// Adapt is the web's adapters: every field, plain numbers, RFC 3339 times.
func Adapt() device.Adapters[dto.WebCard, dto.WebReply, dto.WebUser] {
	return device.Adapt(card, reply, user)
}

func card(c scene.Card, _ device.View) dto.WebCard {
	a := c.Archive
	out := dto.WebCard{
		Head:     device.Head(c),
		Desc:     a.GetDesc(),
		Cover:    device.ImageURL(a.GetCover(), cover()),
		Duration: a.GetDurationS(),
		Pubdate:  device.RFC3339(a.GetPubdate()),
		Tags:     nonNil(a.GetTags()),
		Reason:   c.Reason,
		Owner:    device.Owner(c),
	}
	if s := c.Stat; s != nil {
		out.Stats = &dto.WebStats{
			View:     s.GetView(),
			Danmaku:  s.GetDanmaku(),
			Reply:    s.GetReply(),
			Favorite: s.GetFavorite(),
			Coin:     s.GetCoin(),
			Share:    s.GetShare(),
			Like:     s.GetLike(),
		}
	}
	return out
}

func reply(r scene.Reply, _ device.View) dto.WebReply {
	return dto.WebReply{
		Rpid:    r.GetRpid(),
		Message: r.GetMessage(),
		Like:    r.GetLike(),
		Ctime:   device.RFC3339(r.GetCtime()),
		Member:  device.Member(r),
	}
}

func user(s scene.User, _ device.View) dto.WebUser {
	return device.UserInfo(s, func(c *relationv1.FollowerCount) dto.WebCounts {
		return dto.WebCounts{Follower: c.GetFollower(), Following: c.GetFollowing()}
	})
}

// nonNil keeps "tags": [] rather than null for an archive without tags.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
