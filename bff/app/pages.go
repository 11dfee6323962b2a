package app

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
)

// AdaptVideo shapes the video page; old builds get legacy cards.
func AdaptVideo(s scene.Video, v device.View) any {
	if v.Legacy() {
		return device.VideoBody(s, v, legacyCard, device.NativeReply)
	}
	return device.VideoBody(s, v, card, device.NativeReply)
}

// AdaptUser shapes the user page; old builds get legacy cards.
func AdaptUser(s scene.User, v device.View) any {
	if v.Legacy() {
		return device.UserBody(s, v, device.NativeUser, legacyCard)
	}
	return device.UserBody(s, v, device.NativeUser, card)
}
