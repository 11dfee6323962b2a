package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"mosaic/bff/device"
	"mosaic/bff/devicediff"
	"mosaic/bff/openapi"
)

// maxBody caps how much of a response compare reads.
const maxBody = 32 << 20

type compareConfig struct {
	base    string
	user    int64
	network string
	lang    string
	build   int64
	budget  float64
	timeout time.Duration
	path    string
}

func parseCompare(args []string, stderr io.Writer) (compareConfig, error) {
	var cfg compareConfig
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.base, "base", "http://localhost:8080", "mosaic's public `URL`")
	fs.Int64Var(&cfg.user, "user", 0, "viewer `mid` sent as X-User-Id (0: anonymous)")
	fs.StringVar(&cfg.network, "network", "wifi", "X-Network: "+device.NetworkList()+" (empty: not sent)")
	fs.StringVar(&cfg.lang, "lang", "zh-CN", "Accept-Language (empty: not sent)")
	fs.Int64Var(&cfg.build, "build", 0, "X-Client-Build (0: not sent)")
	fs.Float64Var(&cfg.budget, "budget", devicediff.MiniBudget, "the most the mini cards may weigh, as a `fraction` of the web cards of the same videos")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "timeout of each request")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: bffctl compare [flags] PATH

Requests {base}/{device}PATH for %s with the same
headers, validates each response against api.openapi.yaml, prints which
fields each device receives, and checks that the mini cards weigh no
more than -budget of the web cards of the same videos, together (the
average cards when fewer than 3 are the same videos), naming the
heaviest. An answer of fewer than 3 cards is weighed, not held to it. PATH is a scene path without the
device, e.g. /v1/feed?ps=10, /v1/videos/123, /v1/users/5.

Fails when a device does not answer 200, a response breaks the spec, or the
mini cards break the budget.

