package registry

import (
	"bytes"
	"crypto/tls"
	"net"
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
	installPair := newInstaller(t)
	install := func(fromCert, fromKey string) { installPair(fromCert, cert, fromKey, key) }
	leaf := func(get func(*tls.CertificateRequestInfo) (*tls.Certificate, error)) []byte {
		t.Helper()
		got, err := get(&tls.CertificateRequestInfo{})
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
	c, err := clientCertificate(cert, key)
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
	if _, err := clientCertificate(cert, key); err == nil {
		t.Error("clientCertificate took a mismatched pair at start")
	}
}

// newInstaller returns a function copying files in place (from, to, from,
// to...), each call stamping them a minute later than the last: file
// systems with coarse times would otherwise see no change.
func newInstaller(t *testing.T) func(fromTo ...string) {
	at := time.Now().Add(-time.Hour)
	return func(fromTo ...string) {
		t.Helper()
		for i := 0; i+1 < len(fromTo); i += 2 {
			b, err := os.ReadFile(fromTo[i])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(fromTo[i+1], b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(fromTo[i+1], at, at); err != nil {
				t.Fatal(err)
			}
		}
		at = at.Add(time.Minute)
	}
}

// The CA is read again at the first handshake after its file changes, so
// that a rotation (the bundle extended with the new CA, then the old one
// dropped) needs no restart; the check it makes in crypto/tls's place
// still refuses a chain to no CA in the file, a name the certificate does
// not hold, and no name at all.
func TestTheCAIsReadAgainWhenItsFileChanges(t *testing.T) {
	old, err := etcdtest.NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := etcdtest.NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	bundle, empty := filepath.Join(dir, "bundle.src"), filepath.Join(dir, "empty.src")
	concat(t, bundle, old.CA, rotated.CA)
	concat(t, empty)
	cut := filepath.Join(dir, "cut.src")
	concat(t, cut, old.CA, rotated.CA)
	if b, err := os.ReadFile(cut); err != nil || os.WriteFile(cut, b[:len(b)-200], 0o600) != nil {
		t.Fatal("cutting the bundle short")
	}
	install := newInstaller(t)
	install(old.CA, ca)
	sec, err := SecurityFiles{CA: ca}.Load([]string{"https://127.0.0.1:2379"})
	if err != nil {
		t.Fatal(err)
	}
	if sec.roots == nil {
		t.Fatal("no CA file to read again")
	}
	// name is the authority gRPC dials, whose host the certificate must hold.
	handshake := func(server etcdtest.Certs, name string) error {
		t.Helper()
		pair, err := tls.LoadX509KeyPair(server.ServerCert, server.ServerKey)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			s, err := ln.Accept()
			if err != nil {
				return
			}
			defer s.Close()
			s.SetDeadline(time.Now().Add(5 * time.Second))
			_ = tls.Server(s, &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"h2"}}).Handshake()
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		creds := caCredentials{base: sec.TLS, roots: sec.roots}
		_, _, err = creds.ClientHandshake(t.Context(), name, c)
		return err
	}
	steps := []struct {
		install string // the CA file's new content, if any
		server  etcdtest.Certs
		name    string
		ok      bool
	}{
		{"", old, "127.0.0.1:2379", true},
		{"", old, "localhost:2379", true},
		{"", rotated, "127.0.0.1:2379", false}, // not yet trusted
		{"", old, "etcd.example:2379", false},  // a name the certificate does not hold
		{"", old, "", false},                   // no name to check
		{bundle, rotated, "127.0.0.1:2379", true},
		{bundle, old, "127.0.0.1:2379", true},
		{rotated.CA, old, "127.0.0.1:2379", false}, // the old CA dropped
		{rotated.CA, rotated, "127.0.0.1:2379", true},
		{empty, rotated, "127.0.0.1:2379", true}, // a file seen half written keeps the last good CA
		{empty, old, "127.0.0.1:2379", false},
		{cut, rotated, "127.0.0.1:2379", true}, // so does a bundle cut short, whole certificates before the cut or not
		{cut, old, "127.0.0.1:2379", false},
	}
	for i, st := range steps {
		if st.install != "" {
			install(st.install, ca)
		}
		if err := handshake(st.server, st.name); (err == nil) != st.ok {
			t.Errorf("step %d (CA file %s, server of %s, name %q): handshake error %v, want ok=%v",
				i, filepath.Base(st.install), filepath.Base(filepath.Dir(st.server.CA)), st.name, err, st.ok)
		}
	}

	// A file seen while being written, then finished within the same tick
	// of a coarse clock and at the size it was preallocated to: its
	// modification time and size do not change, and it is read all the
	// same, since the read that failed did not count.
	good, err := os.ReadFile(old.CA)
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Now().Add(time.Hour).Truncate(time.Second)
	put := func(b []byte) {
		t.Helper()
		if err := os.WriteFile(ca, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(ca, tick, tick); err != nil {
			t.Fatal(err)
		}
	}
	put(bytes.Repeat([]byte{'x'}, len(good)))
	if err := handshake(rotated, "127.0.0.1:2379"); err != nil {
		t.Fatalf("a file of junk replaced the last good CA: %v", err)
	}
	put(good)
	if err := handshake(old, "127.0.0.1:2379"); err != nil {
		t.Errorf("the finished file, of the same time and size as the junk before it, was not read: %v", err)
	}
}

// concat writes the files' contents, one after another, to path.
func concat(t *testing.T, path string, files ...string) {
	t.Helper()
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if err := os.WriteFile(path, all, 0o600); err != nil {
		t.Fatal(err)
	}
}
