package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"mosaic/internal/bench"
)

func TestParseBenchFlags(t *testing.T) {
	cfg, err := parseBench([]string{"-ps", "50,10,10", "-scenes", "user,feed", "-impls", "naive,mosaic"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.PS, []int{50, 10}) || !reflect.DeepEqual(cfg.Scenes, []string{"feed", "user"}) || !reflect.DeepEqual(cfg.Impls, []string{"mosaic", "naive"}) {
		t.Errorf("parsed %v %v %v", cfg.PS, cfg.Scenes, cfg.Impls)
	}
	if cfg.Latency != 10*time.Millisecond || cfg.Fraction != 0.5 || cfg.LoadPS != 20 {
		t.Errorf("defaults %v %v %v", cfg.Latency, cfg.Fraction, cfg.LoadPS)
	}
	for _, args := range [][]string{
		{"-ps", "0"}, {"-ps", "51"}, {"-ps", "x"}, {"-scenes", "home"}, {"-impls", "fast"},
		{"-load-fraction", "0"}, {"-load-fraction", "1.5"}, {"-concurrency", "0"}, {"-rounds", "0"},
		{"-duration", "0s"}, {"-mock-latency", "-1ms"}, {"-load-ps", "60"}, {"extra"},
		{"-passes", "speed"}, {"-passes", ""}, {"-variants", "floor"}, {"-variants", "a;a"}, {"-variants", ""},
		{"-skewed-rounds", "0"}, {"-viewers", "0"}, {"-skewed-latency", "-1ms"},
	} {
		if _, err := parseBench(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

func TestParseBenchPasses(t *testing.T) {
	cfg, err := parseBench(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Passes, []string{"latency", "cost", "skewed"}) || cfg.SkewLatency != 10*time.Millisecond || cfg.Viewers != 1_000_000 || cfg.SkewRounds != 3 {
		t.Errorf("defaults: passes %v, skewed latency %v, viewers %d, rounds %d", cfg.Passes, cfg.SkewLatency, cfg.Viewers, cfg.SkewRounds)
	}
	if got := bench.FormatVariants(cfg.Variants); got != "mosaic;mosaic-nocache:-cache=false" {
		t.Errorf("default variants %q", got)
	}
	cfg, err = parseBench([]string{"-passes", "skewed,latency", "-variants", "mosaic;big:-max-inflight=9", "-viewers", "50"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Passes, []string{"latency", "skewed"}) || bench.FormatVariants(cfg.Variants) != "mosaic;big:-max-inflight=9" || cfg.Viewers != 50 {
		t.Errorf("parsed %v %+v %d", cfg.Passes, cfg.Variants, cfg.Viewers)
	}
	// The skewed pass's settings matter only when it runs.
	if _, err := parseBench([]string{"-passes", "cost", "-skewed-rounds", "0"}, io.Discard); err != nil {
		t.Errorf("-skewed-rounds 0 without the skewed pass: %v", err)
	}
}

func TestBenchUsage(t *testing.T) {
	stdout, _, err := bffctl(t, "help")
	if err != nil || !strings.Contains(stdout, "bench") {
		t.Errorf("help does not list bench: %v\n%s", err, stdout)
	}
	if strings.Contains(stdout, "bench-serve") {
		t.Errorf("help lists the internal bench-serve:\n%s", stdout)
	}
	_, stderr, err := bffctl(t, "bench", "-h")
	if err != nil || !strings.Contains(stderr, "-load-fraction") || !strings.Contains(stderr, "-profile") {
		t.Errorf("bench -h: %v\n%s", err, stderr)
	}
}

func TestBenchServeRejectsBadFlags(t *testing.T) {
	targets := "account=127.0.0.1:1,archive=127.0.0.1:1,feed=127.0.0.1:1,relation=127.0.0.1:1,reply=127.0.0.1:1,stat=127.0.0.1:1"
	for _, args := range [][]string{
		{"-impl", "fast", "-targets", targets},
		{"-impl", "floor", "-targets", "account=127.0.0.1:1"},
		{"-impl", "floor", "-targets", "account"},
		{"-impl", "floor", "-addr", "nonsense", "-targets", targets},
	} {
		if err := benchServe(t.Context(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
