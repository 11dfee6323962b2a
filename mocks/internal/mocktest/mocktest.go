// Package mocktest is what the tests of the mocks packages share: a mock
// cluster over the Classic seed 1 world with a client per service, and small
// assertions on gRPC results.
package mocktest

import (
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"mosaic/clients"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
)

// Clients is a client of every mock service.
type Clients struct {
	Account  accountv1.AccountServiceClient
	Archive  archivev1.ArchiveServiceClient
	Stat     statv1.StatServiceClient
	Relation relationv1.RelationServiceClient
	Feed     feedv1.FeedServiceClient
	Reply    replyv1.ReplyServiceClient
}

// Seed1 is the world the tests run against: dataset.Shared(1).
func Seed1() *dataset.Dataset { return dataset.Shared(1) }

// Start starts a cluster over Seed1 and dials every service over real gRPC;
// cleanup closes the connections, then stops the cluster.
func Start(t *testing.T, opts fakes.Options) (*cluster.Cluster, Clients) {
	t.Helper()
	c, err := cluster.Start(t.Context(), Seed1(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	dial := func(service string) *grpc.ClientConn {
		addr := c.Addr(service)
		if addr == "" {
			t.Fatalf("no address for %s", service)
		}
		return Dial(t, addr)
	}
	return c, Clients{
		Account:  accountv1.NewAccountServiceClient(dial(clients.Account)),
		Archive:  archivev1.NewArchiveServiceClient(dial(clients.Archive)),
		Stat:     statv1.NewStatServiceClient(dial(clients.Stat)),
		Relation: relationv1.NewRelationServiceClient(dial(clients.Relation)),
		Feed:     feedv1.NewFeedServiceClient(dial(clients.Feed)),
		Reply:    replyv1.NewReplyServiceClient(dial(clients.Reply)),
	}
}

// Dial connects to addr without TLS, closing the connection at cleanup.
func Dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// IDs returns from, from+1, ..., n of them.
func IDs(from, n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}

// WantCode fails t unless err has code and its message mentions every inMsg.
func WantCode(t *testing.T, what string, err error, code codes.Code, inMsg ...string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Errorf("%s: code %v (%v), want %v", what, st.Code(), err, code)
		return
	}
	for _, s := range inMsg {
		if !strings.Contains(st.Message(), s) {
			t.Errorf("%s: message %q does not mention %q", what, st.Message(), s)
		}
	}
}
