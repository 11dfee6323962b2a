package assemble_test

import (
	"context"
	"testing"

	"mosaic/bff/assemble"
	"mosaic/clients"
	"mosaic/clients/conn"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
)

// BenchmarkScene measures assembling each scene: the dataflow and its
// batched gRPC calls to the mock downstreams on loopback (no added
// latency), without HTTP or device adaptation.
func BenchmarkScene(b *testing.B) {
	data := dataset.Shared(1)
	cluster, err := cluster.Start(context.Background(), data, fakes.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer cluster.Stop()
	targets := map[string]string{}
	for _, svc := range clients.Services() {
		targets[svc] = "static:///" + cluster.Addr(svc)
	}
	set, closeConns, err := clients.Dial(targets, conn.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer closeConns()
	s := &assemble.Service{Set: set}
	aid, ok := data.DiscussedAid(3) // a video with replies, so that the page loads every section
	if !ok {
		b.Fatal("no video with replies in the dataset")
	}
	var mid int64
	for _, m := range data.Mids() {
		if _, total := data.ListByOwner(m, 1, 1); total > 20 {
			mid = m
			break
		}
	}
	ctx := context.Background()
	cases := []struct {
		name string
		run  func() error
	}{
		{"feed", func() error {
			_, err := s.Feed(ctx, assemble.FeedQuery{Viewer: 42, Device: "web", Page: 1, PS: 20})
			return err
		}},
		{"video", func() error {
			_, err := s.Video(ctx, assemble.VideoQuery{Viewer: 42, Aid: aid, Related: 20, Replies: 10})
			return err
		}},
		{"user", func() error {
			_, err := s.User(ctx, assemble.UserQuery{Viewer: 42, Mid: mid, Page: 1, PS: 20})
			return err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
