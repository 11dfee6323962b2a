// Package reference holds what the two reference BFFs that bffctl bench
// measures mosaic against share (packages floor and naive): the page
// shapes they serve, the gRPC stubs they call, the web-shaped JSON they
// build from what they fetched, and the HTTP handler that routes a scene
// request to one of them. Both build their bodies with the same functions
// from the same maps, so for the same request they answer byte-identical
// JSON; only their downstream calls differ.
package reference

import (
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"mosaic/clients"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
)

// What the reference BFFs show, as mosaic's web device does.
const (
	MaxPS     = 50 // the web's max page size, also the downstream batch limit: no chunking needed
	DefaultPS = 20
	Related   = 20 // related videos on the video page
	Replies   = 10 // hot replies on the video page
	Device    = "web"
)

// Stubs are the generated gRPC clients of the six downstreams.
type Stubs struct {
	Account  accountv1.AccountServiceClient
	Archive  archivev1.ArchiveServiceClient
	Stat     statv1.StatServiceClient
	Relation relationv1.RelationServiceClient
	Feed     feedv1.FeedServiceClient
	Reply    replyv1.ReplyServiceClient
}

// Dial opens one plain connection per service; targets maps a service
// name to host:port. close releases them.
func Dial(targets map[string]string) (s *Stubs, close func(), err error) {
	var conns []*grpc.ClientConn
	close = func() {
		for _, c := range conns {
			c.Close()
		}
	}
	cc := map[string]*grpc.ClientConn{}
	for _, svc := range clients.Services() {
		addr, ok := targets[svc]
		if !ok {
			close()
			return nil, nil, fmt.Errorf("no target for the %s service", svc)
		}
		c, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			close()
			return nil, nil, fmt.Errorf("%s: %w", svc, err)
		}
		conns = append(conns, c)
		cc[svc] = c
	}
	return &Stubs{
		Account:  accountv1.NewAccountServiceClient(cc[clients.Account]),
		Archive:  archivev1.NewArchiveServiceClient(cc[clients.Archive]),
		Stat:     statv1.NewStatServiceClient(cc[clients.Stat]),
		Relation: relationv1.NewRelationServiceClient(cc[clients.Relation]),
		Feed:     feedv1.NewFeedServiceClient(cc[clients.Feed]),
		Reply:    replyv1.NewReplyServiceClient(cc[clients.Reply]),
	}, close, nil
}
