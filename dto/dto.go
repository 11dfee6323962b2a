// Package dto holds the JSON bodies mosaic sends to devices. Each device has
// its own card type where its shape differs (see api.openapi.yaml); the
// envelope and the small building blocks are shared. Every link is a URL,
// which only SafeURL builds.
package dto

// Degraded names a section left out because an optional downstream failed.
type Degraded struct {
	Section string `json:"section"`
	// Reason is unavailable, timeout, circuit_open or error for a missing
	// section, stale for one shown from entries past their freshness bound.
	Reason string `json:"reason"`
}

// Count is a number with its display string, for app and pad.
type Count struct {
	Num  int64  `json:"num"`
	Text string `json:"text"`
}

// Owner is an uploader as native and web clients show it. Name and face are
// absent when profiles are degraded, face also when the profile's is no URL a
// client can load safely; following when relations are (or the viewer is
// anonymous).
type Owner struct {
	Mid       int64  `json:"mid"`
	Name      string `json:"name,omitempty"`
	Face      URL    `json:"face,omitzero"`
	Following *bool  `json:"following,omitempty"`
}

// Problem is an RFC 9457 problem details body (application/problem+json).
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Param names the query parameter, path parameter or header that was
	// wrong, for a 400.
	Param string `json:"param,omitempty"`
	// Section names the critical dependency that failed, for a 503 or 504.
	Section string `json:"section,omitempty"`
}
