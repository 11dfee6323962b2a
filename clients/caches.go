package clients

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"google.golang.org/protobuf/proto"

	"mosaic/clients/cache"
	"mosaic/clients/conn"
)

// Caches configures the entity caches Dial puts in front of the reads by
// ID whose answers do not depend on the viewer: archives, profiles and
// stats (the services with a CacheShare). Relations, the feed and the
// lists are never cached: they are the viewer's own, or a page of a
// stream (docs/ARCHITECTURE.md, "Entity caches").
type Caches struct {
	// Fresh is each cached service's freshness bound, by name (Archive,
	// Account, Stat); every cached service needs one.
	Fresh map[string]time.Duration
	// Stale is how long past its freshness an entry may answer when the
	// downstream fails; Negative how long an absent ID is remembered.
	Stale, Negative time.Duration
	// MaxBytes bounds the memory the entries of all caches take together,
	// shared out by the services' CacheShare; an entry weighs its message's
	// estimated size in memory (MessageSize) plus cache.EntryOverhead.
	MaxBytes int64
	// Metrics receives the caches' counts; nil counts into series no one
	// registered.
	Metrics *cache.Metrics
}

func (c Caches) validate() error {
	var errs []error
	for _, svc := range All() {
		if svc.CacheShare > 0 && c.Fresh[svc.Name] <= 0 {
			errs = append(errs, fmt.Errorf("the %s cache needs a positive freshness bound", svc.Name))
		}
	}
	if c.MaxBytes < 1<<20 {
		errs = append(errs, errors.New("caches: MaxBytes must be at least 1 MB"))
	}
	return errors.Join(errs...)
}

// options are the cache options of svc. The lane is the request's traffic
// color and a mock scenario bypasses the cache, both as conn carries them
// downstream: a canary's answer or an injected fault never reaches other
// traffic.
func (c Caches) options(svc Service) cache.Options {
	return cache.Options{
		MaxBytes: int64(float64(c.MaxBytes) * svc.CacheShare),
		Size:     MessageSize,
		Fresh:    c.Fresh[svc.Name],
		Stale:    c.Stale,
		Negative: c.Negative,
		Lane:     conn.Color,
		Scenario: conn.Scenario,
		Metrics:  c.Metrics,
	}
}

// MessageSize estimates the bytes a decoded message (a proto.Message) holds
// in memory: its Go struct, and its encoded size with a quarter more for
// the rounding of its strings' allocations and 16 for a repeated field's
// slice. TestMessageSizeCoversTheDecodedMessages measures it.
func MessageSize(v any) int {
	m, ok := v.(proto.Message)
	if !ok || m == nil {
		return 0
	}
	return int(reflect.TypeOf(m).Elem().Size()) + proto.Size(m)*5/4 + 16
}
