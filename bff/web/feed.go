package web

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// AdaptFeed shapes a feed for this device.
func AdaptFeed(f scene.Feed, v device.View) dto.Feed[dto.WebCard] {
	return device.FeedBody(f, v, card)
}

func card(c scene.Card, _ device.View) dto.WebCard {
	a := c.Archive
	out := dto.WebCard{
		Aid:      a.GetAid(),
		Title:    a.GetTitle(),
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

// nonNil keeps "tags": [] rather than null for an archive without tags.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
