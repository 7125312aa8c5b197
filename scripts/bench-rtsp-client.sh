#!/usr/bin/env bash
# streamkit-rtsp's client pulling SESSIONS simulated camera streams at
# once on loopback: its CPU time per stream.
#
# The cameras are GStreamer's RTSP server (tests/gst/rtsp_server.py)
# serving tests/fixtures/h264_aac.mp4 (320x240 H.264 + AAC, 10 s, real
# time), a pipeline per session, in its own process. The client is the
# rtsp_pull example in release with --sessions: every session on one
# thread, each stream depacketized, given decode times and hashed into
# counts only. It prints rtsp_pull's summary line per transport: the
# access units and bytes received, and this client process's CPU time
# (from /proc/self/schedstat) per stream and second of wall time.
#
# Usage: scripts/bench-rtsp-client.sh
# Environment: SESSIONS (default 16), CARGO_TARGET_DIR (default target).
set -euo pipefail
cd "$(dirname "$0")/.."

sessions=${SESSIONS:-16}
target=${CARGO_TARGET_DIR:-target}

cargo build --release --example rtsp_pull >&2
pull_bin="$target/release/examples/rtsp_pull"

out=$(mktemp)
/usr/bin/python3 tests/gst/rtsp_server.py tests/fixtures/h264_aac.mp4 >"$out" 2>/dev/null &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -f "$out"' EXIT
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/^PORT //p' "$out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "bench-rtsp-client: the RTSP server printed no port" >&2; exit 1; }

for transport in tcp udp; do
    printf 'transport=%s ' "$transport"
    "$pull_bin" --sessions "$sessions" --transport "$transport" "rtsp://127.0.0.1:$port/test"
done
