package clients_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"mosaic/clients"
	"mosaic/clients/cache"
	"mosaic/clients/conn"
	"mosaic/internal/reqid"
	"mosaic/internal/telemetry"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/record"
)

func caches(reg prometheus.Registerer) *clients.Caches {
	return &clients.Caches{
		Fresh:    map[string]time.Duration{clients.Archive: time.Minute, clients.Account: time.Minute, clients.Stat: time.Minute},
		Stale:    time.Minute,
		Negative: time.Second,
		MaxBytes: 8 << 20,
		Metrics:  cache.NewMetrics(reg),
	}
}

// Dial with caches puts one in front of archives, profiles and stats and
// of nothing else: a second read of the same IDs asks the mocks again
// only for relations.
func TestDialCachesTheViewerIndependentReadsOnly(t *testing.T) {
	ctx := t.Context()
	var rec record.Recorder
	c, err := cluster.Start(ctx, dataset.Shared(1), fakes.Options{Recorder: &rec})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	targets := c.Targets()
	reg := prometheus.NewRegistry()
	set, closeAll, err := clients.Dial(targets, conn.Options{}, caches(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	ids := []int64{1, 2, 3}
	read := func() {
		t.Helper()
		_, err1 := set.Archives.Archives(ctx, ids)
		_, err2 := set.Accounts.Profiles(ctx, ids)
		_, err3 := set.Stats.Stats(ctx, ids)
		_, err4 := set.Relations.Relations(ctx, 42, ids)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Fatal(err1, err2, err3, err4)
		}
	}
	read()
	first := rec.Services()
	read()
	for svc, n := range rec.Services() {
		if want := map[bool]int{true: first[svc].Calls, false: 2 * first[svc].Calls}[svc != clients.Relation]; n.Calls != want {
			t.Errorf("%s: %d calls after two reads, want %d", svc, n.Calls, want)
		}
	}
	if _, ok := set.Archives.Peek(ctx, ids); !ok {
		t.Error("the archives read are not fresh in the cache")
	}
	fams, err := reg.Gather()
	if err != nil || len(fams) != 2 {
		t.Errorf("%d cache families registered (%v), want 2", len(fams), err)
	}
}

func TestDialRefusesIncompleteCaches(t *testing.T) {
	for name, change := range map[string]func(*clients.Caches){
		"stat":     func(c *clients.Caches) { delete(c.Fresh, clients.Stat) },
		"MaxBytes": func(c *clients.Caches) { c.MaxBytes = 0 },
	} {
		c := caches(nil)
		change(c)
		if _, _, err := clients.Dial(map[string]string{}, conn.Options{}, c); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: %v", name, err)
		}
	}
}

// MessageSize, the weight of a cached message, covers what the decoded
// messages of each cached service really hold on the heap: the byte bound
// bounds memory, not a guess below it.
func TestMessageSizeCoversTheDecodedMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 20,000 messages of each kind and measures the heap")
	}
	d := dataset.New(1, dataset.Config{Archives: 30_000, Accounts: 30_000, PerID: true})
	for name, get := range map[string]func(int64) proto.Message{
		"archive": func(id int64) proto.Message { m, _ := d.Archive(id); return m },
		"profile": func(id int64) proto.Message { m, _ := d.Profile(id); return m },
		"stat":    func(id int64) proto.Message { m, _ := d.Stat(id); return m },
	} {
		const n = 20_000
		wire := make([][]byte, n)
		for i := range wire {
			wire[i], _ = proto.Marshal(get(int64(i + 1)))
		}
		typ := reflect.TypeOf(get(1)).Elem()
		msgs := make([]proto.Message, n)
		base := liveHeap()
		estimate := 0
		for i := range msgs {
			m := reflect.New(typ).Interface().(proto.Message)
			if err := proto.Unmarshal(wire[i], m); err != nil {
				t.Fatal(err)
			}
			msgs[i] = m
			estimate += clients.MessageSize(m)
		}
		held := int(liveHeap() - base)
		runtime.KeepAlive(msgs)
		runtime.KeepAlive(wire) // not counted as freed
		t.Logf("%s: %d B held, %d B estimated per message", name, held/n, estimate/n)
		if estimate < held || estimate > 2*held {
			t.Errorf("%s: MessageSize estimates %d B per message, the heap holds %d", name, estimate/n, held/n)
		}
	}
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A cached read's downstream call runs detached from its caller, under the
// loader's own bound: that bound is the call timeout Dial was given, so a
// service answering in 1.5 s is read under a 3 s call timeout (the cache's
// default bound of 1 s cut it, whatever -call-timeout said).
func TestDialCachesHonorTheCallTimeout(t *testing.T) {
	ctx := t.Context()
	c, err := cluster.Start(ctx, dataset.Shared(1), fakes.Options{Latency: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	targets := c.Targets()
	set, closeAll, err := clients.Dial(targets, conn.Options{CallTimeout: 3 * time.Second}, caches(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if _, err := set.Archives.Archives(ctx, []int64{1, 2, 3}); err != nil {
		t.Errorf("a 1.5 s read under a 3 s call timeout: %v", err)
	}
}

// Closing a Set lets the caches' calls in flight finish before their
// connections close: at shutdown, after the HTTP server has drained, what
// is left are detached calls (a refresh, a shared call), and closing their
// connection under them only logged a failure after the process said it
// had stopped.
func TestCloseLetsTheCachesCallsFinishFirst(t *testing.T) {
	ctx := t.Context()
	arrived := make(chan struct{})
	var once sync.Once
	atTheMock := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		once.Do(func() { close(arrived) })
		time.Sleep(500 * time.Millisecond)
		return handler(ctx, req)
	}
	c, err := cluster.Start(ctx, dataset.Shared(1), fakes.Options{Interceptors: []grpc.UnaryServerInterceptor{atTheMock}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	set, closeAll, err := clients.Dial(c.Targets(), conn.Options{}, caches(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() {
		_, err := set.Archives.Archives(ctx, []int64{1, 2, 3})
		read <- err
	}()
	<-arrived // the cache's call is at the mock
	closeAll()
	if err := <-read; err != nil {
		t.Errorf("a cached read in flight as the set closed: %v", err)
	}
}

// A panic in a cached read's call happens on the loader's goroutine: the
// reader gets an error, and the stack is logged there, with the reader's
// request id, through the logger Dial was given.
func TestDialCachesLogAPanickingCallsStack(t *testing.T) {
	ctx := reqid.With(t.Context(), "req-7")
	c, err := cluster.Start(ctx, dataset.Shared(1), fakes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	broken := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if strings.Contains(method, "Archive") {
			panic("a codec went wrong")
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	set, closeAll, err := clients.Dial(c.Targets(), conn.Options{Logger: logger}, caches(prometheus.NewRegistry()), grpc.WithChainUnaryInterceptor(broken))
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if _, err := set.Archives.Archives(ctx, []int64{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "a codec went wrong") {
		t.Fatalf("read through a panicking call: err %v, want the panic's", err)
	}
	for l := range strings.Lines(logs.String()) {
		var line map[string]any
		if json.Unmarshal([]byte(l), &line) != nil || line["msg"] != "cache call panicked" {
			continue
		}
		if line["level"] != "ERROR" || line[telemetry.RequestIDKey] != "req-7" || !strings.Contains(fmt.Sprint(line["stack"]), "TestDialCachesLogAPanickingCallsStack") {
			t.Fatalf("the panic's line %v, want an ERROR with the request id and the stack", line)
		}
		return
	}
	t.Fatalf("no line logged the panic; logs:\n%s", logs.String())
}
