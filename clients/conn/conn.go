// Package conn dials downstream targets: it resolves the target schemes mosaic
// understands and installs the interceptors every downstream call goes through.
package conn

import (
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// roundRobin spreads calls over every resolved instance instead of pinning
// one (grpc's default, pick_first).
const roundRobin = `{"loadBalancingConfig":[{"round_robin":{}}]}`

// Dial returns a client connection to target, one of
// static:///host:port[,host:port...] or dns:///name:port.
// The connection is lazy: it connects on first use.
func Dial(target string, m *Metrics, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	scheme, _, ok := strings.Cut(target, ":///")
	if !ok {
		return nil, fmt.Errorf("downstream target %q: want scheme:///endpoint", target)
	}
	switch scheme {
	case staticScheme, "dns":
	default:
		return nil, fmt.Errorf("downstream target %q: unsupported scheme %q (static, dns)", target, scheme)
	}
	base := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(staticBuilder{}),
		grpc.WithDefaultServiceConfig(roundRobin),
	}
	if m != nil {
		base = append(base, grpc.WithChainUnaryInterceptor(m.interceptor))
	}
	return grpc.NewClient(target, append(base, opts...)...)
}
