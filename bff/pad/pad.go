// Package pad serves and adapts scenes for the tablet app: larger covers than
// the phone, an 80-rune desc, three counters with display strings.
package pad

import (
	"mosaic/bff/device"
	"mosaic/bff/endpoint"
)

// descRunes is how much of a desc fits under a pad card.
const descRunes = 80

// Device is the pad's entry in the device registry (bff/devices). The pad
// validates X-Client-Build but no adapter reads it yet, so its bodies do
// not vary on it.
func Device() endpoint.Device {
	return endpoint.Device{Name: "pad", PageSize: device.PageSize{Default: 20, Max: 40}, Related: 12, Replies: 8, Builds: true,
		Vary: []string{"X-Network", "Accept-Language"}, Routes: routes}
}

func covers() device.Covers {
	return device.Covers{
		Fast: device.Image{W: 960, H: 540, Format: "webp"},
		Mid:  device.Image{W: 640, H: 360, Format: "webp"},
		Slow: device.Image{W: 480, H: 270, Q: 50, Format: "webp"},
	}
}
