package mini

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// Adapt is the mini-program's adapters: the fewest bytes, display counts.
func Adapt() device.Adapters[dto.MiniCard, dto.MiniReply, dto.MiniUser] {
	return device.Adapt(card, reply, user)
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
