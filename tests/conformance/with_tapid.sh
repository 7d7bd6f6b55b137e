#!/bin/sh
# with_tapid.sh TAPID GRACE_MS COMMAND ARGS...
# Starts a tapid with two simulated lines on a private Unix socket, runs COMMAND with
# TAPI_SERVER pointing at it, stops tapid and exits with COMMAND's status.
tapid=$1
grace=$2
shift 2
tmp=$(mktemp -d)
cat > "$tmp/tapid.toml" <<CONF
var_dir = "$tmp/var"
log_level = "warn"

[api]
unix_socket = "$tmp/var/tapid.sock"
tcp_listen = ""
token_file = "$tmp/var/tapid.token"

[engine]
ownerless_grace_ms = $grace

[lines.sim]
count = 2

[cdr]
calls_jsonl = ""

[shutdown]
grace_ms = 500
CONF
"$tapid" --config "$tmp/tapid.toml" &
pid=$!
i=0
while [ ! -S "$tmp/var/tapid.sock" ] && [ $i -lt 200 ]; do
  sleep 0.1
  i=$((i + 1))
done
if [ ! -S "$tmp/var/tapid.sock" ]; then
  echo "tapid did not start"
  kill "$pid" 2>/dev/null
  rm -rf "$tmp"
  exit 1
fi
TAPI_SERVER="unix:$tmp/var/tapid.sock" "$@"
status=$?
kill "$pid"
wait "$pid"
rm -rf "$tmp"
exit $status
