package scenario_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"mosaic/clients"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/contract"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/fakes"
	"mosaic/mocks/internal/mocktest"
	"mosaic/mocks/record"
	"mosaic/mocks/scenario"
)

// designScenario is the example of docs/ARCHITECTURE.md ("Mock scenarios").
const designScenario = "stat=unavailable,account=delay:300ms,relation=timeout,archive=partial,feed=empty,reply=error:RESOURCE_EXHAUSTED"

func TestParseScenario(t *testing.T) {
	tests := []struct {
		in        string
		want      scenario.Scenario
		canonical string
	}{
		{"", scenario.Scenario{}, ""},
		{"  ", scenario.Scenario{}, ""},
		{" , ,", scenario.Scenario{}, ""},
		{designScenario, scenario.Scenario{
			clients.Stat:     {Kind: scenario.FaultUnavailable},
			clients.Account:  {Kind: scenario.FaultDelay, Delay: 300 * time.Millisecond},
			clients.Relation: {Kind: scenario.FaultTimeout},
			clients.Archive:  {Kind: scenario.FaultPartial},
			clients.Feed:     {Kind: scenario.FaultEmpty},
			clients.Reply:    {Kind: scenario.FaultError, Code: codes.ResourceExhausted},
		}, "account=delay:300ms,archive=partial,stat=unavailable,relation=timeout,feed=empty,reply=error:RESOURCE_EXHAUSTED"},
		{" stat = unavailable ,\tfeed=empty , ", scenario.Scenario{
			clients.Stat: {Kind: scenario.FaultUnavailable},
			clients.Feed: {Kind: scenario.FaultEmpty},
		}, "stat=unavailable,feed=empty"},
		{"account=delay:1.5s", scenario.Scenario{clients.Account: {Kind: scenario.FaultDelay, Delay: 1500 * time.Millisecond}}, "account=delay:1.5s"},
		{"account=delay:10s", scenario.Scenario{clients.Account: {Kind: scenario.FaultDelay, Delay: 10 * time.Second}}, "account=delay:10s"},
		{"account=delay:1ns", scenario.Scenario{clients.Account: {Kind: scenario.FaultDelay, Delay: 1}}, "account=delay:1ns"},
		{"stat = delay : 20ms ,reply= error: DATA_LOSS", scenario.Scenario{
			clients.Stat:  {Kind: scenario.FaultDelay, Delay: 20 * time.Millisecond},
			clients.Reply: {Kind: scenario.FaultError, Code: codes.DataLoss},
		}, "stat=delay:20ms,reply=error:DATA_LOSS"},
		{"reply=error:CANCELLED", scenario.Scenario{clients.Reply: {Kind: scenario.FaultError, Code: codes.Canceled}}, "reply=error:CANCELLED"},
		{"reply=error:UNAUTHENTICATED", scenario.Scenario{clients.Reply: {Kind: scenario.FaultError, Code: codes.Unauthenticated}}, "reply=error:UNAUTHENTICATED"},
		{"stat=error:NOT_FOUND", scenario.Scenario{clients.Stat: {Kind: scenario.FaultError, Code: codes.NotFound}}, "stat=error:NOT_FOUND"},
	}
	for _, tt := range tests {
		got, err := scenario.Parse(tt.in)
		if err != nil {
			t.Errorf("ParseScenario(%q): %v", tt.in, err)
			continue
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("ParseScenario(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.canonical {
			t.Errorf("ParseScenario(%q).String() = %q, want %q", tt.in, s, tt.canonical)
		}
		again, err := scenario.Parse(got.String())
		if err != nil || !maps.Equal(again, got) {
			t.Errorf("round trip of %q: %v, %v", got.String(), again, err)
		}
	}
}

func TestParseScenarioErrors(t *testing.T) {
	tests := []struct {
		in   string
		want []string // substrings of the error
	}{
		{"nope=unavailable", []string{`"nope=unavailable"`, `unknown service "nope"`, "account"}},
		{"Stat=unavailable", []string{`unknown service "Stat"`}},
		{"stat", []string{`"stat"`, "service=fault"}},
		{"stat=", []string{`unknown fault ""`}},
		{"stat=bogus", []string{`"stat=bogus"`, `unknown fault "bogus"`, "delay:DURATION"}},
		{"stat=unavailable,feed=slow", []string{`"feed=slow"`, `unknown fault "slow"`}},
		{"stat=unavailable:5", []string{"unavailable takes no argument"}},
		{"stat=empty:", []string{"empty takes no argument"}},
		{"stat=delay", []string{`"stat=delay"`, "needs a duration"}},
		{"stat=delay:", []string{"needs a duration"}},
		{"stat=delay:abc", []string{`bad delay duration "abc"`}},
		{"stat=delay:300", []string{`bad delay duration "300"`}},
		{"stat=delay:0s", []string{"out of range", "10s"}},
		{"stat=delay:-1s", []string{"out of range"}},
		{"stat=delay:10.001s", []string{"out of range"}},
		{"stat=error", []string{"needs a gRPC code"}},
		{"stat=error:NOPE", []string{`unknown gRPC code "NOPE"`, "RESOURCE_EXHAUSTED"}},
		{"stat=error:OK", []string{`unknown gRPC code "OK"`}},
		{"stat=error:resource_exhausted", []string{`unknown gRPC code "resource_exhausted"`}},
		{"stat=error:14", []string{`unknown gRPC code "14"`}},
		{"stat=empty,feed=empty,stat=partial", []string{`"stat=partial"`, "stat is listed twice"}},
		{strings.Repeat("stat=empty,", 17), []string{"17 entries", "16"}},
		{"stat=empty" + strings.Repeat(" ", scenario.MaxLen), []string{"1034 bytes", "1024"}},
	}
	for _, tt := range tests {
		sc, err := scenario.Parse(tt.in)
		if err == nil {
			t.Errorf("ParseScenario(%q) = %v, want an error", tt.in, sc)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseScenario(%q) error %q does not mention %q", tt.in, err, w)
			}
		}
	}
}

