package registry

import (
	"crypto/tls"
	"os"
	"sync"
	"time"
)

// certFile is a client certificate read from its files at each TLS
// handshake they have changed since, so that a certificate renewed under a
// running process (a Secret's files swapped in place) is the one its next
// connection to etcd presents, before the old one expires. A pair that does
// not load (the swap seen half done) leaves the last good one in use.
type certFile struct {
	cert, key string

	mu     sync.Mutex
	stamp  [2]time.Time // the files' modification times when loaded
	loaded *tls.Certificate
}

// loadCertFile reads the pair once, so that a bad one stops the process
// at start.
func loadCertFile(cert, key string) (*certFile, error) {
	c := &certFile{cert: cert, key: key}
	if _, err := c.get(nil); err != nil {
		return nil, err
	}
	return c, nil
}

// get is a tls.Config.GetClientCertificate.
func (c *certFile) get(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stamp := [2]time.Time{modTime(c.cert), modTime(c.key)}
	if c.loaded != nil && stamp == c.stamp {
		return c.loaded, nil
	}
	pair, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		if c.loaded != nil {
			return c.loaded, nil
		}
		return nil, err
	}
	c.loaded, c.stamp = &pair, stamp
	return c.loaded, nil
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
