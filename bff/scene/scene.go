// Package scene holds the device-neutral screens mosaic serves: a scene as
// assembled from the downstream services (bff/assemble), before any device
// adapts it (bff/device and the device packages), with the sections it can
// leave out and why. Types only: adapting reads them without depending on
// how they were fetched.
package scene
