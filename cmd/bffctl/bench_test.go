package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
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
	} {
		if _, err := parseBench(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
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
