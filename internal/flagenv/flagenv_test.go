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
	if err := Parse(fs, []string{"-admin-addr", ":2"}, func(k string) string { return env[k] }, "MOSAIC_", nil); err != nil {
		t.Fatal(err)
	}
	if *addr != ":2" || *grace != 3*time.Second {
		t.Errorf("addr %q grace %v, want the flag's :2 and the environment's 3s", *addr, *grace)
	}
	fs, addr, _ = newSet()
	if err := Parse(fs, nil, func(string) string { return "" }, "MOSAIC_", nil); err != nil || *addr != ":9090" {
		t.Errorf("default: %q, %v", *addr, err)
	}
}

func TestBadEnvironmentValueNamesTheVariable(t *testing.T) {
	fs, _, _ := newSet()
	err := Parse(fs, nil, func(k string) string { return map[string]string{"MOSAIC_GRACE": "soon"}[k] }, "MOSAIC_", nil)
	if err == nil || !strings.Contains(err.Error(), "MOSAIC_GRACE") {
		t.Errorf("err = %v, want one naming MOSAIC_GRACE", err)
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	var out bytes.Buffer
	fs, _, _ := newSet()
	err := Parse(fs, []string{"-h"}, func(string) string { return "" }, "MOSAIC_", &out)
	if !errors.Is(err, ErrHelp) || !strings.Contains(out.String(), "-admin-addr") {
		t.Errorf("err %v; stdout %q", err, out.String())
	}
}

// A mistake is the error alone, which the binary prints once: flag's own
// copy of it, and a screenful of usage, are not printed before it.
func TestAMistakeIsOnlyReturned(t *testing.T) {
	var out bytes.Buffer
	fs, _, _ := newSet()
	err := Parse(fs, []string{"-nope"}, func(string) string { return "" }, "MOSAIC_", &out)
	if err == nil || !strings.Contains(err.Error(), "-nope") || !strings.Contains(err.Error(), "-h lists the flags") || out.Len() != 0 {
		t.Errorf("a bad flag: err %v; stdout %q", err, out.String())
	}
	fs, _, _ = newSet()
	fs.SetOutput(&out) // Parse decides where flag writes
	if err := Parse(fs, []string{"-grace", "soon"}, func(string) string { return "" }, "MOSAIC_", &out); err == nil || out.Len() != 0 {
		t.Errorf("a bad value: err %v; printed %q", err, out.String())
	}
	fs, _, _ = newSet()
	if err := Parse(fs, []string{"extra"}, func(string) string { return "" }, "MOSAIC_", &out); err == nil {
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
	if err := UnlessHelp(Parse(fs, []string{"-help"}, func(string) string { return "" }, Prefix, &bytes.Buffer{})); err != nil {
		t.Errorf("-help: %v, want nil", err)
	}
	fs, _, _ = newSet()
	if err := UnlessHelp(Parse(fs, []string{"-nope"}, func(string) string { return "" }, Prefix, nil)); err == nil {
		t.Error("a bad flag became nil")
	}
}

// A duration's mistake says what a duration looks like, from a flag or
// from the environment: flag's own word for it is "parse error".
func TestADurationsMistakeSaysWhatItWants(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-grace", "800"}, nil, `invalid value "800" for flag -grace: want a duration with its unit, like 800ms`},
		{nil, map[string]string{"MOSAIC_GRACE": "800"}, `MOSAIC_GRACE="800": want a duration with its unit`},
	} {
		fs, _, _ := newSet()
		err := Parse(fs, tc.args, func(k string) string { return tc.env[k] }, "MOSAIC_", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err = %v, want one saying %q", tc.args, tc.env, err, tc.want)
		}
	}
	fs, _, grace := newSet()
	if err := Parse(fs, []string{"-grace", "1m30s"}, func(string) string { return "" }, "MOSAIC_", nil); err != nil || *grace != 90*time.Second {
		t.Errorf("-grace 1m30s: %v, %v", *grace, err)
	}
	var usage bytes.Buffer
	fs, _, _ = newSet()
	_ = Parse(fs, []string{"-h"}, func(string) string { return "" }, "MOSAIC_", &usage)
	if !strings.Contains(usage.String(), "-grace duration") {
		t.Errorf("usage does not name -grace's type:\n%s", usage.String())
	}
}

// So do a bool's and a number's, where flag says "parse error"; a bool
// flag alone is still true.
func TestATypedFlagsMistakeSaysWhatItWants(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-on=maybe"}, nil, `invalid boolean value "maybe" for -on: want true or false`},
		{nil, map[string]string{"MOSAIC_ON": "maybe"}, `MOSAIC_ON="maybe": want true or false`},
		{[]string{"-n", "abc"}, nil, `invalid value "abc" for flag -n: want a whole number`},
		{nil, map[string]string{"MOSAIC_N": "1.5"}, `MOSAIC_N="1.5": want a whole number`},
		{nil, map[string]string{"MOSAIC_N": "99999999999999999999"}, `MOSAIC_N="99999999999999999999": value out of range`},
		{nil, map[string]string{"MOSAIC_RATIO": "half"}, `MOSAIC_RATIO="half": want a number`},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.Bool("on", false, "")
		fs.Int("n", 0, "")
		fs.Float64("ratio", 0, "")
		err := Parse(fs, tc.args, func(k string) string { return tc.env[k] }, "MOSAIC_", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err = %v, want one saying %q", tc.args, tc.env, err, tc.want)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	on := fs.Bool("on", false, "")
	fs.Duration("wait", time.Second, "")
	if err := Parse(fs, []string{"-on"}, func(string) string { return "" }, "MOSAIC_", nil); err != nil || !*on {
		t.Errorf("-on alone: %v, %v", *on, err)
	}
	// The flags' usage, printed after a parse, still reads each default.
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	if out := usage.String(); strings.Contains(out, "panic") || !strings.Contains(out, "(default 1s)") {
		t.Errorf("usage after a parse:\n%s", out)
	}
}

// A check's error about a flag the environment set names the variable:
// the flag's name alone points at a command line that never gave it.
func TestBlameNamesTheVariableThatSetAFlag(t *testing.T) {
	env := map[string]string{"MOSAIC_GRACE": "-3s", "MOSAIC_ADMIN_ADDR": ":1"}
	fs, _, _ := newSet()
	fs.Bool("grace-x", false, "a flag whose name starts with another's")
	if err := Parse(fs, nil, func(k string) string { return env[k] }, "MOSAIC_", nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ err, want string }{
		{"-grace must not be negative", `-grace must not be negative (from the environment: -grace is MOSAIC_GRACE="-3s")`},
		{"-grace-x needs -registry", "-grace-x needs -registry"},
		{"-gracefully is no flag", "-gracefully is no flag"},
		{"with -grace, -admin-addr too", `with -grace, -admin-addr too (from the environment: -admin-addr is MOSAIC_ADMIN_ADDR=":1", -grace is MOSAIC_GRACE="-3s")`},
	} {
		if got := Blame(errors.New(tc.err), fs).Error(); got != tc.want {
			t.Errorf("Blame(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
	fs, _, _ = newSet() // the same flag from the command line: nothing to add
	if err := Parse(fs, []string{"-grace", "-3s"}, func(k string) string { return env[k] }, "MOSAIC_", nil); err != nil {
		t.Fatal(err)
	}
	if got := Blame(errors.New("-grace must not be negative"), fs).Error(); got != "-grace must not be negative" {
		t.Errorf("a flag from the command line: %q", got)
	}
	if Blame(nil, fs) != nil {
		t.Error("Blame(nil) is not nil")
	}
}
