package pad

import (
	"mosaic/bff/device"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// AdaptVideo shapes the video page for the pad.
func AdaptVideo(s scene.Video, v device.View) dto.Video[dto.PadCard, dto.NativeReply] {
	return device.VideoBody(s, v, card, device.NativeReply)
}

// AdaptUser shapes the user page for the pad.
func AdaptUser(s scene.User, v device.View) dto.User[dto.NativeUser, dto.PadCard] {
	return device.UserBody(s, v, device.NativeUser, card)
}
