// Package mini serves and adapts scenes for the mini-program: the fewest
// bytes (no desc, no times, one display count) and jpg covers. Its URLs are
// https, as every device's are (dto.SafeURL); the host app would refuse
// plain-http resources anyway.
package mini

import (
	"mosaic/bff/device"
	"mosaic/bff/endpoint"
)

// Device is the mini-program's entry in the device registry (bff/devices).
func Device() endpoint.Device {
	return endpoint.Device{Name: "mini", PageSize: device.PageSize{Default: 6, Max: 12}, Related: 6, Replies: 3,
		Vary: []string{"X-Network", "Accept-Language"}, Routes: routes}
}

func covers() device.Covers {
	return device.Covers{
		Fast: device.Image{W: 480, H: 270, Format: "jpg"},
		Mid:  device.Image{W: 320, H: 180, Format: "jpg"},
		Slow: device.Image{W: 320, H: 180, Q: 50, Format: "jpg"},
	}
}
