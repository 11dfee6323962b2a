package web

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
	relationv1 "mosaic/clients/relation/v1"
	"mosaic/dto"
)

// AdaptVideo shapes the video page for the web.
func AdaptVideo(s scene.Video, v device.View) dto.Video[dto.WebCard, dto.WebReply] {
	return device.VideoBody(s, v, card, reply)
}

// AdaptUser shapes the user page for the web.
func AdaptUser(s scene.User, v device.View) dto.User[dto.WebUser, dto.WebCard] {
	return device.UserBody(s, v, user, card)
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
