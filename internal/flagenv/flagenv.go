// Package flagenv parses a binary's flags with a fallback to the
// environment, the one way both mosaic binaries read their configuration:
// a flag given on the command line wins, then its environment variable
// (prefix + the flag name upper-cased, dashes as underscores: -admin-addr
// → MOSAIC_ADMIN_ADDR), then the flag's default. Containers set the
// environment; people type flags.
package flagenv

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ErrHelp is returned when the arguments asked for usage, which has then
// been printed: the binary should exit 0.
var ErrHelp = flag.ErrHelp

// Prefix is the prefix of every mosaic binary's environment variables.
const Prefix = "MOSAIC_"

// UnlessHelp is what a binary's run returns when Parse failed with err:
// nil when the arguments asked for usage (printed already, no failure),
// else err.
func UnlessHelp(err error) error {
	if errors.Is(err, ErrHelp) {
		return nil
	}
	return err
}

// Parse parses args (without the program name) into fs. Usage asked for
// with -h goes to stdout. A mistake is only returned, naming -h: the
// binary prints it once, as its last line, where the operator looks,
// instead of flag's copy above a screenful of usage.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string, prefix string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	if asksHelp(args) {
		fs.SetOutput(stdout)
	} else {
		hintTypes(fs) // not for -h, whose usage names the type by it
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w (-h lists the flags)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvName(prefix, f.Name)
		if v := getenv(name); v != "" && !set[f.Name] {
			if err := fs.Set(f.Name, v); err != nil {
				errs = errors.Join(errs, fmt.Errorf("%s=%q: %w", name, v, err))
				return
			}
			f.Value = &fromEnv{Value: f.Value, env: name, raw: v}
		}
	})
	return errs
}

// EnvName is the environment variable that stands in for flag name.
func EnvName(prefix, name string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func asksHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if slices.Contains([]string{"-h", "-help", "--h", "--help"}, a) {
			return true
		}
	}
	return false
}

// hintTypes makes a typed flag's mistake say what it wants: flag's own
// error for "800" as a duration, "maybe" as a bool or "abc" as a number is
// a bare "parse error", and a number without its unit is the usual
// mistake with a duration.
func hintTypes(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		switch g.Get().(type) {
		case time.Duration:
			f.Value = &hinted{g, "want a duration with its unit, like 800ms, 2s or 1m30s"}
		case bool:
			f.Value = &hintedBool{hinted{g, "want true or false"}}
		case int, int64, uint, uint64:
			f.Value = &hinted{g, "want a whole number"}
		case float64:
			f.Value = &hinted{g, "want a number"}
		}
	})
}

// hinted is a flag whose mistake is told as want.
type hinted struct {
	flag.Getter
	want string
}

func (h *hinted) Set(s string) error {
	err := h.Getter.Set(s)
	// flag's word for a value of no type's syntax (its errParse, which it
	// does not export); "value out of range" says enough as it is.
	if err != nil && err.Error() == "parse error" {
		return errors.New(h.want)
	}
	return err
}

// String is nil-safe: flag.PrintDefaults calls it on a zero value of the
// flag's type to tell a default from none.
func (h *hinted) String() string {
	if h == nil || h.Getter == nil {
		return ""
	}
	return h.Getter.String()
}

// hintedBool stays a bool flag: -mock alone still means -mock=true.
type hintedBool struct{ hinted }

func (*hintedBool) IsBoolFlag() bool { return true }

// fromEnv marks a flag whose value came from the environment, for Blame.
type fromEnv struct {
	flag.Value
	env, raw string
}

// Blame adds to err, for each flag it names whose value came from the
// environment, the variable that set it: an operator who wrote
// MOSAIC_MAX_CONNS=-5 into a manifest would otherwise read of a
// -max-conns that no command line gave. Wrap a binary's checks of its
// flags with it.
func Blame(err error, fs *flag.FlagSet) error {
	if err == nil {
		return nil
	}
	var from []string
	fs.VisitAll(func(f *flag.Flag) {
		if e, ok := f.Value.(*fromEnv); ok && names(err.Error(), f.Name) {
			from = append(from, fmt.Sprintf("-%s is %s=%q", f.Name, e.env, e.raw))
		}
	})
	if len(from) == 0 {
		return err
	}
	return fmt.Errorf("%w (from the environment: %s)", err, strings.Join(from, ", "))
}

// names reports whether msg mentions flag -name as a whole word: -cache
// is not named by -cache-mb.
func names(msg, name string) bool {
	word := func(r byte) bool {
		return r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	for i := 0; ; {
		j := strings.Index(msg[i:], "-"+name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+1+len(name)
		if (start == 0 || !word(msg[start-1])) && (end == len(msg) || !word(msg[end])) {
			return true
		}
		i = start + 1
	}
}
