#!/bin/sh
# with_sip_tapid.sh dialer|logger TAPID RUN_EXAMPLE EXPECT EXAMPLE ARGS...
# Runs a C example against a tapid whose only line is a SIP line (device 0, user "alice"),
# with SIPp as the far end:
#   dialer: SIPp answers the example's call and checks the BYE (Reason, User-to-User);
#           the example's destination argument may use @SIPP@ for SIPp's host:port.
#   logger: SIPp calls the line and cancels while it rings; the example logs the call.
# Passes when the example passes (RUN_EXAMPLE's rules) and SIPp's scenario passed.
mode=$1
tapid=$2
run=$3
shift 3
here=$(dirname "$0")
. "$here/../lib/tapid.sh"
scenarios=$here/../integration/sipp/scenarios
tmp=$(mktemp -d)
base=$((20000 + $$ % 20000))
sip_port=$base
sipp_port=$((base + 1))
tapid_config "$tmp" "[engine]
ownerless_grace_ms = 30000

[cdr]
calls_jsonl = \"\"

$(tapid_sip_line_toml "$sip_port" $((base + 2)))" > "$tmp/tapid.toml"
tapid_start "$tapid" "$tmp" || { rm -rf "$tmp"; exit 1; }
sipp_common="-i 127.0.0.1 -p $sipp_port -t u1 -m 1 -nostdin -timeout 30s -timeout_error"
status=0
case $mode in
  dialer)
    sipp -sf "$scenarios/uas_answer_wait_bye.xml" $sipp_common > "$tmp/sipp.log" 2>&1 &
    sipp_pid=$!
    expect=$1
    shift
    args=""
    for a in "$@"; do
      args="$args $(printf '%s' "$a" | sed "s/@SIPP@/127.0.0.1:$sipp_port/")"
    done
    # shellcheck disable=SC2086
    "$run" "$expect" $args || status=1
    ;;
  logger)
    expect=$1
    shift
    "$@" > "$tmp/example.log" 2>&1 &
    example_pid=$!
    # The logger says when it monitors; SIPp calls only then.
    i=0
    while ! grep -q "monitoring" "$tmp/example.log" 2>/dev/null && [ $i -lt 200 ]; do
      sleep 0.05
      i=$((i + 1))
    done
    sipp -sf "$here/sipp_caller_cancels.xml" $sipp_common -s alice "127.0.0.1:$sip_port" > "$tmp/sipp.log" 2>&1 &
    sipp_pid=$!
    wait "$example_pid" || { echo "FAIL: the example failed"; status=1; }
    cat "$tmp/example.log"
    grep -qF -- "$expect" "$tmp/example.log" || { echo "FAIL: no \"$expect\" in the output"; status=1; }
    ;;
  *)
    echo "unknown mode $mode"
    status=1
    ;;
esac
if ! wait "$sipp_pid"; then
  echo "FAIL: the SIPp scenario failed"
  cat "$tmp/sipp.log"
  status=1
fi
kill "$tapid_pid"
wait "$tapid_pid" || { echo "FAIL: tapid exited with an error"; status=1; }
rm -rf "$tmp"
exit $status
