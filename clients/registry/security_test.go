package registry

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"mosaic/clients/instance"
	"mosaic/mocks/etcdtest"
)

func TestSecurityFilesLoad(t *testing.T) {
	dir := t.TempDir()
	certs, err := etcdtest.NewCerts(dir)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	password := write("password", "s3cret\n")
	empty := write("empty", "\n")
	notPEM := write("not.pem", "hello")
	tls := []string{"https://127.0.0.1:2379"}
	tests := []struct {
		name      string
		files     SecurityFiles
		endpoints []string
		wantErr   string // "" loads
		tls, auth bool
	}{
		{name: "nothing: plaintext, anonymous", endpoints: []string{"127.0.0.1:2379"}},
		{name: "nothing and no registry", endpoints: nil},
		{name: "a file without a registry", files: SecurityFiles{CA: certs.CA}, wantErr: "need -registry"},
		{name: "CA alone", files: SecurityFiles{CA: certs.CA}, endpoints: tls, tls: true},
		{name: "CA with bare host:port endpoints", files: SecurityFiles{CA: certs.CA}, endpoints: []string{"127.0.0.1:2379"}, tls: true},
		{name: "client certificate", files: SecurityFiles{CA: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey}, endpoints: tls, tls: true},
		{name: "user and password", files: SecurityFiles{User: "mosaic", PasswordFile: password}, endpoints: tls, auth: true},
		{name: "all", files: SecurityFiles{CA: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey, User: "mosaic", PasswordFile: password}, endpoints: tls, tls: true, auth: true},
		{name: "cert without key", files: SecurityFiles{Cert: certs.ClientCert}, endpoints: tls, wantErr: "come together"},
		{name: "key without cert", files: SecurityFiles{Key: certs.ClientKey}, endpoints: tls, wantErr: "come together"},
		{name: "user without password", files: SecurityFiles{User: "mosaic"}, endpoints: tls, wantErr: "come together"},
		{name: "password without user", files: SecurityFiles{PasswordFile: password}, endpoints: tls, wantErr: "come together"},
		{name: "missing password file", files: SecurityFiles{User: "mosaic", PasswordFile: filepath.Join(dir, "nope")}, endpoints: tls, wantErr: "-registry-password-file"},
		{name: "empty password", files: SecurityFiles{User: "mosaic", PasswordFile: empty}, endpoints: tls, wantErr: "is empty"},
		{name: "missing CA", files: SecurityFiles{CA: filepath.Join(dir, "nope")}, endpoints: tls, wantErr: "-registry-ca"},
		{name: "CA that is not PEM", files: SecurityFiles{CA: notPEM}, endpoints: tls, wantErr: "no PEM certificate"},
		{name: "key of another certificate", files: SecurityFiles{Cert: certs.ClientCert, Key: certs.ServerKey}, endpoints: tls, wantErr: "-registry-cert"},
		{name: "TLS files with an http endpoint", files: SecurityFiles{CA: certs.CA}, endpoints: []string{"http://127.0.0.1:2379"}, wantErr: "use https://"},
		{name: "http and https mixed", endpoints: []string{"https://10.0.0.1:2379", "http://10.0.0.2:2379"}, wantErr: "all TLS or none"},
		{name: "bare and https mixed, no CA", endpoints: []string{"10.0.0.1:2379", "https://10.0.0.2:2379"}, wantErr: "all TLS or none"},
		{name: "bare and https mixed, a CA", files: SecurityFiles{CA: certs.CA}, endpoints: []string{"10.0.0.1:2379", "https://10.0.0.2:2379"}, tls: true},
		{name: "unix and unixs mixed, no CA", endpoints: []string{"unixs:///run/a", "unix:///run/b"}, wantErr: "all TLS or none"},
		{name: "unix with a CA is TLS", files: SecurityFiles{CA: certs.CA}, endpoints: []string{"unix:///run/a", "https://10.0.0.2:2379"}, tls: true},
		{name: "a password in the clear", files: SecurityFiles{User: "mosaic", PasswordFile: password}, endpoints: []string{"10.0.0.1:2379"}, wantErr: "in the clear"},
		{name: "a password over http", files: SecurityFiles{User: "mosaic", PasswordFile: password}, endpoints: []string{"http://10.0.0.1:2379"}, wantErr: "in the clear"},
		{name: "a password over a local socket", files: SecurityFiles{User: "mosaic", PasswordFile: password}, endpoints: []string{"unix:///run/etcd.sock"}, auth: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.files.Load(tt.endpoints)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (s.TLS != nil) != tt.tls || (s.Username != "") != tt.auth {
				t.Errorf("Load: TLS %v, user %q; want TLS %v, auth %v", s.TLS != nil, s.Username, tt.tls, tt.auth)
			}
			if tt.auth && s.Password != "s3cret" {
				t.Errorf("password %q, want the file's line without its newline", s.Password)
			}
			if tt.files.Cert != "" {
				if c, err := s.TLS.GetClientCertificate(nil); err != nil || c == nil {
					t.Errorf("no client certificate: %v", err)
				}
			}
		})
	}
	if _, err := Connect([]string{"http://127.0.0.1:1", "https://127.0.0.1:2"}, Security{}); err == nil {
		t.Error("Connect took endpoints mixing http and https")
	}
}

