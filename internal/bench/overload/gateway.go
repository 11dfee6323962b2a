package overload

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"mosaic/internal/bench/child"
	"mosaic/mocks/freeport"
)

// A gateway is nginx in front of the BFF, as the fleet runs it
// (deploy/gateway), capping the requests in flight to the BFF with the
// upstream's max_conns and answering the excess itself: a refusal made on
// the BFF's own core costs it about a tenth of a served request, and at 3×
// saturation it makes two for every scene it serves (BENCHMARKS.md, eighth
// session, for what moving them off its core did and did not show). At
// overload the cap binds; below it, the BFF's adaptive limit decides.
//
// The config carries the shipped template's overload directives (the
// upstream's max_conns, HTTP/1.1 upstream with kept-alive connections, no
// retry of a 503, the @shed answer with the request id it needs;
// TestGatewayConfigMatchesTheShippedTemplate)
// and none of the rest: its per-address rate limit would refuse a load
// generator that sends from one address, and identity, coloring and gzip
// are not what this pass measures. It differs in running one process
// (one PID to measure, so no zone) and in keeping up to 512 idle
// connections to the BFF, so that none is re-dialled below the cap.
// Errors are logged at crit: nginx logs each refusal at the cap
// ("no live upstreams") as an error, thousands a second at 3×.
const gatewayConfig = `daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr crit;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  map $http_x_request_id $mosaic_request_id {
    ""      $request_id;
    default $http_x_request_id;
  }
  upstream bff {
    server %[2]s max_conns=%[3]d;
    keepalive 512;
  }
  server {
    listen %[4]s backlog=4096;
    keepalive_requests 1000000;
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout;
      proxy_read_timeout 2s;
      proxy_pass http://bff;
      error_page 502 = @shed;
    }
    location @shed {
      add_header Access-Control-Allow-Origin * always;
      add_header Access-Control-Expose-Headers "Retry-After, X-Request-Id" always;
      add_header Retry-After 1 always;
      add_header X-Request-Id $mosaic_request_id always;
      add_header Cache-Control no-store always;
      default_type application/problem+json;
      return 503 '{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"overloaded: no replica can take this request now, retry shortly"}';
    }
    location = /gateway/healthz {
      return 200 "ok\n";
    }
  }
}
`

// renderGateway is the nginx config of a gateway listening on listen and
// passing at most maxConns requests at a time to upstream (host:port);
// dir holds its pid and temporary files.
func renderGateway(dir, upstream, listen string, maxConns int) string {
	return fmt.Sprintf(gatewayConfig, dir, upstream, maxConns, listen)
}

// startGateway runs nginx (its path) in front of the BFF at bffBase, in one
// process, so that its CPU is one PID's. In one process nginx never applies
// worker_rlimit_nofile, and Go gives a child the open-file limit the bench
// started with (often 1,024), which a stalled generator's connections
// outgrow: the limit is raised to the hard one first, and nginx inherits it.
func startGateway(ctx context.Context, client *http.Client, nginx, dir, bffBase string, maxConns int, pin pinning, cpu string) (*child.Child, error) {
	if err := raiseOpenFiles(); err != nil {
		return nil, err
	}
	listen, err := freeport.Addr() // nginx cannot announce a port it chose
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "nginx.conf")
	upstream := strings.TrimPrefix(bffBase, "http://")
	if err := os.WriteFile(conf, []byte(renderGateway(dir, upstream, listen, maxConns)), 0o644); err != nil {
		return nil, err
	}
	path, args := pin.command(cpu, nginx, []string{"-p", dir, "-c", conf, "-e", "stderr"})
	base := "http://" + listen
	return child.Start(ctx, client, child.Spec{Name: "gateway", Path: path, Args: args, Base: base,
		Ready: func(*child.Child) string { return base + "/gateway/healthz" }})
}

// FindNginx is the nginx to run: the given path, else nginx on PATH or in
// /usr/sbin (Debian's, which root's PATH has and others' may not).
func FindNginx(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", fmt.Errorf("-gateway-max-conns needs nginx (apt-get install nginx-light, or -nginx PATH): %w", exec.ErrNotFound)
}
