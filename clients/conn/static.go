package conn

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"google.golang.org/grpc/resolver"
)

const staticScheme = "static"

// staticBuilder resolves static:///h:p,h:p to a fixed address list, for
// configurations without a registry (local runs, compose, tests).
type staticBuilder struct{}

func (staticBuilder) Scheme() string { return staticScheme }

func (staticBuilder) Build(t resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	addrs, err := parseStatic(t.Endpoint())
	if err != nil {
		return nil, err
	}
	if err := cc.UpdateState(resolver.State{Addresses: addrs}); err != nil {
		return nil, err
	}
	return staticResolver{}, nil
}

func parseStatic(endpoint string) ([]resolver.Address, error) {
	var addrs []resolver.Address
	for _, hp := range strings.Split(endpoint, ",") {
		hp = strings.TrimSpace(hp)
		_, port, err := net.SplitHostPort(hp)
		if err != nil {
			return nil, fmt.Errorf("static target: %q: %w", hp, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("static target: %q: the port must be a number from 1 to 65535", hp)
		}
		addrs = append(addrs, resolver.Address{Addr: hp})
	}
	return addrs, nil
}

// staticResolver has nothing to refresh: the list never changes.
type staticResolver struct{}

func (staticResolver) ResolveNow(resolver.ResolveNowOptions) {}
func (staticResolver) Close()                                {}
