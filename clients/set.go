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

// Set is one typed client per downstream service.
type Set struct {
	Accounts    *account.Client
	Archives    *archive.Client
	Stats       *stat.Client
	Relations   *relation.Client
	Recommender *feed.Client
	Replies     *reply.Client
}

// Dial connects to the six downstreams, targets keyed by service name (see
// Services). Connections are lazy: a downstream that is down fails its
// calls, not the start. close releases every connection.
func Dial(targets map[string]string, o conn.Options, opts ...grpc.DialOption) (set *Set, close func(), err error) {
	conns := map[string]*grpc.ClientConn{}
	close = func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for _, svc := range Services() {
		t, ok := targets[svc]
		if !ok {
			close()
			return nil, nil, fmt.Errorf("no target for the %s service", svc)
		}
		cc, err := conn.Dial(svc, t, o, opts...)
		if err != nil {
			close()
			return nil, nil, fmt.Errorf("%s: %w", svc, err)
		}
		conns[svc] = cc
	}
	return &Set{
		Accounts:    account.New(conns[Account]),
		Archives:    archive.New(conns[Archive]),
		Stats:       stat.New(conns[Stat]),
		Relations:   relation.New(conns[Relation]),
		Recommender: feed.New(conns[Feed]),
		Replies:     reply.New(conns[Reply]),
	}, close, nil
}
