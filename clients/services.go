package clients

import (
	"google.golang.org/grpc"

	"mosaic/clients/account"
	accountv1 "mosaic/clients/account/v1"
	"mosaic/clients/archive"
	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/cache"
	"mosaic/clients/contract"
	"mosaic/clients/feed"
	feedv1 "mosaic/clients/feed/v1"
	"mosaic/clients/relation"
	relationv1 "mosaic/clients/relation/v1"
	"mosaic/clients/reply"
	replyv1 "mosaic/clients/reply/v1"
	"mosaic/clients/stat"
	statv1 "mosaic/clients/stat/v1"
)

// The downstream services, by the short name used in flags, metrics labels,
// registry keys and X-Mock-Scenario.
const (
	Account  = "account"
	Archive  = "archive"
	Stat     = "stat"
	Relation = "relation"
	Feed     = "feed"
	Reply    = "reply"
)

// Service is one downstream in the service registry.
type Service struct {
	// Name is the short name (Account, Archive...).
	Name string
	// Desc is the generated gRPC service the entry stands for: its proto
	// package is Name, which the calls' method names carry to the metrics,
	// the recorder and the mocks (a test holds the two together).
	Desc *grpc.ServiceDesc
	// MaxBatch is the most IDs one call may carry: the typed client splits
	// larger sets into concurrent calls of at most this many.
	MaxBatch int
	// CacheShare is the part of Caches.MaxBytes the service's entity cache
	// may take; 0: its reads are never cached (they depend on the viewer,
	// or are pages of a stream).
	CacheShare float64
	// bind sets the service's typed client in s, over cc.
	bind func(s *Set, cc grpc.ClientConnInterface, max int)
	// cache puts an entity cache of o in front of the service's typed
	// client in s; nil when CacheShare is 0.
	cache func(s *Set, name string, o cache.Options) (close func(), err error)
}

// All is the service registry: every downstream, in the fixed order of
// flags, docs and reports. Adding a service is one entry here, its own
// package under clients/ and its field in Set (docs/ARCHITECTURE.md, "How
// to add…", "A downstream service").
func All() []Service {
	return []Service{
		// Archives are the largest entries (title, description, tags) and
		// the most read: half the bytes; profiles and stats a quarter each.
		{Account, &accountv1.AccountService_ServiceDesc, contract.MaxBatch, 0.25,
			func(s *Set, cc grpc.ClientConnInterface, max int) { s.Accounts = account.New(cc, max) },
			func(s *Set, name string, o cache.Options) (func(), error) { return s.Accounts.Cache(name, o) }},
		{Archive, &archivev1.ArchiveService_ServiceDesc, contract.MaxBatch, 0.5,
			func(s *Set, cc grpc.ClientConnInterface, max int) { s.Archives = archive.New(cc, max) },
			func(s *Set, name string, o cache.Options) (func(), error) { return s.Archives.Cache(name, o) }},
		{Stat, &statv1.StatService_ServiceDesc, contract.MaxBatch, 0.25,
			func(s *Set, cc grpc.ClientConnInterface, max int) { s.Stats = stat.New(cc, max) },
			func(s *Set, name string, o cache.Options) (func(), error) { return s.Stats.Cache(name, o) }},
		{Relation, &relationv1.RelationService_ServiceDesc, contract.MaxBatch, 0,
			func(s *Set, cc grpc.ClientConnInterface, max int) { s.Relations = relation.New(cc, max) }, nil},
		{Feed, &feedv1.FeedService_ServiceDesc, contract.MaxBatch, 0,
			func(s *Set, cc grpc.ClientConnInterface, _ int) { s.Recommender = feed.New(cc) }, nil},
		{Reply, &replyv1.ReplyService_ServiceDesc, contract.MaxBatch, 0,
			func(s *Set, cc grpc.ClientConnInterface, max int) { s.Replies = reply.New(cc, max) }, nil},
	}
}

// Services are the names of All, in its order.
func Services() []string {
	var names []string
	for _, svc := range All() {
		names = append(names, svc.Name)
	}
	return names
}