func FuzzParseScenario(f *testing.F) {
	for _, s := range []string{
		"", designScenario, " stat = delay:1.5s , feed=empty,", "reply=error:CANCELLED",
		"stat=delay:1µs", "stat=error:OK", "stat=stat=stat", "a=b=c,,=,:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := scenario.Parse(s)
		if err != nil {
			return
		}
		if len(sc) > len(clients.Services()) {
			t.Fatalf("%q parsed into %d entries", s, len(sc))
		}
		canonical := sc.String()
		again, err := scenario.Parse(canonical)
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, canonical, err)
		}
		if !maps.Equal(again, sc) {
			t.Fatalf("%q → %q parses to %v, want %v", s, canonical, again, sc)
		}
		if again.String() != canonical {
			t.Fatalf("%q is not canonical: %q", canonical, again.String())
		}
	})
}

// TestPartialEmptyGeneric runs Partial and Empty on messages of a package they
// know nothing about, with string keys.
func TestPartialEmptyGeneric(t *testing.T) {
	st, err := structpb.NewStruct(map[string]any{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
	if err != nil {
		t.Fatal(err)
	}
	orig := proto.Clone(st)
	half := scenario.Partial(st).(*structpb.Struct)
	if got := slices.Sorted(maps.Keys(half.GetFields())); !slices.Equal(got, []string{"a", "c", "e"}) {
		t.Errorf("Partial kept %v, want a c e", got)
	}
	if len(scenario.Empty(st).(*structpb.Struct).GetFields()) != 0 {
		t.Error("Empty kept fields")
	}
	if !proto.Equal(st, orig) {
		t.Error("Partial or Empty modified its input")
	}

	list, _ := structpb.NewList([]any{1, 2, 3})
	if got := scenario.Partial(list).(*structpb.ListValue).GetValues(); len(got) != 2 || got[1].GetNumberValue() != 2 {
		t.Errorf("Partial of 3 values: %v", got)
	}
	one, _ := structpb.NewList([]any{"x"})
	if got := scenario.Partial(one).(*structpb.ListValue).GetValues(); len(got) != 1 {
		t.Errorf("Partial of 1 value: %v", got)
	}
	if got := scenario.Partial(&structpb.ListValue{}).(*structpb.ListValue).GetValues(); len(got) != 0 {
		t.Errorf("Partial of none: %v", got)
	}
	// Scalars and other top-level fields survive.
	lr := &archivev1.ListByOwnerResponse{Aids: mocktest.IDs(1, 4), Total: 99}
	if got := scenario.Empty(lr).(*archivev1.ListByOwnerResponse); len(got.GetAids()) != 0 || got.GetTotal() != 99 {
		t.Errorf("Empty(ListByOwner) = %v", got)
	}
	if got := scenario.Partial(lr).(*archivev1.ListByOwnerResponse); !slices.Equal(got.GetAids(), mocktest.IDs(1, 2)) || got.GetTotal() != 99 {
		t.Errorf("Partial(ListByOwner) = %v", got)
	}
}

func withScenario(ctx context.Context, s string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, contract.ScenarioKey, s)
}

// recorded waits for the server to finish recording a call of method (a client
// can see its deadline pass before the server has returned) and returns the last.
func recorded(t *testing.T, rec *record.Recorder, method string) record.Call {
	t.Helper()
	for give := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		calls := rec.Calls()
		for i := len(calls) - 1; i >= 0; i-- {
			if calls[i].Method == method {
				return calls[i]
			}
		}
		if time.Now().After(give) {
			t.Fatalf("no %s call recorded", method)
		}
	}
}

