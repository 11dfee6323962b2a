package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"mosaic/bff/openapi"
	"mosaic/internal/tooltest"
)

// startMock runs the real wiring (run, in mock mode) on loopback ports for
// the life of t.
func startMock(t *testing.T) (public, admin string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"bff", "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0"}, func(string) string { return "" }, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	public, admin = addrs(t, pr)
	waitReady(t, admin)
	return public, admin
}

// The QA page lives on the admin listener only, and the API reference on
// the public one.
func TestQAPageOnlyOnAdmin(t *testing.T) {
	public, admin := startMock(t)
	const qa = "/debug/compare?path=/v1/feed&network=2g&lang=en"
	if code, body := get(t, admin+qa); code != http.StatusOK || !strings.Contains(body, `id="field-table"`) {
		t.Errorf("admin %s: %d %.200s", qa, code, body)
	}
	if code, _ := get(t, public+qa); code != http.StatusNotFound {
		t.Errorf("public %s: %d, want 404", qa, code)
	}
	if code, body := get(t, public+"/docs"); code != http.StatusOK || !strings.Contains(body, "swagger-ui") {
		t.Errorf("public /docs: %d %.200s", code, body)
	}
	if code, _ := get(t, admin+"/docs"); code != http.StatusNotFound {
		t.Errorf("admin /docs: %d, want 404", code)
	}
}

// chromium finds Debian's browser: skipped without it, except in CI.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err == nil {
		return path
	}
	tooltest.Missing(t, "chromium is missing: apt-get install chromium (%v)", err)
	return ""
}

// browser is a headless chromium for the life of t, with a fresh profile
// and every background connection off (the machine's network is closed).
// It records every URL the pages request, every script exception and every
// error the browser logs (a load the page's Content-Security-Policy refused,
// say).
type browser struct {
	ctx       context.Context
	mu        sync.Mutex
	requested []string
	problems  []string
}

func newBrowser(t *testing.T, exe string) *browser {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	// One bound for the whole browser: a hung page fails the test instead of
	// stalling it.
	bounded, cancelBound := context.WithTimeout(alloc, 90*time.Second)
	ctx, cancelCtx := chromedp.NewContext(bounded)
	t.Cleanup(func() {
		cancelCtx()
		cancelBound()
		cancelAlloc() // waits for the browser to exit
	})
	b := &browser{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requested = append(b.requested, ev.Request.URL)
		case *runtime.EventExceptionThrown:
			b.problems = append(b.problems, fmt.Sprintf("script exception: %s at %s:%d", ev.ExceptionDetails.Text, ev.ExceptionDetails.URL, ev.ExceptionDetails.LineNumber))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				b.problems = append(b.problems, fmt.Sprintf("browser error: %s (%s)", ev.Entry.Text, ev.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// check fails t for what the pages loaded from anywhere but origins, and for
// the errors they met.
func (b *browser) check(t *testing.T, origins ...string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range b.requested {
		if !slices.ContainsFunc(origins, func(o string) bool { return strings.HasPrefix(u, o+"/") }) && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page loaded %s, off this server", u)
		}
	}
	if len(b.requested) < 5 {
		t.Errorf("only %d requests seen: %q", len(b.requested), b.requested)
	}
	for _, p := range b.problems {
		t.Error(p)
	}
}

// screenshot saves the viewport, or the whole page, as a PNG.
func screenshot(t *testing.T, ctx context.Context, dir, name string, whole bool) {
	t.Helper()
	shot := chromedp.CaptureScreenshot()
	if whole {
		shot = chromedp.FullScreenshot(100) // 100: PNG
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Error(err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// eval runs a script on the page and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script))
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return v
}

// A person's view of both pages, in Debian's chromium: the QA page shows
// four device columns with differences highlighted (the CSS applied) and
// filters to them (the JS ran); the reference lists every GET operation of
// the spec, so every scene of every device. Neither loads anything from
// elsewhere.
func TestBrowserQAPageAndDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := chromium(t)
	public, admin := startMock(t)
	dir := filepath.Join(os.TempDir(), "mosaic-screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots go to %s", dir)
	b := newBrowser(t, exe)
	ctx := b.ctx

	t.Run("qa", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Navigate(admin+"/debug/compare?path=/v1/feed&network=2g&lang=en&user=42&ps=6"),
			chromedp.WaitVisible(chromedp.CSS("#field-table tbody tr")),
		)
		if err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, dir, "qa-compare-feed.png", true)
		columns := eval[[]string](t, ctx, `[...document.querySelectorAll("#field-table thead th.device")].map(th => th.textContent)`)
		if want := []string{"app", "pad", "web", "mini"}; !slices.Equal(columns, want) {
			t.Errorf("device columns %q, want %q", columns, want)
		}
		highlighted := eval[int](t, ctx, `document.querySelectorAll("#field-table td.diff").length`)
		differing := eval[int](t, ctx, `document.querySelectorAll("#field-table tr.differs").length`)
		rows := eval[int](t, ctx, `document.querySelectorAll("#field-table tbody tr").length`)
		if highlighted == 0 || differing == 0 || differing >= rows {
			t.Errorf("%d highlighted cells, %d of %d rows differing", highlighted, differing, rows)
		}
		diffColor := eval[string](t, ctx, `getComputedStyle(document.querySelector("#field-table td.present.diff")).backgroundColor`)
		plainColor := eval[string](t, ctx, `getComputedStyle(document.querySelector("#field-table tr:not(.differs) td.present")).backgroundColor`)
		if diffColor == plainColor {
			t.Errorf("a differing cell looks like any other (background %s): qa.css did not apply", diffColor)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#only-diff"))); err != nil {
			t.Fatal(err)
		}
		shown := eval[int](t, ctx, `[...document.querySelectorAll("#field-table tbody tr")].filter(tr => !tr.hidden).length`)
		if shown != differing {
			t.Errorf("only differences shows %d rows, want the %d that differ: qa.js did not run", shown, differing)
		}
		screenshot(t, ctx, dir, "qa-compare-feed-differences.png", false)
	})

	t.Run("docs", func(t *testing.T) {
		spec, err := openapi.Load()
		if err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx,
			chromedp.Navigate(public+"/docs"),
			chromedp.WaitVisible(chromedp.CSS(".opblock-summary-path")),
		)
		if err != nil {
			t.Fatal(err)
		}
		listed := eval[[]string](t, ctx, `[...document.querySelectorAll(".opblock-summary-path")].map(e => e.getAttribute("data-path"))`)
		screenshot(t, ctx, dir, "docs.png", false)
		screenshot(t, ctx, dir, "docs-full.png", true)
		for path, item := range spec.Doc.Paths.Map() {
			if item.Get != nil && !slices.Contains(listed, path) {
				t.Errorf("/docs does not list GET %s", path)
			}
		}
		// The scenes by name, so that a spec that lost one fails too.
		for _, dev := range []string{"app", "pad", "web", "mini"} {
			for _, scene := range []string{"/v1/feed", "/v1/videos/{aid}", "/v1/users/{mid}"} {
				if !slices.Contains(listed, "/"+dev+scene) {
					t.Errorf("/docs does not list the %s scene /%s%s", scene, dev, scene)
				}
			}
		}
		if t.Failed() {
			t.Logf("listed: %q", listed)
		}
	})
	b.check(t, public, admin)
}
