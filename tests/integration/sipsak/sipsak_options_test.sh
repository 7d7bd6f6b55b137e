#!/usr/bin/env bash
# Starts sip-options-responder on 127.0.0.1 with a free port, has sipsak send OPTIONS to it
# over UDP and over TCP, and expects a 200 each time. The responder is always stopped, and
# must exit cleanly on SIGTERM.
set -u

responder="${1:?usage: sipsak_options_test.sh PATH-TO-sip-options-responder}"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

command -v sipsak >/dev/null 2>&1 ||
  fail "sipsak is not installed (Debian package 'sipsak'; scripts/install-deps.sh installs it, 'make test' runs that)"
[ -x "$responder" ] || fail "responder '$responder' is not executable"

workdir="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

# The responder's first line says where it listens; a FIFO lets us wait for exactly that.
mkfifo "$workdir/out"
"$responder" 127.0.0.1 0 >"$workdir/out" 2>"$workdir/err" &
pid=$!
exec 3<"$workdir/out"
read -r -t 15 -u 3 word addr port || fail "responder printed no 'listening' line: $(cat "$workdir/err")"
[ "$word" = "listening" ] && [ -n "$port" ] || fail "unexpected first line: '$word $addr $port'"
echo "responder listening on $addr:$port (UDP and TCP)"

shoot() {
  local label="$1"
  shift
  local out rc
  out="$(timeout 30 sipsak -vv -H 127.0.0.1 "$@" -s "sip:ping@127.0.0.1:$port" 2>&1)"
  rc=$?
  echo "--- sipsak over $label (exit $rc) ---"
  echo "$out"
  [ "$rc" -eq 0 ] || fail "sipsak over $label exited with $rc"
  grep -q "SIP/2.0 200 OK" <<<"$out" || fail "sipsak over $label saw no 200 OK"
}

shoot UDP
shoot TCP --transport tcp

kill -TERM "$pid"
timeout 10 tail --pid="$pid" -f /dev/null || fail "responder did not exit within 10 s of SIGTERM"
wait "$pid"
rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "responder exited with $rc after SIGTERM"
cat "$workdir/err"
grep -q "answered=2 " "$workdir/err" || fail "responder did not report two answered requests"
echo "PASS"
