package flagenv

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func newSet() (*flag.FlagSet, *string, *time.Duration) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	addr := fs.String("admin-addr", ":9090", "admin listener")
	d := fs.Duration("grace", time.Second, "grace")
	return fs, addr, d
}

func TestFlagBeatsEnvironmentBeatsDefault(t *testing.T) {
	env := map[string]string{"MOSAIC_ADMIN_ADDR": ":1", "MOSAIC_GRACE": "3s"}
	fs, addr, grace := newSet()
	if err := Parse(fs, []string{"-admin-addr", ":2"}, func(k string) string { return env[k] }, "MOSAIC_", nil, nil); err != nil {
		t.Fatal(err)
	}
	if *addr != ":2" || *grace != 3*time.Second {
		t.Errorf("addr %q grace %v, want the flag's :2 and the environment's 3s", *addr, *grace)
	}
	fs, addr, _ = newSet()
	if err := Parse(fs, nil, func(string) string { return "" }, "MOSAIC_", nil, nil); err != nil || *addr != ":9090" {
		t.Errorf("default: %q, %v", *addr, err)
	}
}

func TestBadEnvironmentValueNamesTheVariable(t *testing.T) {
	fs, _, _ := newSet()
	err := Parse(fs, nil, func(k string) string { return map[string]string{"MOSAIC_GRACE": "soon"}[k] }, "MOSAIC_", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "MOSAIC_GRACE") {
		t.Errorf("err = %v, want one naming MOSAIC_GRACE", err)
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	var out, errOut bytes.Buffer
	fs, _, _ := newSet()
	err := Parse(fs, []string{"-h"}, func(string) string { return "" }, "MOSAIC_", &out, &errOut)
	if !errors.Is(err, ErrHelp) || !strings.Contains(out.String(), "-admin-addr") || errOut.Len() != 0 {
		t.Errorf("err %v; stdout %q; stderr %q", err, out.String(), errOut.String())
	}
	out.Reset()
	fs, _, _ = newSet()
	if err := Parse(fs, []string{"-nope"}, func(string) string { return "" }, "MOSAIC_", &out, &errOut); err == nil || out.Len() != 0 || !strings.Contains(errOut.String(), "nope") {
		t.Errorf("a bad flag: err %v; stdout %q; stderr %q", err, out.String(), errOut.String())
	}
	fs, _, _ = newSet()
	if err := Parse(fs, []string{"extra"}, func(string) string { return "" }, "MOSAIC_", &out, &errOut); err == nil {
		t.Error("a stray argument was accepted")
	}
}

// A help request is no failure for run to report; any other parse error is.
// A flag's variable is the README's: the prefix, upper case, dashes made
// underscores (no shell can set MOSAIC_ADMIN-ADDR).
func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{"addr": "MOSAIC_ADDR", "admin-addr": "MOSAIC_ADMIN_ADDR", "cache-stat-fresh": "MOSAIC_CACHE_STAT_FRESH"} {
		if got := EnvName(Prefix, flag); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flag, got, want)
		}
	}
}

func TestUnlessHelp(t *testing.T) {
	fs, _, _ := newSet()
	if err := UnlessHelp(Parse(fs, []string{"-help"}, func(string) string { return "" }, Prefix, &bytes.Buffer{}, nil)); err != nil {
		t.Errorf("-help: %v, want nil", err)
	}
	fs, _, _ = newSet()
	if err := UnlessHelp(Parse(fs, []string{"-nope"}, func(string) string { return "" }, Prefix, nil, &bytes.Buffer{})); err == nil {
		t.Error("a bad flag became nil")
	}
}
