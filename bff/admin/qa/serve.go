package qa

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"mosaic/bff/devicediff"
	"mosaic/bff/openapi"
)

// result is one device's answer, served in-process.
type result struct {
	device string
	url    string // the public path and query: /web/v1/feed?ps=5
	status int
	header http.Header
	body   []byte
	gzip   int   // the body's size gzipped, what a client accepting gzip would get at most
	spec   error // the response breaks api.openapi.yaml
	fields devicediff.Fields
	cards  devicediff.CardSet
	parsed bool // a 200 whose fields and cards were read
	err    error
}

// validationBase is the origin spec validation matches requests on: the
// spec's routes match any host, and the request never leaves the process.
const validationBase = "http://mosaic.invalid"

// serve sends q to the public handler as device dev, from peer (the admin
// caller's address: the public handler's trust decides, as for any caller,
// whether X-User-Id counts).
func serve(ctx context.Context, public http.Handler, spec *openapi.Spec, q query, dev, peer string) result {
	target, header := q.target(dev)
	res := result{device: dev, url: target}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, validationBase+target, nil)
	if err != nil {
		res.err = err
		return res
	}
	req.Header = header
	req.RemoteAddr = peer
	rec := httptest.NewRecorder()
	public.ServeHTTP(rec, req)
	res.status, res.header, res.body = rec.Code, rec.Result().Header, rec.Body.Bytes()
	res.gzip = gzipSize(res.body)
	res.spec = spec.Validate(req, res.status, res.header, res.body)
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
		return res
	}
	if res.fields, err = devicediff.Flatten(res.body); err != nil {
		res.err = err
		return res
	}
	if res.cards, err = devicediff.ExtractCards(res.body); err != nil {
		res.err = err
		return res
	}
	res.parsed = true
	return res
}

// fresh is a context for a request of the public handler made while
// serving one of the admin listener: it ends with parent but carries none of
// its values, so the public router starts from a clean slate (chi reuses a
// routing context it finds in the request's context, and the admin router
// put one there).
func fresh(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(parent, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// serveAll sends q as every device at once, as four clients would.
func serveAll(parent context.Context, public http.Handler, spec *openapi.Spec, q query, peer string) []result {
	ctx, cancel := fresh(parent)
	defer cancel()
	devs := devicediff.Devices()
	out := make([]result, len(devs))
	var wg sync.WaitGroup
	for i, dev := range devs {
		wg.Go(func() { out[i] = serve(ctx, public, spec, q, dev, peer) })
	}
	wg.Wait()
	return out
}

func gzipSize(body []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression) // the level is valid
	zw.Write(body)
	zw.Close()
	return buf.Len()
}
