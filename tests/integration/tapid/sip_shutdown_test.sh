#!/bin/sh
# sip_shutdown_test.sh TAPID TAPICTL
# tapid with one SIP line calls SIPp (which answers); SIGTERM must end the call on the wire
# (SIPp receives BYE with Reason Q.850 cause 16 and answers it) before tapid exits with
# status 0 and an empty leak report.
tapid=$1
tapictl=$2
here=$(dirname "$0")
. "$here/../../lib/tapid.sh"
tmp=$(mktemp -d)
base=$((20000 + $$ % 20000))
sip_port=$base
sipp_port=$((base + 1))
fail() {
  echo "FAIL: $*"
  [ -f "$tmp/tapid.log" ] && { echo "--- tapid:"; cat "$tmp/tapid.log"; }
  [ -f "$tmp/sipp.log" ] && { echo "--- sipp:"; cat "$tmp/sipp.log"; }
  [ -n "$tapid_pid" ] && kill "$tapid_pid" 2>/dev/null
  [ -n "$sipp_pid" ] && kill "$sipp_pid" 2>/dev/null
  [ -n "$call_pid" ] && kill "$call_pid" 2>/dev/null
  rm -rf "$tmp"
  exit 1
}
TAPID_LOG_LEVEL=info tapid_config "$tmp" "[cdr]
calls_jsonl = \"$tmp/var/calls.jsonl\"

$(tapid_sip_line_toml "$sip_port" $((base + 2)))" > "$tmp/tapid.toml"
tapid_start "$tapid" "$tmp" "$tmp/tapid.log" || fail "tapid did not start"
sipp -sf "$here/sipp_answer_expect_shutdown_bye.xml" -i 127.0.0.1 -p "$sipp_port" -t u1 -m 1 -nostdin \
  -timeout 30s -timeout_error > "$tmp/sipp.log" 2>&1 &
sipp_pid=$!
"$tapictl" call "sip:bob@127.0.0.1:$sipp_port" --line 0 --wait > "$tmp/call.log" 2>&1 &
call_pid=$!
i=0
until "$tapictl" calls 2>/dev/null | grep -q CONNECTED; do
  i=$((i + 1))
  [ $i -lt 200 ] || fail "the call did not connect"
  sleep 0.05
done
kill -TERM "$tapid_pid"
wait "$tapid_pid"
status=$?
tapid_pid=
[ $status -eq 0 ] || fail "tapid exited with $status"
grep -q "leak report: empty" "$tmp/tapid.log" || fail "no empty leak report"
wait "$sipp_pid"
status=$?
sipp_pid=
[ $status -eq 0 ] || fail "SIPp did not get the BYE it expected (exit $status)"
grep -q '"origin":"server-shutdown"\|server-shutdown' "$tmp/var/calls.jsonl" || fail "the record does not say server-shutdown"
wait "$call_pid" 2>/dev/null
echo PASS
rm -rf "$tmp"
exit 0
