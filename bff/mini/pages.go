package mini

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// AdaptVideo shapes the video page for the mini-program.
func AdaptVideo(s scene.Video, v device.View) dto.Video[dto.MiniCard, dto.MiniReply] {
	return device.VideoBody(s, v, card, reply)
}

// AdaptUser shapes the user page for the mini-program.
func AdaptUser(s scene.User, v device.View) dto.User[dto.MiniUser, dto.MiniCard] {
	return device.UserBody(s, v, user, card)
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