// A registry behind TLS with client certificates and etcd's users: the
// registrar and the peers' watch work with the right credentials, and
// without any one of them nothing reaches etcd.
func TestRegistryOverTLSWithAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd")
	}
	t.Parallel()
	etcd := etcdtest.StartTLS(t)
	etcd.EnableAuth(t, "mosaic", "s3cret")
	certs := etcd.Certs()
	full := SecurityFiles{CA: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey, User: "mosaic", PasswordFile: filepath.Join(t.TempDir(), "pw")}
	if err := os.WriteFile(full.PasswordFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	connect := func(t *testing.T, f SecurityFiles, endpoint string) (*clientv3.Client, error) {
		t.Helper()
		sec, err := f.Load([]string{endpoint})
		if err != nil {
			return nil, err
		}
		cli, err := Connect([]string{endpoint}, sec)
		if err == nil {
			t.Cleanup(func() { _ = cli.Close() })
		}
		return cli, err
	}

	t.Run("with every credential", func(t *testing.T) {
		cli, err := connect(t, full, etcd.Endpoint())
		if err != nil {
			t.Fatal(err)
		}
		peers, err := WatchPeers(cli, "bff")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(peers.Close)
		r := newRegistrar(t, cli, "bff-0", []string{"bff"}, instance.Instance{Addr: "127.0.0.1:1"})
		if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
			t.Fatalf("not registered over TLS as mosaic: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !slices.Equal(peers.IDs(), []string{"bff-0"}) {
			if time.Now().After(deadline) {
				t.Fatalf("the peers' watch saw %v, want [bff-0]", peers.IDs())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	refused := []struct {
		name     string
		files    SecurityFiles
		endpoint string
	}{
		{"no client certificate", SecurityFiles{CA: certs.CA, User: full.User, PasswordFile: full.PasswordFile}, etcd.Endpoint()},
		{"no user", SecurityFiles{CA: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey}, etcd.Endpoint()},
		{"plaintext", SecurityFiles{}, strings.TrimPrefix(etcd.Endpoint(), "https://")},
		{"a password in the clear", SecurityFiles{User: full.User, PasswordFile: full.PasswordFile}, strings.TrimPrefix(etcd.Endpoint(), "https://")},
	}
	t.Run("refused", func(t *testing.T) {
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel() // each waits out its timeout
				cli, err := connect(t, tt.files, tt.endpoint)
				if err != nil {
					t.Logf("refused at start: %v", err)
					return
				}
				_, err = cli.Put(timeout(t, 3*time.Second), "/mosaic/probe", "x")
				if err == nil {
					t.Fatal("a write reached etcd")
				}
				t.Logf("refused: %v", err)
			})
		}
	})

	// etcd takes a client certificate's CN for the user of a request with
	// no token: once that user exists, the certificate alone will do.
	t.Run("a certificate naming a user", func(t *testing.T) {
		etcd.AddCertificateUser(t)
		cli, err := connect(t, SecurityFiles{CA: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey}, etcd.Endpoint())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Put(timeout(t, 5*time.Second), "/mosaic/probe", "x"); err != nil {
			t.Fatalf("as %s: %v", etcdtest.ClientCN, err)
		}
	})

	// A process started with the CA file still holding another CA (a
	// rotation's files half rolled out) reaches etcd once the file holds
	// etcd's CA, without a restart: Connect's client reads it again.
	t.Run("a CA file that changes under a running client", func(t *testing.T) {
		other, err := etcdtest.NewCerts(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		ca := filepath.Join(t.TempDir(), "ca.pem")
		install := newInstaller(t)
		install(other.CA, ca)
		cli, err := connect(t, SecurityFiles{CA: ca, Cert: certs.ClientCert, Key: certs.ClientKey}, etcd.Endpoint())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Put(timeout(t, time.Second), "/mosaic/probe", "x"); err == nil {
			t.Fatal("etcd's certificate was trusted on another CA's word")
		}
		install(certs.CA, ca)
		if _, err := cli.Put(timeout(t, 10*time.Second), "/mosaic/probe", "x"); err != nil {
			t.Fatalf("with etcd's CA in the file: %v", err)
		}
	})

	t.Run("a wrong password fails at start", func(t *testing.T) {
		wrong := full
		wrong.PasswordFile = filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(wrong.PasswordFile, []byte("guess"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := connect(t, wrong, etcd.Endpoint()); err == nil || !strings.Contains(err.Error(), "authentication failed") {
			t.Fatalf("Connect: %v, want authentication failed", err)
		}
	})
}
