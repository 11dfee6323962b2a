// Package app serves and adapts scenes for the phone app: small covers that
// shrink on slow networks, display counts with numbers, two counters, no
// desc, and the flat legacy card for builds that predate the nested one.
package app

import (
	"mosaic/bff/device"
	"mosaic/bff/endpoint"
)

// Device is the app's entry in the device registry (bff/devices).
func Device() endpoint.Device {
	return endpoint.Device{Name: "app", PageSize: device.PageSize{Default: 10, Max: 20}, Related: 10, Replies: 5, Builds: true,
		Vary: []string{"X-Network", "Accept-Language", "X-Client-Build"}, Routes: routes}
}

func covers() device.Covers {
	return device.Covers{
		Fast: device.Image{W: 640, H: 360, Format: "webp"},
		Mid:  device.Image{W: 480, H: 270, Format: "webp"},
		Slow: device.Image{W: 320, H: 180, Q: 50, Format: "webp"},
	}
}
