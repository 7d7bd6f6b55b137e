# Shell helpers for tests that run a real tapid (sourced, not executed).
#
#   . "$(dirname "$0")/../lib/tapid.sh"
#   tapid_config DIR [EXTRA_TOML] > DIR/tapid.toml   # private socket, no TCP, records off
#   tapid_start TAPID DIR [LOG]                       # sets tapid_pid; fails if no socket
#
# The API listens on DIR/var/tapid.sock only; tests point TAPI_SERVER at it.

# tapid_config DIR [EXTRA]: a configuration with everything private to DIR; EXTRA is TOML
# appended verbatim (engine settings, lines).
tapid_config() {
  cat <<CONF
var_dir = "$1/var"
log_level = "${TAPID_LOG_LEVEL:-warn}"

[api]
unix_socket = "$1/var/tapid.sock"
tcp_listen = ""
token_file = "$1/var/tapid.token"

[shutdown]
grace_ms = 500

$2
CONF
}

# tapid_start TAPID DIR [LOG]: starts tapid with DIR/tapid.toml and waits (at most 20 s) for
# its socket. Sets tapid_pid. Returns 1 if the socket never appeared (tapid is killed).
tapid_start() {
  if [ -n "$3" ]; then
    "$1" --config "$2/tapid.toml" > "$3" 2>&1 &
  else
    "$1" --config "$2/tapid.toml" &
  fi
  tapid_pid=$!
  i=0
  while [ ! -S "$2/var/tapid.sock" ] && [ $i -lt 200 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  if [ ! -S "$2/var/tapid.sock" ]; then
    echo "tapid did not start"
    kill "$tapid_pid" 2>/dev/null
    return 1
  fi
  export TAPI_SERVER="unix:$2/var/tapid.sock"
  return 0
}

# tapid_sip_line_toml PORT RTP_BASE: a [lines.sip] section with one UDP SIP line "alice" on
# 127.0.0.1:PORT (device 0 when there are no simulated lines), short SIP timers.
tapid_sip_line_toml() {
  cat <<CONF
[lines.sim]
count = 0

[lines.sip]
enabled = true
listen_udp = "127.0.0.1:$1"
listen_tcp = ""
rtp_first_port = $2
rtp_last_port = $(($2 + 99))
t1_ms = 100

[[lines.sip.line]]
user = "alice"
domain = "127.0.0.1"
CONF
}
