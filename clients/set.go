package clients

import (
	"fmt"

	"google.golang.org/grpc"

	"mosaic/clients/account"
	"mosaic/clients/archive"
	"mosaic/clients/conn"
	"mosaic/clients/feed"
	"mosaic/clients/relation"
	"mosaic/clients/reply"
	"mosaic/clients/stat"
)

// Set is one typed client per downstream service of the registry (All).
type Set struct {
	Accounts    *account.Client
	Archives    *archive.Client
	Stats       *stat.Client
	Relations   *relation.Client
	Recommender *feed.Client
	Replies     *reply.Client
}

// Dial connects to every downstream of the registry, targets keyed by
// service name. Connections are lazy: a downstream that is down fails its
// calls, not the start. close releases every connection.
func Dial(targets map[string]string, o conn.Options, opts ...grpc.DialOption) (set *Set, close func(), err error) {
	var conns []*grpc.ClientConn
	close = func() {
		for _, c := range conns {
			c.Close()
		}
	}
	set = &Set{}
	for _, svc := range All() {
		t, ok := targets[svc.Name]
		if !ok {
			close()
			return nil, nil, fmt.Errorf("no target for the %s service", svc.Name)
		}
		cc, err := conn.Dial(svc.Name, t, o, opts...)
		if err != nil {
			close()
			return nil, nil, fmt.Errorf("%s: %w", svc.Name, err)
		}
		conns = append(conns, cc)
		svc.bind(set, cc, svc.MaxBatch)
	}
	return set, close, nil
}
