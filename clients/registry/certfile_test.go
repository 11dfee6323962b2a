package registry

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mosaic/mocks/etcdtest"
)

// A certificate renewed in place (new files, as a Secret's volume swaps
// them) is the one the next handshake presents; a pair that does not load
// leaves the last good one.
func TestClientCertificateIsReadAgainWhenItsFilesChange(t *testing.T) {
	first, err := etcdtest.NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := etcdtest.NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	at := time.Now().Add(-time.Hour)
	install := func(fromCert, fromKey string) {
		t.Helper()
		for _, f := range [][2]string{{fromCert, cert}, {fromKey, key}} {
			b, err := os.ReadFile(f[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f[1], b, 0o600); err != nil {
				t.Fatal(err)
			}
			// Each install a minute on: file systems with coarse times
			// would otherwise see no change.
			if err := os.Chtimes(f[1], at, at); err != nil {
				t.Fatal(err)
			}
		}
		at = at.Add(time.Minute)
	}
	leaf := func(c *certFile) []byte {
		t.Helper()
		got, err := c.get(&tls.CertificateRequestInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return got.Certificate[0]
	}
	want := func(certs etcdtest.Certs) []byte {
		t.Helper()
		pair, err := tls.LoadX509KeyPair(certs.ClientCert, certs.ClientKey)
		if err != nil {
			t.Fatal(err)
		}
		return pair.Certificate[0]
	}

	install(first.ClientCert, first.ClientKey)
	c, err := loadCertFile(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if string(leaf(c)) != string(want(first)) {
		t.Fatal("not the installed certificate")
	}
	install(renewed.ClientCert, renewed.ClientKey)
	if string(leaf(c)) != string(want(renewed)) {
		t.Fatal("the renewed certificate was not read")
	}
	install(first.ClientCert, renewed.ClientKey) // half swapped: a mismatched pair
	if string(leaf(c)) != string(want(renewed)) {
		t.Fatal("a pair that does not load replaced the last good one")
	}
	if _, err := loadCertFile(cert, key); err == nil {
		t.Error("loadCertFile took a mismatched pair at start")
	}
}
