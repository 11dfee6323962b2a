package registry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
)

// fileValue is a value read from files, and read again at the first use
// after any of them has changed, so that what a running process presents
// and trusts follows a Secret's files swapped in place (a client
// certificate renewed before it expires, a CA bundle extended for a
// rotation) without a restart. A read that fails (the swap seen half done)
// keeps the last good value, and is tried again at the next use: a file
// finished within the same tick of a coarse clock has the same time.
type fileValue[T any] struct {
	paths []string
	read  func() (T, error)

	mu     sync.Mutex
	stamps []stamp // the files' when last read well
	value  T
	good   bool
}

// stamp tells one version of a file from another: its modification time,
// which a coarse clock may leave alone across a rewrite, and its size.
type stamp struct {
	mod  time.Time
	size int64
}

// newFileValue reads the files once, so that a bad one stops the process
// at start.
func newFileValue[T any](read func() (T, error), paths ...string) (*fileValue[T], error) {
	f := &fileValue[T]{paths: paths, read: read}
	if _, err := f.get(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fileValue[T]) get() (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := make([]stamp, len(f.paths))
	for i, p := range f.paths {
		now[i] = stampOf(p)
	}
	if f.good && slices.Equal(now, f.stamps) {
		return f.value, nil
	}
	v, err := f.read()
	switch {
	case err == nil:
		f.value, f.good, f.stamps = v, true, now
	case !f.good:
		return v, err
	}
	return f.value, nil
}

// stampOf is the file's stamp (of its target, for a Secret's symlinks),
// zero when it cannot be read.
func stampOf(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stamp{fi.ModTime(), fi.Size()}
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

// caFile is the pool of the CAs in file, as it is at each read. Every
// block must be a whole certificate, with nothing but space after the
// last: a bundle seen half written is not read as the certificates before
// its cut.
func caFile(file string) (*fileValue[*x509.CertPool], error) {
	return newFileValue(func() (*x509.CertPool, error) {
		rest, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		n := 0
		for {
			var block *pem.Block
			if block, rest = pem.Decode(rest); block == nil {
				break
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if block.Type != "CERTIFICATE" || err != nil {
				return nil, fmt.Errorf("%s: block %d is not a certificate", file, n+1)
			}
			pool.AddCert(cert)
			n++
		}
		switch {
		case n == 0:
			return nil, fmt.Errorf("%s: no PEM certificate in it", file)
		case len(bytes.TrimSpace(rest)) > 0:
			return nil, fmt.Errorf("%s: something after certificate %d that is not one (a file cut short?)", file, n)
		}
		return pool, nil
	}, file)
}

// caCredentials are gRPC's TLS credentials with the CA pool read again
// at each handshake, from a file that may have changed. gRPC's own TLS
// credentials keep a copy of the configuration they were made with (and
// a configuration in use must not be changed), so each handshake gets a
// configuration of its own with the pool as it is then; crypto/tls then
// checks the chain and the dialled name as ever.
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

// OverrideServerName is gRPC's, deprecated there; gRPC sets the server
// name from the address it dials, and base is shared by every handshake.
func (c caCredentials) OverrideServerName(string) error { return nil }
