package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Security is how a process and etcd prove themselves to each other: TLS
// (etcd's --cert-file, and its --client-cert-auth when a client
// certificate is given) and etcd's own users (auth enable). The zero value
// is plaintext and anonymous, as a local etcd or a compose file runs it.
type Security struct {
	// TLS is the client's TLS configuration: the client certificate read
	// again whenever its files change, the CA as read at start (Connect's
	// client reads it again too, through roots); nil: plaintext,
	// unless the endpoints are https:// or unixs://, which etcd's client
	// then dials with the system's roots.
	TLS *tls.Config
	// Username and Password authenticate to an etcd with auth enabled;
	// both or neither.
	Username, Password string
	// roots, if not nil, is the CA file TLS's RootCAs were read from,
	// read again at each handshake after it changes (caCredentials).
	roots *fileValue[*x509.CertPool]
}

// SecurityFiles are the flags' values: what Security is loaded from.
type SecurityFiles struct {
	CA, Cert, Key string // PEM files; CA empty: the system's roots
	User          string
	PasswordFile  string // the password is read from a file (a mounted secret), never from a flag: flags show in ps
}

// Flags defines -registry-ca, -registry-cert, -registry-key,
// -registry-user and -registry-password-file on fs, into f.
func (f *SecurityFiles) Flags(fs *flag.FlagSet) {
	fs.StringVar(&f.CA, "registry-ca", "", "PEM file of the CA that signed etcd's certificate: the registry is dialled with TLS (default: the system's roots, for https:// endpoints)")
	fs.StringVar(&f.Cert, "registry-cert", "", "PEM file of this process's client certificate for etcd (its --client-cert-auth); with -registry-key")
	fs.StringVar(&f.Key, "registry-key", "", "PEM file of the key of -registry-cert")
	fs.StringVar(&f.User, "registry-user", "", "etcd user to authenticate as with a password (etcd's auth enabled), with -registry-password-file; etcd must then answer at start (a client certificate whose CN names the user need not)")
	fs.StringVar(&f.PasswordFile, "registry-password-file", "", "file holding the password of -registry-user (a mounted secret); its trailing newline is ignored")
}

// Load reads the files for a registry at endpoints: any TLS file means
// TLS, and a missing, unreadable or mismatched file is an error now, at
// start, rather than a registry that never answers. Without endpoints
// (no registry) it wants no file either.
func (f SecurityFiles) Load(endpoints []string) (Security, error) {
	if len(endpoints) == 0 {
		if f != (SecurityFiles{}) {
			return Security{}, errors.New("-registry-ca, -registry-cert, -registry-key, -registry-user and -registry-password-file need -registry")
		}
		return Security{}, nil
	}
	s, err := f.load()
	if err != nil {
		return s, err
	}
	return s, checkSchemes(endpoints, s)
}

func (f SecurityFiles) load() (Security, error) {
	var s Security
	switch {
	case (f.Cert == "") != (f.Key == ""):
		return s, errors.New("-registry-cert and -registry-key come together")
	case (f.User == "") != (f.PasswordFile == ""):
		return s, errors.New("-registry-user and -registry-password-file come together")
	}
	if f.User != "" {
		b, err := os.ReadFile(f.PasswordFile)
		if err != nil {
			return s, fmt.Errorf("-registry-password-file: %w", err)
		}
		s.Username, s.Password = f.User, strings.TrimRight(string(b), "\r\n")
		if s.Password == "" {
			return s, fmt.Errorf("-registry-password-file %s is empty", f.PasswordFile)
		}
	}
	if f.CA == "" && f.Cert == "" {
		return s, nil
	}
	s.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		roots, err := caFile(f.CA)
		if err != nil {
			return s, fmt.Errorf("-registry-ca: %w", err)
		}
		s.TLS.RootCAs, _ = roots.get()
		s.roots = roots
	}
	if f.Cert != "" {
		get, err := clientCertificate(f.Cert, f.Key)
		if err != nil {
			return s, fmt.Errorf("-registry-cert, -registry-key: %w", err)
		}
		s.TLS.GetClientCertificate = get
	}
	return s, nil
}

// checkSchemes refuses endpoints that would not all be dialled the way
// they say, and a password that would cross the network in the clear.
// etcd's client dials every endpoint with the credentials the first one
// calls for: "http://a,https://b" would reach b in plaintext, and so would
// "a:2379,https://b" without a CA (a bare host:port, like unix://, is TLS
// only with a TLS configuration). A TLS configuration with http://
// endpoints is a mistake in one of the two.
func checkSchemes(endpoints []string, s Security) error {
	secure, plain := "", ""
	for _, ep := range endpoints {
		scheme, _, found := strings.Cut(ep, "://")
		switch {
		case scheme == "https" || scheme == "unixs":
			secure = ep
		case scheme == "http":
			if s.TLS != nil {
				return fmt.Errorf("registry: endpoint %q is plaintext, but a CA or client certificate was given: use https://", ep)
			}
			plain = ep
		case !found || scheme == "unix":
			if s.TLS != nil {
				secure = ep
			} else {
				plain = ep
			}
		}
	}
	switch {
	case secure != "" && plain != "":
		return fmt.Errorf("registry: endpoints %q and %q: all TLS or none (etcd's client would dial both as the first one says)", plain, secure)
	case s.Password != "" && secure == "" && !allUnix(endpoints):
		return errors.New("registry: -registry-user's password would cross the network in the clear: use https:// endpoints or -registry-ca")
	}
	return nil
}

// allUnix: every endpoint is a local socket, where no one on the network
// reads a password.
func allUnix(endpoints []string) bool {
	for _, ep := range endpoints {
		if !strings.HasPrefix(ep, "unix://") {
			return false
		}
	}
	return true
}
