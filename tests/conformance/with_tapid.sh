#!/bin/sh
# with_tapid.sh TAPID GRACE_MS COMMAND ARGS...
# Starts a tapid with two simulated lines on a private Unix socket, runs COMMAND with
# TAPI_SERVER pointing at it, stops tapid and exits with COMMAND's status.
. "$(dirname "$0")/../lib/tapid.sh"
tapid=$1
grace=$2
shift 2
tmp=$(mktemp -d)
tapid_config "$tmp" "[engine]
ownerless_grace_ms = $grace

[lines.sim]
count = 2

[cdr]
calls_jsonl = \"\"" > "$tmp/tapid.toml"
tapid_start "$tapid" "$tmp" || { rm -rf "$tmp"; exit 1; }
"$@"
status=$?
kill "$tapid_pid"
wait "$tapid_pid"
rm -rf "$tmp"
exit $status
