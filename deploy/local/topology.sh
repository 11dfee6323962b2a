#!/usr/bin/env bash
# The fleet on one machine, without Docker: Debian's etcd on loopback, four
# mocksvc instances registered in it (two in cluster c1, one in c2, one
# canary), two bff replicas discovering them through etcd, and Debian's nginx
# in front with the gateway config that docker compose uses
# (deploy/gateway/mosaic.conf.template). Ctrl-C stops everything.
#
#   deploy/local/topology.sh            # gateway on 127.0.0.1:8000
#   deploy/local/topology.sh -p 18000   # every port moved up by 10000
#   deploy/local/topology.sh -b DIR     # use bff and mocksvc already built in DIR
#   deploy/local/topology.sh -k         # keep going when a process dies
#
# By default a process that exits takes the topology down, so a crash is not
# missed. With -k it stays up for fault drills: kill or freeze any process
# (its pid is in RUN/NAME.pid), and `RUN/restart NAME` starts it again with
# the arguments it had; the script says when one exits or comes back.
#
# Needs go, etcd (apt-get install etcd-server), nginx (apt-get install
# nginx-light) and curl. Ports, from the base P: gateway P, bff P+1..P+2
# (admin P+11..P+12), mocksvc gRPC P+21..P+24 (admin P+31..P+34), etcd
# P+41 (peer P+42). Everything listens on 127.0.0.1 only. REPLICA_MAX_CONNS in
# the environment caps the gateway's requests in flight per replica (64).
set -euo pipefail

base=8000
bindir=""
keep=""
while getopts "p:b:kh" opt; do
  case $opt in
    p) base=$OPTARG ;;
    b) bindir=$OPTARG ;;
    k) keep=1 ;;
    *) sed -n '2,22p' "$0" >&2; exit 2 ;;
  esac
