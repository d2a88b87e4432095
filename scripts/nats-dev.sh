#!/usr/bin/env bash
# A local NATS server for the stream commands: loopback only, a free port, JetStream in a temporary folder.
#   scripts/nats-dev.sh start   prints the URL (nats://127.0.0.1:PORT); state in ${NATS_DEV_STATE:-/tmp/machlens-nats-dev}
#   scripts/nats-dev.sh stop    stops that server by its pid and removes its store
#   scripts/nats-dev.sh url     prints the URL of the running one
set -euo pipefail
state="${NATS_DEV_STATE:-${TMPDIR:-/tmp}/machlens-nats-dev}"
server="$(command -v nats-server || true)"
[ -n "$server" ] || { [ -x /usr/sbin/nats-server ] && server=/usr/sbin/nats-server; }
[ -n "$server" ] || { echo "nats-server not found (Debian: apt-get install -y nats-server)" >&2; exit 2; }

case "${1:-start}" in
  start)
    if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then cat "$state/url"; exit 0; fi
    mkdir -p "$state"
    store="$(mktemp -d "${TMPDIR:-/tmp}/machlens-js.XXXXXX")"
    # A free port: bind port 0 on loopback and read what the kernel chose.
    port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
    "$server" -js -sd "$store" -a 127.0.0.1 -p "$port" >"$state/log" 2>&1 &
    pid=$!
    echo "$pid" >"$state/pid"
    echo "$store" >"$state/store"
    echo "nats://127.0.0.1:$port" >"$state/url"
    for _ in $(seq 1 50); do
      grep -q "Server is ready" "$state/log" 2>/dev/null && { cat "$state/url"; exit 0; }
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    echo "nats-server did not start:" >&2; cat "$state/log" >&2; exit 2
    ;;
  stop)
    [ -f "$state/pid" ] || { echo "no server started by this script" >&2; exit 0; }
    pid="$(cat "$state/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    store="$(cat "$state/store" 2>/dev/null || true)"
    case "$store" in "${TMPDIR:-/tmp}"/machlens-js.*) rm -rf "$store" ;; esac
    rm -f "$state/pid" "$state/url" "$state/store"
    ;;
  url) cat "$state/url" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
