package request

import (
	"net"
	"net/netip"
)

// Trust is the set of peers allowed to assert identity (the gateway).
type Trust []netip.Prefix

// Loopback trusts only this machine, as mock mode does.
func Loopback() Trust {
	return Trust{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// Allows reports whether remoteAddr (host:port, as in http.Request) is trusted.
func (t Trust) Allows(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range t {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
