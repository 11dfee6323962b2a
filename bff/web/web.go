// Package web serves and adapts scenes for browsers: the full card, large
// covers on every network, plain numbers and RFC 3339 times.
package web

import (
	"mosaic/bff/device"
	"mosaic/bff/endpoint"
)

// Device is the web's entry in the device registry (bff/devices). Its
// bodies vary on no device header (one cover for every network, plain
// numbers, RFC 3339 times), and browsers call it across origins.
func Device() endpoint.Device {
	return endpoint.Device{Name: "web", PageSize: device.PageSize{Default: 20, Max: 50}, Related: 20, Replies: 10, CORS: true, Routes: routes}
}

// cover is the same on every network: a browser's network class says little
// about its bandwidth.
func cover() device.Image { return device.Image{W: 1280, H: 720, Format: "webp"} }
