package bff_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"mosaic/bff/httpx"
)

// BenchmarkCompress is what each coding costs the server for a feed answer
// (the goldens' bodies, as sent: compact), and what it saves: ns/op and
// B/op per response, "bytes" the encoded size. zstd wins a tie in
// Accept-Encoding (browsers send one) on these figures.
func BenchmarkCompress(b *testing.B) {
	for _, dev := range []string{"web", "app"} {
		pretty, err := os.ReadFile("testdata/golden/feed/" + dev + ".base.json")
		if err != nil {
			b.Fatal(err)
		}
		var body bytes.Buffer
		if err := json.Compact(&body, pretty); err != nil {
			b.Fatal(err)
		}
		h := httpx.Compress()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body.Bytes())
		}))
		for _, coding := range []string{"gzip", "zstd"} {
			b.Run(dev+"/"+coding, func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.Header.Set("Accept-Encoding", coding)
				var sent int
				for b.Loop() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Header().Get("Content-Encoding") != coding {
						b.Fatalf("Content-Encoding %q, want %s", rec.Header().Get("Content-Encoding"), coding)
					}
					sent = rec.Body.Len()
				}
				b.ReportMetric(float64(body.Len()), "body-bytes")
				b.ReportMetric(float64(sent), "bytes")
			})
		}
	}
}
