package etcdtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// EnableAuth turns on etcd's authentication with one user besides root,
// user, who may read and write every key under "/" (the registry's), and
// root, whose password only Client knows.
func (s *Server) EnableAuth(tb testing.TB, user, password string) {
	tb.Helper()
	cli := s.Client(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	root := fmt.Sprintf("root-%x", time.Now().UnixNano())
	steps := []func() error{
		func() error { _, err := cli.UserAdd(ctx, "root", root); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := cli.RoleAdd(ctx, "registry"); return err },
		func() error {
			_, err := cli.RoleGrantPermission(ctx, "registry", "/", clientv3.GetPrefixRangeEnd("/"), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := cli.UserAdd(ctx, user, password); return err },
		func() error { _, err := cli.UserGrantRole(ctx, user, "registry"); return err },
		func() error { _, err := cli.AuthEnable(ctx); return err },
	}
	for n, step := range steps {
		if err := step(); err != nil {
			tb.Fatalf("etcdtest: enabling auth, step %d: %v", n+1, err)
		}
	}
	s.root = root
}

// AddCertificateUser adds, once auth is enabled, the user the client
// certificate names (its CN), with no password and the registry's
// permissions: etcd then takes the certificate alone for that user.
func (s *Server) AddCertificateUser(tb testing.TB) {
	tb.Helper()
	if s.root == "" || s.certs == nil {
		tb.Fatal("etcdtest: AddCertificateUser needs StartTLS and EnableAuth")
	}
	cli := s.Client(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.UserAddWithOptions(ctx, ClientCN, "", &clientv3.UserAddOptions{NoPassword: true}); err != nil {
		tb.Fatalf("etcdtest: adding user %s: %v", ClientCN, err)
	}
	if _, err := cli.UserGrantRole(ctx, ClientCN, "registry"); err != nil {
		tb.Fatalf("etcdtest: granting %s the registry: %v", ClientCN, err)
	}
}