func TestScenarioUnavailableAndError(t *testing.T) {
	rec := &record.Recorder{}
	_, cl := mocktest.Start(t, fakes.Options{Recorder: rec, Scenarios: true})
	ctx := withScenario(t.Context(), "archive=unavailable,stat=unavailable,reply=error:RESOURCE_EXHAUSTED,account=error:INTERNAL")

	_, err := cl.Archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: mocktest.IDs(1, 3)})
	mocktest.WantCode(t, "archive unavailable", err, codes.Unavailable, "mock scenario", "archive unavailable")
	_, err = cl.Archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 1, Ps: 5})
	mocktest.WantCode(t, "archive ListByOwner unavailable", err, codes.Unavailable)
	_, err = cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 3)})
	mocktest.WantCode(t, "stat unavailable", err, codes.Unavailable, "stat unavailable")
	_, err = cl.Reply.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: mocktest.IDs(1, 3), N: 3})
	mocktest.WantCode(t, "reply error", err, codes.ResourceExhausted, "mock scenario", "RESOURCE_EXHAUSTED")
	_, err = cl.Account.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: mocktest.IDs(1, 3)})
	mocktest.WantCode(t, "account error", err, codes.Internal, "INTERNAL")

	// The recorder wraps the scenario, so it records the injected codes.
	for method, code := range map[string]codes.Code{
		archivev1.ArchiveService_BatchGetArchives_FullMethodName: codes.Unavailable,
		statv1.StatService_BatchGetStats_FullMethodName:          codes.Unavailable,
		replyv1.ReplyService_BatchGetHotReplies_FullMethodName:   codes.ResourceExhausted,
		accountv1.AccountService_BatchGetProfiles_FullMethodName: codes.Internal,
	} {
		if c := recorded(t, rec, method); c.Code != code {
			t.Errorf("%s recorded %v, want %v", method, c.Code, code)
		}
	}

	// Services without an entry are served normally, with the same metadata.
	if r, err := cl.Feed.Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 4}); err != nil || len(r.GetAids()) != 4 {
		t.Errorf("feed under another service's fault: %v, %v", r, err)
	}
	if r, err := cl.Relation.BatchGetFollowerCounts(ctx, &relationv1.BatchGetFollowerCountsRequest{Mids: mocktest.IDs(1, 4)}); err != nil || len(r.GetCounts()) != 4 {
		t.Errorf("relation under another service's fault: %v, %v", r, err)
	}
}

func TestScenarioTimeout(t *testing.T) {
	rec := &record.Recorder{}
	_, cl := mocktest.Start(t, fakes.Options{Recorder: rec, Scenarios: true})
	sctx := withScenario(t.Context(), "relation=timeout,feed=timeout")
	calls := map[string]func(context.Context) error{
		relationv1.RelationService_BatchGetRelations_FullMethodName: func(ctx context.Context) error {
			_, err := cl.Relation.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: 1, TargetMids: mocktest.IDs(1, 3)})
			return err
		},
		feedv1.FeedService_Recommend_FullMethodName: func(ctx context.Context) error {
			_, err := cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 1, Ps: 5})
			return err
		},
	}
	const deadline = 100 * time.Millisecond
	for method, call := range calls {
		start := time.Now() // before the deadline is set, so that elapsed cannot undercount it
		ctx, cancel := context.WithTimeout(sctx, deadline)
		err := call(ctx)
		elapsed := time.Since(start)
		cancel()
		mocktest.WantCode(t, method, err, codes.DeadlineExceeded)
		if elapsed < deadline-5*time.Millisecond {
			t.Errorf("%s failed after %v, before the deadline", method, elapsed)
		}
		if c := recorded(t, rec, method); c.Code != codes.DeadlineExceeded {
			t.Errorf("%s recorded %v", method, c.Code)
		}
	}
	// Other services of the same request are unaffected.
	if _, err := cl.Stat.BatchGetStats(sctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 2)}); err != nil {
		t.Error(err)
	}
}

