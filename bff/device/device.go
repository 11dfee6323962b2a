// Package device holds the vocabulary and the pure helpers that the four
// device packages (app, pad, web, mini) share to adapt a scene: what a
// request says about the device (View), cover URLs, display counts, text
// and time formats. No I/O here: every function is a table-testable
// transformation, and a device package composes them with its own rules.
package device

import (
	"slices"
	"strings"
)

// Network is the client's network class, from the X-Network header.
type Network string

const (
	WiFi Network = "wifi"
	G5   Network = "5g"
	G4   Network = "4g"
	G3   Network = "3g"
	G2   Network = "2g"
)

// Networks are the X-Network values of the contract, fastest first.
func Networks() []Network { return []Network{WiFi, G5, G4, G3, G2} }

// NetworkList is Networks for a message: "wifi, 5g, 4g, 3g, 2g".
func NetworkList() string {
	var b strings.Builder
	for i, n := range Networks() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(n))
	}
	return b.String()
}

// ParseNetwork accepts exactly the X-Network values of the contract.
func ParseNetwork(s string) (Network, bool) {
	if n := Network(s); slices.Contains(Networks(), n) {
		return n, true
	}
	return "", false
}

// Lang selects the display-string style.
type Lang uint8

const (
	// English (and every language but Chinese): 1.2K, 3.4M, 5.6B.
	English Lang = iota
	// Chinese: 1.2万, 3.4亿.
	Chinese
	// TraditionalChinese (Taiwan, Hong Kong, Macau): 1.2萬, 3.4億. The
	// design's zh* rule names the simplified units only; a reader in Taipei
	// would see them as mainland text.
	TraditionalChinese
)

// LegacyBuild is the first app build that understands the nested card;
// older builds never upgrade and keep receiving the flat legacy card.
const LegacyBuild = 8000000

// View is what one request says about the device beyond its kind: how to
// size images, which language to format numbers in, which app build asks.
type View struct {
	Network Network
	Lang    Lang
	// Build is the X-Client-Build of app and pad; 0 when the client sent none
	// (web, mini, or a current app that omits it) and is treated as current.
	Build int64
}

// Legacy reports whether the client is an app build older than LegacyBuild.
func (v View) Legacy() bool { return v.Build > 0 && v.Build < LegacyBuild }

// PageSize is a device's default and maximum page size.
type PageSize struct {
	Default, Max int
}
