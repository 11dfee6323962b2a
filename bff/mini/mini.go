// Package mini serves and adapts scenes for the mini-program: the fewest
// bytes (no desc, no times, one display count) and jpg covers. Its URLs are
// https, as every device's are (dto.SafeURL); the host app would refuse
// plain-http resources anyway.
package mini

import (
	"mosaic/bff/device"
	"mosaic/bff/endpoint"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// Device is the mini-program's entry in the device registry (bff/devices).
func Device() endpoint.Device {
	return endpoint.Device{Name: "mini", PageSize: device.PageSize{Default: 6, Max: 12}, Related: 6, Replies: 3,
		Vary: []string{"X-Network", "Accept-Language"}, Routes: endpoint.Scenes(Adapt())}
}

func covers() device.Covers {
	return device.Covers{Fast: device.Cover(480, 270, "jpg"), Mid: device.Cover(320, 180, "jpg"), Slow: device.Cover(320, 180, "jpg").AtQuality(50)}
}

// Adapt is the mini-program's adapters: the fewest bytes, display counts.
func Adapt() device.Adapters[dto.MiniCard, dto.MiniReply, dto.MiniUser] {
	return device.Adapt(card, reply, user)
}

func card(c scene.Card, v device.View) dto.MiniCard {
	out := dto.MiniCard{
		Head:      device.Head(c),
		Cover:     device.ImageURL(c.Archive.GetCover(), covers().For(v.Network)),
		Duration:  c.Archive.GetDurationS(),
		OwnerName: c.Owner.GetName(),
	}
	if c.Stat != nil {
		out.View = device.Display(c.Stat.GetView(), v.Lang)
	}
	return out
}

func reply(r scene.Reply, v device.View) dto.MiniReply {
	return dto.MiniReply{
		Rpid:       r.GetRpid(),
		Message:    r.GetMessage(),
		MemberName: r.Member.GetName(),
		Like:       device.Display(r.GetLike(), v.Lang),
	}
}

func user(s scene.User, v device.View) dto.MiniUser {
	u := dto.MiniUser{
		Mid:  s.Profile.GetMid(),
		Name: s.Profile.GetName(),
		Face: dto.SafeURL(s.Profile.GetFace()),
	}
	if s.Counts != nil {
		u.Follower = device.Display(s.Counts.GetFollower(), v.Lang)
	}
	if s.Relation != nil {
		following := s.Relation.GetFollowing()
		u.Following = &following
	}
	return u
}