func TestScenarioDelay(t *testing.T) {
	const delay = 50 * time.Millisecond
	rec := &record.Recorder{}
	_, cl := mocktest.Start(t, fakes.Options{Recorder: rec, Scenarios: true})
	ctx := withScenario(t.Context(), "account=delay:50ms,stat=delay:50ms")

	start := time.Now()
	r, err := cl.Account.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: mocktest.IDs(1, 3)})
	if elapsed := time.Since(start); elapsed < delay {
		t.Errorf("account took %v, want at least %v", elapsed, delay)
	}
	if err != nil || len(r.GetProfiles()) != 3 {
		t.Errorf("delayed account: %v, %v", r, err)
	}
	start = time.Now()
	s, err := cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 3)})
	if elapsed := time.Since(start); elapsed < delay {
		t.Errorf("stat took %v, want at least %v", elapsed, delay)
	}
	if err != nil || len(s.GetStats()) != 3 {
		t.Errorf("delayed stat: %v, %v", s, err)
	}
	if c := recorded(t, rec, statv1.StatService_BatchGetStats_FullMethodName); c.End.Sub(c.Start) < delay || c.Code != codes.OK {
		t.Errorf("recorded %v in %v", c.Code, c.End.Sub(c.Start))
	}

	// A delay longer than the caller's deadline ends with it.
	slow := withScenario(t.Context(), "feed=delay:10s")
	dctx, cancel := context.WithTimeout(slow, 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = cl.Feed.Related(dctx, &feedv1.RelatedRequest{Aid: 1, N: 3})
	mocktest.WantCode(t, "feed delay past the deadline", err, codes.DeadlineExceeded)
	if c := recorded(t, rec, feedv1.FeedService_Related_FullMethodName); c.End.Sub(c.Start) > 5*time.Second {
		t.Errorf("the server slept on for %v after the caller gave up", c.End.Sub(c.Start))
	}
}

func TestScenarioPartial(t *testing.T) {
	_, plain := mocktest.Start(t, fakes.Options{})
	_, cl := mocktest.Start(t, fakes.Options{Scenarios: true})
	ctx := withScenario(t.Context(), "stat=partial,archive=partial,feed=partial,reply=partial")

	full, err := plain.Stat.BatchGetStats(t.Context(), &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 10)})
	if err != nil {
		t.Fatal(err)
	}
	half, err := cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(half.GetStats())); !slices.Equal(got, []int64{1, 3, 5, 7, 9}) {
		t.Errorf("partial stats kept aids %v, want 1 3 5 7 9", got)
	}
	for aid, st := range half.GetStats() {
		if !proto.Equal(st, full.GetStats()[aid]) {
			t.Errorf("partial stat %d = %v, want %v", aid, st, full.GetStats()[aid])
		}
	}
	// Every other key in ascending order, not by parity.
	arch, err := cl.Archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: []int64{8, 2, 4, 6, 10}})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(arch.GetArchives())); !slices.Equal(got, []int64{2, 6, 10}) {
		t.Errorf("partial archives kept %v, want 2 6 10", got)
	}
	one, err := cl.Archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: []int64{7}})
	if err != nil || len(one.GetArchives()) != 1 {
		t.Errorf("partial of one archive: %v, %v", one, err)
	}
	listFull, _ := plain.Archive.ListByOwner(t.Context(), &archivev1.ListByOwnerRequest{Mid: 1, Page: 1, Ps: 50})
	list, err := cl.Archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 1, Ps: 50})
	if n := len(listFull.GetAids()); err != nil || n == 0 || !slices.Equal(list.GetAids(), listFull.GetAids()[:(n+1)/2]) || list.GetTotal() != listFull.GetTotal() {
		t.Errorf("partial ListByOwner = %v, %v; full %v", list, err, listFull)
	}

	recFull, _ := plain.Feed.Recommend(t.Context(), &feedv1.RecommendRequest{ViewerMid: 3, Device: "web", Page: 1, Ps: 10})
	rec, err := cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 3, Device: "web", Page: 1, Ps: 10})
	if err != nil || len(rec.GetItems()) != 5 {
		t.Fatalf("partial Recommend: %v, %v", rec, err)
	}
	for i, it := range rec.GetItems() {
		if !proto.Equal(it, recFull.GetItems()[i]) {
			t.Errorf("partial Recommend item %d = %v, want %v", i, it, recFull.GetItems()[i])
		}
	}
	rel, err := cl.Feed.Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 5})
	if err != nil || len(rel.GetAids()) != 3 {
		t.Errorf("partial Related of 5: %v, %v", rel, err)
	}

	// Nested lists are left whole: only the top-level map shrinks.
	replies, err := cl.Reply.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: mocktest.IDs(1, 4), N: 3})
	repliesFull, _ := plain.Reply.BatchGetHotReplies(t.Context(), &replyv1.BatchGetHotRepliesRequest{Aids: mocktest.IDs(1, 4), N: 3})
	if err != nil || len(replies.GetReplies()) != 2 {
		t.Fatalf("partial replies: %v, %v", replies, err)
	}
	for aid, r := range replies.GetReplies() {
		if !proto.Equal(r, repliesFull.GetReplies()[aid]) {
			t.Errorf("partial replies of %d changed", aid)
		}
	}

	// A partial response still validates the request.
	_, err = cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 51)})
	mocktest.WantCode(t, "partial over the batch limit", err, codes.InvalidArgument)
}