done
# Absolute, so that restart can start a process again from anywhere.
[ -z "$bindir" ] || bindir=$(cd "$bindir" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
ETCD=${ETCD:-$(command -v etcd || echo /usr/bin/etcd)}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
for tool in "$ETCD" "$NGINX" curl; do
  command -v "$tool" >/dev/null || { echo "topology: $tool not found (apt-get install etcd-server nginx-light curl)" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/mosaic-topology.XXXXXX")
run=$dir/run # NAME.pid and NAME.args per process; restart
mkdir "$run"
tiers=()     # one space-separated list of names per tier, in start order

# pids lists the pids of the named processes, as their pid files say now
# (a restarted process is no child of this script).
pids() {
  local name pid
  for name in "$@"; do
    read -r pid <"$run/$name.pid"
    echo "$pid"
  done
}

# stop ends the tiers in reverse order (gateway, bff, mocksvc, etcd), so each
# mocksvc can still deregister from etcd: SIGTERM, then SIGKILL after 15 s.
stop() {
  trap - EXIT INT TERM
  local i pid n alive
  for ((i = ${#tiers[@]} - 1; i >= 0; i--)); do
    alive=$(pids ${tiers[i]})
    for pid in $alive; do kill -TERM "$pid" 2>/dev/null || true; done
    for ((n = 0; n < 150; n++)); do
      set -- $alive
      alive=""
      for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
      [ -z "$alive" ] && break
      sleep 0.1
    done
    for pid in $alive; do kill -KILL "$pid" 2>/dev/null || true; done
  done
  wait 2>/dev/null || true
  if [ -n "${kept:-}" ]; then
    echo "topology: stopped; the logs are kept in $dir" >&2
  else
    rm -rf "$dir"
    echo "topology: stopped"
  fi
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# await polls url until it answers 2xx (at most 30 s), else shows the log.
await() {
  local name=$1 url=$2 n
  for ((n = 0; n < 300; n++)); do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "topology: $name did not come up at $url; its log:" >&2
  tail -n 30 "$dir/$name.log" >&2
  exit 1
}

# start NAME CMD... runs a process in the background, its output in NAME.log,
# and keeps its pid and arguments for stop and restart.
start() {
  local name=$1
  shift
  printf '%q ' "$@" >"$run/$name.args"
  "$@" >"$dir/$name.log" 2>&1 &
  echo $! >"$run/$name.pid.new" && mv "$run/$name.pid.new" "$run/$name.pid"
  tier="$tier $name"
}

# restart NAME starts NAME again with the arguments it first had, detached
# from the caller's terminal, once it is no longer running.
cat >"$run/restart" <<'RESTART'
#!/usr/bin/env bash
set -eu
run=$(cd "$(dirname "$0")" && pwd)
name=${1:-}
if [ -z "$name" ] || [ ! -f "$run/$name.args" ]; then
  echo "usage: restart NAME, one of:" $(cd "$run" && ls *.args | sed 's/\.args$//') >&2
  exit 2
fi
read -r pid <"$run/$name.pid"
if kill -0 "$pid" 2>/dev/null; then echo "restart: $name is running (pid $pid)" >&2; exit 1; fi
# exec keeps $! the process's own pid; setsid keeps it from the caller's
# terminal and its signals.
(eval "exec setsid $(cat "$run/$name.args")") >>"$run/../$name.log" 2>&1 </dev/null &
pid=$!
# Written whole (a new file moved over the old), so that a reader never
# sees it empty.
echo $pid >"$run/$name.pid.new" && mv "$run/$name.pid.new" "$run/$name.pid"
sleep 0.2
if ! kill -0 "$pid" 2>/dev/null; then
  echo "restart: $name exited at once; the end of its log:" >&2
  tail -n 5 "$run/../$name.log" >&2
  exit 1
fi
echo "restart: $name started (pid $pid)"
RESTART
chmod +x "$run/restart"

if [ -z "$bindir" ]; then
  bindir=$dir/bin
  echo "topology: building bff and mocksvc"
  (cd "$root" && go build -o "$bindir/" ./cmd/bff ./cmd/mocksvc)
fi

etcd_addr=127.0.0.1:$((base + 41))
peer=http://127.0.0.1:$((base + 42))
tier=""
start etcd "$ETCD" --name local --data-dir "$dir/etcd" \
  --listen-client-urls "http://$etcd_addr" --advertise-client-urls "http://$etcd_addr" \
  --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "local=$peer"
tiers+=("$tier")
await etcd "http://$etcd_addr/health"

# Every instance serves all six services from the same seed, so any of them
# gives the same data; they differ in where they say they run.
mocks=(mocks-c1-a mocks-c1-b mocks-c2 mocks-canary)
clusters=(c1 c1 c2 c1)
zones=(c1-a c1-b c2-a c1-a)
colors=("" "" "" canary)
tier=""
for i in 0 1 2 3; do
  grpc=127.0.0.1:$((base + 21 + i))
  start "${mocks[i]}" "$bindir/mocksvc" -addr "$grpc" -admin-addr "127.0.0.1:$((base + 31 + i))" \
    -registry "$etcd_addr" -advertise "$grpc" -instance-id "${mocks[i]}" \
    -cluster "${clusters[i]}" -zone "${zones[i]}" -color "${colors[i]}" -seed 1 -latency 5ms -jitter 5ms
done
tiers+=("$tier")
for i in 0 1 2 3; do await "${mocks[i]}" "http://127.0.0.1:$((base + 31 + i))/healthz"; done

tier=""
for i in 1 2; do
  start "bff-$i" "$bindir/bff" -addr "127.0.0.1:$((base + i))" -admin-addr "127.0.0.1:$((base + 10 + i))" \
    -registry "$etcd_addr" -cluster c1 -subset 0 -instance-id "bff-$i" \
    -trusted-proxies 127.0.0.1/32 -drain 0s -grace 5s
done
tiers+=("$tier")
for i in 1 2; do await "bff-$i" "http://127.0.0.1:$((base + 10 + i))/readyz"; done

mkdir -p "$dir/nginx/tmp"
chmod 711 "$dir" "$dir/nginx"
chmod 1777 "$dir/nginx/tmp"
# The placeholders, as the nginx image's envsubst fills them in compose
# (REPLICA_MAX_CONNS from the environment, 64 if unset).
sed -e "s|\${GATEWAY_LISTEN}|127.0.0.1:$base|g" \
  -e "s|\${BFF_1}|127.0.0.1:$((base + 1))|g" -e "s|\${BFF_2}|127.0.0.1:$((base + 2))|g" \
  -e "s|\${REPLICA_MAX_CONNS}|${REPLICA_MAX_CONNS:-64}|g" -e "s|\${REPLICA_MAX_FAILS}|3|g" \
  -e "s|\${VIEWER_ID}|\$http_x_demo_user|g" -e "s|\${LANES}|canary|g" \
  "$root/deploy/gateway/mosaic.conf.template" >"$dir/nginx/mosaic.conf"
if grep -n '\${' "$dir/nginx/mosaic.conf" >&2; then
  echo "topology: the gateway template has a placeholder this script does not fill" >&2
  exit 1
fi
{
  # Run as root, nginx's workers drop to nobody: they only need the temp dir.
  if [ "$(id -u)" = 0 ]; then echo "user nobody $(id -gn nobody);"; fi
  cat <<CONF
daemon off;
# One process, whose pid is the one kept: a killed master would leave its
# worker serving, out of reach of stop and in the way of restart.
master_process off;
pid $dir/nginx/nginx.pid;
error_log stderr notice;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/tmp/body;
  proxy_temp_path $dir/nginx/tmp/proxy;
  fastcgi_temp_path $dir/nginx/tmp/fastcgi;
  uwsgi_temp_path $dir/nginx/tmp/uwsgi;
  scgi_temp_path $dir/nginx/tmp/scgi;
  include $dir/nginx/mosaic.conf;
}
CONF
} >"$dir/nginx/nginx.conf"
tier=""
start gateway "$NGINX" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e stderr
tiers+=("$tier")
await gateway "http://127.0.0.1:$base/gateway/healthz"

gw=http://127.0.0.1:$base
names=$(for t in "${tiers[@]}"; do echo $t; done)
if [ -n "$keep" ]; then # said before "up", which is what a caller waits for
  echo "topology: -k: a process that exits is reported, not fatal. Pids in $run/NAME.pid; $run/restart NAME starts one again. Names:" $names
fi
cat <<EOT
topology: up; gateway $gw (logs in $dir, removed on exit unless a process failed). Try:
  curl -s $gw/web/v1/feed -H 'X-Demo-User: 42'
  curl -s --compressed -D- -o /dev/null $gw/app/v1/feed -H 'X-Demo-User: 42'   # Content-Encoding: zstd or gzip, as curl ranks them
  curl -s $gw/app/v1/videos/8 -H 'X-Color: canary'                            # the canary lane
  curl -s 127.0.0.1:$((base + 34))/metrics | grep mock_rpc_calls_total        # calls the canary served
  etcdctl --endpoints $etcd_addr get --prefix '' --keys-only                     # what is registered (etcdctl: Debian's etcd-client)
Ctrl-C stops everything.
EOT

if [ -n "$keep" ]; then
  declare -A gone=()
  while :; do
    for name in $names; do
      read -r pid <"$run/$name.pid" # a builtin: bash may lose a signal while it waits on a $(...) child
      if ! kill -0 "$pid" 2>/dev/null; then
        [ -n "${gone[$name]:-}" ] || echo "topology: $name (pid $pid) exited; $run/restart $name starts it again" >&2
        gone[$name]=$pid
      elif [ -n "${gone[$name]:-}" ]; then
        echo "topology: $name is back (pid $pid)"
        unset "gone[$name]"
      fi
    done
    sleep 0.2
  done
fi

# Until Ctrl-C; a process that dies takes the topology down with it, and
# its log (all the logs, kept) says why.
wait -n || true
dead=""
for name in $names; do
  read -r pid <"$run/$name.pid"
  kill -0 "$pid" 2>/dev/null || dead="$dead $name"
done
echo "topology: exited:${dead:- a process}; the end of its log:" >&2
for name in $dead; do
  echo "== $name" >&2
  tail -n 30 "$dir/$name.log" >&2
done
kept=1
exit 1
