#!/usr/bin/env bash
# 100 RTSP-over-TCP viewers of one live stream of examples/serve, on
# loopback: serve's CPU time per viewer.
#
# Builds serve and the rtsp_viewers example in release, starts serve on
# 127.0.0.1 (HTTP and RTSP on port 0, the ports it prints) over
# tests/fixtures/h264_aac.mp4, whose live channel (the file looped as an
# encoder would send it) is rtsp://ADDR/live/h264_aac. It first reads the
# CPU time (utime + stime from /proc/PID/stat) serve spends with no
# viewer for SECONDS, then runs rtsp_viewers (VIEWERS TCP-interleaved
# sessions: DESCRIBE, SETUP per track, PLAY, read for SECONDS, TEARDOWN;
# one thread) and reads serve's CPU time over that run. It prints the
# bytes each viewer got and serve's CPU per viewer and second, with the
# idle cost taken off. Exits non-zero if a viewer failed.
#
# Usage: scripts/bench-rtsp-viewers.sh
# Environment: VIEWERS (default 100), SECONDS_RUN (default 20),
# CARGO_TARGET_DIR (default target), SERVE_BIN (a serve binary to measure
# instead of the one built here: an older build, for before and after).
set -euo pipefail
cd "$(dirname "$0")/.."

viewers=${VIEWERS:-100}
seconds=${SECONDS_RUN:-20}
target=${CARGO_TARGET_DIR:-target}

cargo build --release --example serve --example rtsp_viewers >&2
serve_bin="${SERVE_BIN:-$target/release/examples/serve}"
viewers_bin="$target/release/examples/rtsp_viewers"

out=$(mktemp)
"$serve_bin" --bind 127.0.0.1:0 --rtsp-bind 127.0.0.1:0 tests/fixtures/h264_aac.mp4 >"$out" 2>/dev/null &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; rm -f "$out"' EXIT
rtsp=""
for _ in $(seq 1 100); do
    rtsp=$(grep -o 'rtsp on rtsp://[0-9.:]*' "$out" | sed 's/rtsp on //' || true)
    [ -n "$rtsp" ] && break
    sleep 0.1
done
[ -n "$rtsp" ] || { echo "bench-rtsp-viewers: serve printed no RTSP address" >&2; exit 1; }
url="$rtsp/live/h264_aac"
tick=$(getconf CLK_TCK)

# utime + stime of serve, in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$serve_pid/stat"; }

sleep 2 # the live channel's first segments
idle_before=$(cpu)
sleep "$seconds"
idle_after=$(cpu)

before=$(cpu)
start=$(date +%s.%N)
summary=$("$viewers_bin" "$url" --viewers "$viewers" --seconds "$seconds")
end=$(date +%s.%N)
after=$(cpu)

python3 - "$summary" "$tick" "$viewers" "$seconds" "$idle_before" "$idle_after" "$before" "$after" "$start" "$end" <<'PY'
import sys
summary, tick, viewers, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
idle_b, idle_a, b, a = (int(x) for x in sys.argv[5:9])
start, end = float(sys.argv[9]), float(sys.argv[10])
fields = dict(kv.split("=") for kv in summary.split())
wall = end - start
idle = (idle_a - idle_b) / tick / seconds          # CPU s per s, no viewer
busy = (a - b) / tick / wall                       # CPU s per s, with viewers
per_viewer = (busy - idle) / viewers
print(f"viewers: {viewers} for {seconds} s ({wall:.1f} s with set-up and teardown), failed: {fields['failed']}")
print(f"payload bytes per viewer: min {int(fields['bytes_min']):,}, median {int(fields['bytes_median']):,}, max {int(fields['bytes_max']):,}"
      f" ({int(fields['bytes_median']) * 8 / seconds / 1000:.0f} kbit/s at the median)")
print(f"serve CPU: {idle * 100:.1f} % of a core idle (the live channel), {busy * 100:.1f} % with the viewers")
print(f"serve CPU per viewer: {per_viewer * 1e6:.0f} us per second ({per_viewer * 100:.3f} % of a core)")
PY
[ "$(sed 's/.*failed=\([0-9]*\).*/\1/' <<<"$summary")" = 0 ]
