package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
)

// fileValue is a value read from files, and read again at the first use
// after any of them has changed, so that what a running process presents
// and trusts follows a Secret's files swapped in place (a client
// certificate renewed before it expires, a CA bundle extended for a
// rotation) without a restart. A read that fails (the swap seen half done)
// keeps the last good value.
type fileValue[T any] struct {
	paths []string
	read  func() (T, error)

	mu     sync.Mutex
	stamps []time.Time // the files' modification times when last read
	value  T
	good   bool
}

// newFileValue reads the files once, so that a bad one stops the process
// at start.
func newFileValue[T any](read func() (T, error), paths ...string) (*fileValue[T], error) {
	f := &fileValue[T]{paths: paths, read: read, stamps: make([]time.Time, len(paths))}
	if _, err := f.get(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fileValue[T]) get() (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	changed := !f.good
	for i, p := range f.paths {
		if m := modTime(p); m != f.stamps[i] {
			f.stamps[i], changed = m, true
		}
	}
	if !changed {
		return f.value, nil
	}
	v, err := f.read()
	switch {
	case err == nil:
		f.value, f.good = v, true
	case !f.good:
		return v, err
	}
	return f.value, nil
}

// modTime is the file's modification time (of its target, for a Secret's
// symlinks), zero when it cannot be read.
func modTime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// clientCertificate is a tls.Config.GetClientCertificate presenting the
// pair in certFile and keyFile as they are at each handshake.
func clientCertificate(certFile, keyFile string) (func(*tls.CertificateRequestInfo) (*tls.Certificate, error), error) {
	f, err := newFileValue(func() (*tls.Certificate, error) {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		return &pair, err
	}, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return f.get() }, nil
}

// caFile is the pool of the CAs in file, as it is at each read.
func caFile(file string) (*fileValue[*x509.CertPool], error) {
	return newFileValue(func() (*x509.CertPool, error) {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate in it", file)
		}
		return pool, nil
	}, file)
}

// caCredentials are gRPC's TLS credentials with the CA pool read again
// at each handshake, from a file that may have changed. crypto/tls reads
// a configuration's RootCAs once, and gRPC clones the configuration it is
// given for each handshake, so each handshake gets a configuration of its
// own with the pool as it is then; crypto/tls then checks the chain and
// the dialled name as ever.
type caCredentials struct {
	base  *tls.Config // RootCAs aside
	roots *fileValue[*x509.CertPool]
}

func (c caCredentials) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	roots, err := c.roots.get()
	if err != nil {
		return nil, nil, err
	}
	cfg := c.base.Clone()
	cfg.RootCAs = roots
	return credentials.NewTLS(cfg).ClientHandshake(ctx, authority, conn)
}

func (c caCredentials) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("registry: caCredentials are a client's")
}

func (c caCredentials) Info() credentials.ProtocolInfo { return credentials.NewTLS(c.base).Info() }

func (c caCredentials) Clone() credentials.TransportCredentials {
	return caCredentials{base: c.base.Clone(), roots: c.roots}
}

// OverrideServerName is gRPC's, deprecated there and unused here.
func (c caCredentials) OverrideServerName(name string) error {
	c.base.ServerName = name
	return nil
}
