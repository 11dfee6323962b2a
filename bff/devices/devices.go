// Package devices is the device registry: every device mosaic serves, in
// one list that the router, the spec check, the QA tools and the tests
// iterate. Adding a device is one entry here and its own package,
// bff/<device>, whose Device gives the entry (docs/ARCHITECTURE.md, "How to
// add…", "A device").
package devices

import (
	"slices"

	"mosaic/bff/app"
	"mosaic/bff/endpoint"
	"mosaic/bff/mini"
	"mosaic/bff/pad"
	"mosaic/bff/web"
)

// All are the devices, in the order of the docs, of the reports and of
// every comparison between devices.
func All() []endpoint.Device {
	return []endpoint.Device{app.Device(), pad.Device(), web.Device(), mini.Device()}
}

// Names are the names of All, in its order.
func Names() []string {
	var names []string
	for _, d := range All() {
		names = append(names, d.Name)
	}
	return names
}

// ByName is the device called name; ok is false for none.
func ByName(name string) (d endpoint.Device, ok bool) {
	all := All()
	if i := slices.IndexFunc(all, func(d endpoint.Device) bool { return d.Name == name }); i >= 0 {
		return all[i], true
	}
	return endpoint.Device{}, false
}