flags:
`, strings.Join(devicediff.Devices(), ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return cfg, fmt.Errorf("compare takes one PATH, got %d arguments", fs.NArg())
	}
	cfg.path = fs.Arg(0)
	if !strings.HasPrefix(cfg.path, "/") {
		cfg.path = "/" + cfg.path
	}
	for _, dev := range devicediff.Devices() {
		if strings.HasPrefix(cfg.path, "/"+dev+"/") {
			return cfg, fmt.Errorf("PATH %q names a device; give it without the device prefix, e.g. %s", cfg.path, strings.TrimPrefix(cfg.path, "/"+dev))
		}
	}
	u, err := url.Parse(cfg.base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("-base %q is not an http(s) URL", cfg.base)
	}
	cfg.base = strings.TrimRight(cfg.base, "/")
	if cfg.budget <= 0 {
		return cfg, fmt.Errorf("-budget %v must be above 0", cfg.budget)
	}
	if cfg.timeout <= 0 {
		return cfg, fmt.Errorf("-timeout %v must be above 0", cfg.timeout)
	}
	return cfg, nil
}

// header is what every device is sent.
func (c compareConfig) header() http.Header {
	h := http.Header{}
	if c.user > 0 {
		h.Set("X-User-Id", strconv.FormatInt(c.user, 10))
	}
	if c.network != "" {
		h.Set("X-Network", c.network)
	}
	if c.lang != "" {
		h.Set("Accept-Language", c.lang)
	}
	if c.build > 0 {
		h.Set("X-Client-Build", strconv.FormatInt(c.build, 10))
	}
	return h
}

// response is one device's answer.
type response struct {
	device string
	path   string // from the device on: /web/v1/feed
	url    string
	status int // 0 when the request failed
	header http.Header
	body   []byte
	err    error // the request or the read failed
}

// compare requests the scene for every device and reports what differs.
func compare(ctx context.Context, cfg compareConfig, stdout, _ io.Writer) error {
	spec, err := openapi.Load()
	if err != nil {
		return err
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.timeout}
	header := cfg.header()

	responses := make([]response, len(devicediff.Devices()))
	var wg sync.WaitGroup
	for i, dev := range devicediff.Devices() {
		wg.Go(func() { responses[i] = fetch(ctx, client, cfg.base, "/"+dev+cfg.path, dev, header) })
	}
	wg.Wait()

	var problems []error
	byDevice := make([]devicediff.Fields, len(devicediff.Devices()))
	reports := make([]deviceReport, len(devicediff.Devices()))
	for i, resp := range responses {
		var errs []error
		reports[i], byDevice[i], errs = inspect(spec, resp, header)
		problems = append(problems, errs...)
	}

	mini, web := reports[slices.Index(devicediff.Devices(), "mini")], reports[slices.Index(devicediff.Devices(), "web")]
	var b devicediff.Budget
	switch {
	case !mini.parsed:
		b = devicediff.Budget{Limit: cfg.budget, Skipped: "no mini response"}
	case !web.parsed:
		b = devicediff.Budget{Limit: cfg.budget, Skipped: "no web response"}
	default:
		b = devicediff.CheckBudget(mini.cards.All(), web.cards.All(), cfg.budget)
		if err := b.Err(); err != nil {
			problems = append(problems, err)
		}
	}

	fmt.Fprintf(stdout, "GET %s/{%s}%s  %s\n\n", cfg.base, strings.Join(devicediff.Devices(), ","), cfg.path, describe(header))
	if err := render(stdout, devicediff.Diff(byDevice), reports, b); err != nil {
		return err
	}
	if ctx.Err() != nil {
		problems = append(problems, ctx.Err())
	}
	if len(problems) > 0 {
		return fmt.Errorf("compare %s: %d problem(s):\n%w", cfg.path, len(problems), errors.Join(problems...))
	}
	return nil
}

// inspect checks one device's response (transport, spec, status) and, for a
// 200, reads its fields and cards.
func inspect(spec *openapi.Spec, resp response, header http.Header) (deviceReport, devicediff.Fields, []error) {
	rep := deviceReport{name: resp.device, status: "error", spec: "-", bytes: len(resp.body)}
	if resp.err != nil {
		return rep, nil, []error{fmt.Errorf("%s: %w", resp.device, resp.err)}
	}
	var problems []error
	rep.status, rep.spec = strconv.Itoa(resp.status), "ok"
	if err := validate(spec, resp, header); err != nil {
		rep.spec = "FAIL"
		problems = append(problems, fmt.Errorf("%s: spec: %w", resp.device, err))
	}
	if resp.status != http.StatusOK {
		problems = append(problems, fmt.Errorf("%s: GET %s answered %d, want 200: %s", resp.device, resp.url, resp.status, clip(resp.body)))
		return rep, nil, problems
	}
	f, err := devicediff.Flatten(resp.body)
	if err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", resp.device, err))
	}
	if cs, err := devicediff.ExtractCards(resp.body); err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", resp.device, err))
	} else {
		rep.cards, rep.parsed = cs, true
	}
	return rep, f, problems
}

func fetch(ctx context.Context, client *http.Client, base, path, dev string, header http.Header) response {
	rawURL := base + path
	r := response{device: dev, path: path, url: rawURL}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		r.err = err
		return r
	}
	req.Header = header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		r.err = err
		return r
	}
	defer resp.Body.Close()
	r.status, r.header = resp.StatusCode, resp.Header
	r.body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		r.err = fmt.Errorf("reading GET %s: %w", rawURL, err)
	} else if len(r.body) > maxBody {
		r.err = fmt.Errorf("GET %s: body over %d bytes", rawURL, maxBody)
	}
	return r
}

// validate checks a response against the spec. The spec's paths start at the
// device, so the request it is matched with has the path without whatever
// path -base has (mosaic behind a gateway prefix).
func validate(spec *openapi.Spec, r response, header http.Header) error {
	req, err := http.NewRequest(http.MethodGet, "http://mosaic.invalid"+r.path, nil)
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	return spec.Validate(req, r.status, r.header, r.body)
}

func describe(h http.Header) string {
	if d := devicediff.Describe(h); d != "" {
		return "(" + d + ")"
	}
	return ""
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
