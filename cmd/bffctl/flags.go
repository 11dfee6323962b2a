package main

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// parseArgs parses fs; the commands that use it take flags only.
func parseArgs(fs *flag.FlagSet, args []string, name string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", name, fs.Args())
	}
	return nil
}

// parseList reads a comma-separated list, each item with parse, in order.
func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for f := range strings.SplitSeq(s, ",") {
		v, err := parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// intIn reads an integer between lo and hi; what names it in the error.
func intIn(f string, lo, hi int, what string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(f))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not %s between %d and %d", f, what, lo, hi)
	}
	return n, nil
}

// uniq keeps the first of each value, in order.
func uniq[T comparable](xs []T) []T {
	var out []T
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// parseNames reads some of known, each once, in known's order whatever
// the flag's.
func parseNames(s string, known []string) ([]string, error) {
	names, err := parseList(s, func(f string) (string, error) {
		f = strings.TrimSpace(f)
		if !slices.Contains(known, f) {
			return "", fmt.Errorf("unknown %q (want some of %s)", f, strings.Join(known, ","))
		}
		return f, nil
	})
	out := uniq(names)
	slices.SortFunc(out, func(a, b string) int { return slices.Index(known, a) - slices.Index(known, b) })
	return out, err
}
