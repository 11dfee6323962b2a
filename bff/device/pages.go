package device

import (
	"mosaic/bff/scene"
	relationv1 "mosaic/clients/relation/v1"
	"mosaic/dto"
)

// Member is a reply's author: name and face when the profile is known
// (face only if it is a safe URL).
func Member(r scene.Reply) dto.Member {
	m := dto.Member{Mid: r.GetMid()}
	if r.Member != nil {
		m.Name = r.Member.GetName()
		m.Face = dto.SafeURL(r.Member.GetFace())
	}
	return m
}

// Relation is the viewer's relation to a user, nil when unknown.
func Relation(s scene.User) *dto.Relation {
	if s.Relation == nil {
		return nil
	}
	return &dto.Relation{Following: s.Relation.GetFollowing(), FollowedBy: s.Relation.GetFollowedBy()}
}

// NativeReply is a reply for the app and the pad: display counts, unix times.
func NativeReply(r scene.Reply, v View) dto.NativeReply {
	return dto.NativeReply{
		Rpid:    r.GetRpid(),
		Message: r.GetMessage(),
		Like:    Count(r.GetLike(), v.Lang),
		Ctime:   r.GetCtime(),
		Member:  Member(r),
	}
}

// UserInfo is a user's header with counts shaped by counts (nil when the
// follow counts are degraded).
func UserInfo[C any](s scene.User, counts func(*relationv1.FollowerCount) C) dto.UserInfo[C] {
	p := s.Profile
	u := dto.UserInfo[C]{
		Mid:           p.GetMid(),
		Name:          p.GetName(),
		Face:          dto.SafeURL(p.GetFace()),
		Sign:          p.GetSign(),
		Level:         p.GetLevel(),
		Vip:           p.GetVip(),
		OfficialTitle: p.GetOfficialTitle(),
		Relation:      Relation(s),
	}
	if s.Counts != nil {
		c := counts(s.Counts)
		u.Counts = &c
	}
	return u
}

// NativeUser is a user's header for the app and the pad: display counts.
func NativeUser(s scene.User, v View) dto.NativeUser {
	return UserInfo(s, func(c *relationv1.FollowerCount) dto.NativeCounts {
		return dto.NativeCounts{Follower: Count(c.GetFollower(), v.Lang), Following: Count(c.GetFollowing(), v.Lang)}
	})
}