func TestScenarioEmpty(t *testing.T) {
	_, cl := mocktest.Start(t, fakes.Options{Scenarios: true})
	ctx := withScenario(t.Context(), "feed=empty,account=empty,archive=empty")

	rec, err := cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 1, Ps: 10})
	if err != nil || len(rec.GetItems()) != 0 {
		t.Errorf("empty Recommend: %v, %v", rec, err)
	}
	rel, err := cl.Feed.Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 5})
	if err != nil || len(rel.GetAids()) != 0 {
		t.Errorf("empty Related: %v, %v", rel, err)
	}
	prof, err := cl.Account.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: mocktest.IDs(1, 5)})
	if err != nil || len(prof.GetProfiles()) != 0 {
		t.Errorf("empty profiles: %v, %v", prof, err)
	}
	list, err := cl.Archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 1, Ps: 5})
	if _, total := mocktest.Seed1().ListByOwner(1, 1, 5); err != nil || len(list.GetAids()) != 0 || list.GetTotal() != total {
		t.Errorf("empty ListByOwner: %v, %v (total %d)", list, err, total)
	}
	// The handler still runs, so bad requests are still rejected.
	_, err = cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 1, Ps: 51})
	mocktest.WantCode(t, "empty Recommend ps 51", err, codes.InvalidArgument, "ps")
	// Not listed: untouched.
	if s, err := cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 5)}); err != nil || len(s.GetStats()) != 5 {
		t.Errorf("stat, not in the scenario: %v, %v", s, err)
	}
}

func TestScenarioInvalid(t *testing.T) {
	_, cl := mocktest.Start(t, fakes.Options{Scenarios: true})
	// Rejected by every service, named or not, so a typo is never silently ignored.
	ctx := withScenario(t.Context(), "stat=unavailable,feed=slow")
	_, err := cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 2)})
	mocktest.WantCode(t, "stat", err, codes.InvalidArgument, `"feed=slow"`, "unknown fault")
	_, err = cl.Account.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: mocktest.IDs(1, 2)})
	mocktest.WantCode(t, "account", err, codes.InvalidArgument, `"feed=slow"`)

	// Several metadata values are joined like repeated headers: here a duplicate.
	dup := metadata.AppendToOutgoingContext(t.Context(), contract.ScenarioKey, "stat=empty", contract.ScenarioKey, "stat=partial")
	_, err = cl.Stat.BatchGetStats(dup, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 2)})
	mocktest.WantCode(t, "repeated metadata", err, codes.InvalidArgument, "listed twice")

	// An empty value is an empty scenario.
	if _, err := cl.Stat.BatchGetStats(withScenario(t.Context(), ""), &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 2)}); err != nil {
		t.Error(err)
	}
}

func TestScenarioIgnoredWithoutOption(t *testing.T) {
	_, cl := mocktest.Start(t, fakes.Options{})
	ctx := withScenario(t.Context(), "stat=unavailable,feed=empty,relation=timeout,account=nonsense")
	if s, err := cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 4)}); err != nil || len(s.GetStats()) != 4 {
		t.Errorf("stat: %v, %v", s, err)
	}
	if r, err := cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 1, Ps: 4}); err != nil || len(r.GetItems()) != 4 {
		t.Errorf("feed: %v, %v", r, err)
	}
	if r, err := cl.Relation.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: 1, TargetMids: mocktest.IDs(1, 4)}); err != nil || len(r.GetRelations()) != 4 {
		t.Errorf("relation: %v, %v", r, err)
	}
}
