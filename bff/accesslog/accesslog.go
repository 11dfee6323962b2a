// Package accesslog writes one line per request on the public listener:
// what was asked (method, path, route, device, scene), how it went (status,
// duration, bytes, degraded sections, the critical one that failed it) and
// who asked (remote, and client:
// the address a trusted proxy says it had the request from), with the
// request and trace ids that tie it to the request's other lines, the
// downstream failures among them.
package accesslog

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"mosaic/bff/scene"
	"mosaic/internal/telemetry"
)

// maxPath bounds the path in the line: a scanner's garbage need
// not fill the logs.
const maxPath = 128

// maxMethod bounds the method in the line and in the span's name: the
// longest registered method (BASELINE-CONTROL) has 16 characters, a
// client's made-up one as many as its header allows, and it reaches the
// log before any router refuses it (a 60 KB method made a 60 KB line).
// The span's attributes, otelhttp's, are bounded by the tracer provider
// (internal/telemetry).
const maxMethod = 32

type ctxKey struct{}

// entry is what the line says beyond the request itself: the scene
// handler notes device, scene and degraded sections; the recorder sees
// status and bytes.
type entry struct {
	device, scene string
	degraded      []scene.Degraded
	failed        string // "section:reason" of a critical failure
}

// Note tells the access line of ctx's request which device and scene it
// served and which sections it left out. Outside Middleware it does
// nothing.
func Note(ctx context.Context, device, sceneName string, degraded []scene.Degraded) {
	if e, ok := ctx.Value(ctxKey{}).(*entry); ok {
		e.device, e.scene, e.degraded = device, sceneName, degraded
	}
}

// Failed tells the access line of ctx's request which critical section
// failed the screen, and why ("archive:timeout"): the line of a 503 or
// 504 then says what the client was told, without finding the downstream
// call's line by its request id. Outside Middleware it does nothing.
func Failed(ctx context.Context, section, reason string) {
	if e, ok := ctx.Value(ctxKey{}).(*entry); ok {
		e.failed = section + ":" + reason
	}
}

// Middleware logs every request to logger once it is answered. It must be
// mounted on the chi router (r.Use), inside the tracing handler and after
// the request id is on the context: it reads the route pattern after
// routing, and names the request's server span after it, since only the
// router knows the route.
//
// trusted says whether a peer is a proxy whose X-Forwarded-For is believed
// (nil: none is); from anyone else the header is the client's own claim,
// and not logged.
func Middleware(logger *slog.Logger, trusted func(remoteAddr string) bool) func(http.Handler) http.Handler {
	logger = telemetry.WithContextIDs(logger)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &recorder{ResponseWriter: w}
			e := &entry{}
			ctx := context.WithValue(r.Context(), ctxKey{}, e)
			next.ServeHTTP(rec, r.WithContext(ctx))
			pattern := routePattern(r)
			nameSpan(ctx, r.Method, pattern)
			level := levelOf(rec.status())
			if !logger.Enabled(ctx, level) {
				return
			}
			attrs := e.attrs(r, pattern, rec, time.Since(start))
			if trusted != nil && trusted(r.RemoteAddr) {
				if c, ok := forwardedFor(r.Header); ok {
					attrs = append(attrs, slog.String("client", c))
				}
			}
			logger.LogAttrs(ctx, level, "request", attrs...)
		})
	}
}

func (e *entry) attrs(r *http.Request, pattern string, rec *recorder, took time.Duration) []slog.Attr {
	// The path as sent (which video, which user), and the route it matched
	// (what to aggregate by), when it matched one.
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.String("method", clip(r.Method, maxMethod)), slog.String("path", clip(r.URL.EscapedPath(), maxPath)))
	if pattern != "" && !strings.HasSuffix(pattern, "*") { // unrouted, or past a mount
		attrs = append(attrs, slog.String("route", pattern))
	}
	if e.device != "" {
		attrs = append(attrs, slog.String("device", e.device), slog.String("scene", e.scene))
	}
	attrs = append(attrs,
		slog.Int("status", rec.status()),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.Int64("bytes", sent(r, rec)),
	)
	if len(e.degraded) > 0 {
		attrs = append(attrs, slog.String("degraded", degradedList(e.degraded)))
	}
	if e.failed != "" {
		attrs = append(attrs, slog.String("failed", e.failed))
	}
	return append(attrs, slog.String("remote", r.RemoteAddr))
}

// degradedList renders sections as "stats:unavailable,relations:timeout".
func degradedList(ds []scene.Degraded) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(d.Section)
		b.WriteByte(':')
		b.WriteString(d.Reason)
	}
	return b.String()
}

func routePattern(r *http.Request) string {
	rc := chi.RouteContext(r.Context())
	if rc == nil || len(rc.RoutePatterns) == 0 {
		return ""
	}
	return rc.RoutePattern()
}

// clip cuts s to most bytes and marks the cut. Methods are tokens and an
// escaped path is ASCII: no rune is split.
func clip(s string, most int) string {
	if len(s) <= most {
		return s
	}
	return s[:most] + "…"
}

// nameSpan renames the server span "GET /web/v1/feed": the route, not the
// path, so that every feed request is one operation in the tracing UI.
func nameSpan(ctx context.Context, method, pattern string) {
	if pattern == "" {
		return
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetName(clip(method, maxMethod) + " " + pattern)
		span.SetAttributes(attribute.String("http.route", pattern))
	}
}

// recorder sees the status and the bytes of the response.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 && code >= 200 { // 1xx are interim, not the answer
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush keeps streaming handlers working through the recorder.
func (r *recorder) Flush() {
	http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// status is what the client got: a handler that wrote nothing sent 200.
func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// forwardedFor is the address the nearest proxy had the request from: the
// last entry of X-Forwarded-For, which that proxy added (entries before it
// are whatever the client sent), when it is an IP address.
func forwardedFor(h http.Header) (string, bool) {
	values := h.Values("X-Forwarded-For")
	if len(values) == 0 {
		return "", false
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(last))
	if err != nil {
		return "", false
	}
	return ip.Unmap().String(), true
}

// levelOf is an access line's level: a 500 is a bug (input never gets one
// by design), another 5xx a screen that failed, which an operator filtering
// for warnings must see (a shed request gets no access line at all).
func levelOf(status int) slog.Level {
	switch {
	case status == http.StatusInternalServerError:
		return slog.LevelError
	case status >= 500:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// sent is the body's bytes on the wire. net/http drops a HEAD answer's
// body, though each Write says it was written.
func sent(r *http.Request, rec *recorder) int64 {
	if r.Method == http.MethodHead {
		return 0
	}
	return rec.bytes
}
