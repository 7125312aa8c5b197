#!/usr/bin/env bash
# examples/serve under load, beside nginx serving the same segments as
# static files.
#
# Builds the serve and package examples in release, starts serve on
# 127.0.0.1 (port 0, the port it prints), packages the same input with
# examples/package (fMP4, 2 s segments: what serve's VOD mount uses) into a
# temporary directory, and starts Debian's nginx on it (sendfile on,
# tcp_nopush on, access_log off). Both servers get the same number of
# workers: serve's runtime runs WORKERS threads (TOKIO_WORKER_THREADS),
# nginx WORKERS worker processes. It checks that both servers send the
# same segment bytes, then, ROUNDS times, runs against each server
#
#   wrk -t2 -c100 -d30s --latency   (a) the video segments, rotated by a
#                                       wrk Lua script, and
#                                   (b) the video media playlist,
#
# interleaved so that a change of the machine's load hits both servers:
# each round measures (a) on both servers, then (b) on both, the order
# of the servers swapped every round (serve nginx, nginx serve, ...). For
# each run it samples the server's resident memory (VmRSS, summed over
# nginx's master and workers) before, every second during (peak) and
# after, the CPU time the server spent (utime + stime, likewise summed)
# per GB it sent, and the load average: on a machine shared with other
# work the requests per second move by tens of percent from run to run,
# the CPU per byte much less. It prints a markdown table of every run and
# one of the medians, and exits non-zero if serve answered anything other
# than 2xx/3xx or wrk saw a socket error (connect, read, write, timeout)
# against it.
#
# Usage: scripts/bench-serve.sh [--fixture]
#   default     a 60 s 1280x720 30 fps input made here with ffmpeg's lavfi
#               sources (x264 2.5 Mb/s, keyframe every 2 s, AAC 128 kb/s),
#               segments of about 650 kB;
#   --fixture   tests/fixtures/h264_aac.mp4 (10 s, 320x240), segments of
#               about 30 kB.
# Environment: DURATION (default 30s), CONNECTIONS (100), THREADS (wrk's,
# 2), ROUNDS (3), WORKERS (each server's threads or processes: the number
# of cores), SERVER_CPUS and WRK_CPUS (taskset CPU lists both servers and
# wrk are pinned to; default none), CARGO_TARGET_DIR (default target),
# SERVE_BIN and PACKAGE_BIN (built binaries to measure instead of
# building them: another version, say).
# Needs wrk, nginx, curl, python3 and ffmpeg with libx264; wrk and nginx
# are installed with apt-get when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-30s}
connections=${CONNECTIONS:-100}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
workers=${WORKERS:-$(nproc)}
server_pin=()
if [ -n "${SERVER_CPUS:-}" ]; then server_pin=(taskset -c "$SERVER_CPUS"); fi
wrk_pin=()
if [ -n "${WRK_CPUS:-}" ]; then wrk_pin=(taskset -c "$WRK_CPUS"); fi
target=${CARGO_TARGET_DIR:-target}
use_fixture=0
case "${1:-}" in
'') ;;
--fixture) use_fixture=1 ;;
*)
    echo "usage: scripts/bench-serve.sh [--fixture]" >&2
    exit 2
    ;;
esac

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "bench-serve: missing ${missing[*]}; install them (apt-get install ${missing[*]})" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
tools=(curl python3 cmp ps ffmpeg)
if [ ${#server_pin[@]} -gt 0 ] || [ ${#wrk_pin[@]} -gt 0 ]; then tools+=(taskset); fi
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || {
        echo "bench-serve: $tool is needed" >&2
        exit 1
    }
done

dir=$(mktemp -d)
# nginx's workers run as nobody: they must be able to read the files.
chmod 755 "$dir"
serve_pid=
nginx_pid=
sampler_pid=
cleanup() {
    for pid in $sampler_pid $serve_pid $nginx_pid; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $serve_pid $nginx_pid; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${SERVE_BIN:-}" ] && [ -n "${PACKAGE_BIN:-}" ]; then
    serve_bin=$SERVE_BIN
    package_bin=$PACKAGE_BIN
else
    echo "bench-serve: building the serve and package examples (release)" >&2
    CARGO_TARGET_DIR=$target cargo build --release --example serve --example package >&2
    serve_bin=$target/release/examples/serve
    package_bin=$target/release/examples/package
fi

if [ $use_fixture = 1 ]; then
    input=$PWD/tests/fixtures/h264_aac.mp4
    input_text="tests/fixtures/h264_aac.mp4 (10 s, 320x240)"
else
    echo "bench-serve: making a 60 s 720p input with ffmpeg" >&2
    input=$dir/in720p.mp4
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=1280x720:rate=30 \
        -f lavfi -i sine=frequency=440:sample_rate=48000 -t 60 \
        -c:v libx264 -preset veryfast -b:v 2500k -g 60 -keyint_min 60 -sc_threshold 0 \
        -c:a aac -b:a 128k -movflags +faststart "$input"
    input_text="60 s 1280x720 30 fps lavfi input (x264 2.5 Mb/s, AAC)"
fi
name=$(basename "$input" .mp4)

# The same input, packaged to files for nginx; serve's VOD mount cuts at
# the first keyframe past 2 s.
www=$dir/www
"$package_bin" "$input" "$www/vod/$name" --segment-format fmp4 --segment-duration 2 2>/dev/null
chmod -R a+rX "$www"

# serve: port 0, the address it prints. Request logs go to /dev/null.
TOKIO_WORKER_THREADS=$workers "${server_pin[@]}" "$serve_bin" "$input" --bind 127.0.0.1:0 >"$dir/serve.out" 2>/dev/null &
serve_pid=$!
serve_base=
for _ in $(seq 1 600); do
    serve_base=$(sed -n 's|^serve: listening on \(http://[0-9.:]*\)/$|\1|p' "$dir/serve.out")
    [ -n "$serve_base" ] && break
    kill -0 "$serve_pid" 2>/dev/null || {
        echo "bench-serve: serve exited at start-up" >&2
        exit 1
    }
    sleep 0.1
done
[ -n "$serve_base" ] || {
    echo "bench-serve: serve printed no address" >&2
    exit 1
}

# nginx: a free port, a minimal configuration, everything in $dir.
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir/nginx"
cat >"$dir/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $workers;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    types { video/mp4 m4s; }
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $dir/nginx/body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        root $www;
    }
}
EOF
"${server_pin[@]}" "$nginx_bin" -e "$dir/nginx/error.log" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" &
nginx_pid=$!
nginx_base=http://127.0.0.1:$nginx_port
for _ in $(seq 1 100); do
    curl -s -o /dev/null "$nginx_base/" && break
    kill -0 "$nginx_pid" 2>/dev/null || {
        echo "bench-serve: nginx exited at start-up:" >&2
        cat "$dir/nginx/error.log" >&2
        exit 1
    }
    sleep 0.1
done

# The URLs: the video rendition's media playlist and its segments.
playlist_path=/vod/$name/video/index.m3u8
[ -f "$www$playlist_path" ] || {
    echo "bench-serve: package wrote no $playlist_path:" >&2
    (cd "$www" && find . -type f) >&2
    exit 1
}
mapfile -t segment_paths < <(grep -v '^#' "$www$playlist_path" | grep . | sed "s|^|/vod/$name/video/|")
[ ${#segment_paths[@]} -gt 0 ] || {
    echo "bench-serve: no segments in $playlist_path" >&2
    exit 1
}

# Both servers must send the same bytes: every segment, the init segment
# and the playlist, compared with the files package wrote.
init_path=$(sed -n 's|^#EXT-X-MAP:URI="\([^"]*\)".*|\1|p' "$www$playlist_path")
for path in "${segment_paths[@]}" "/vod/$name/video/$init_path" "$playlist_path"; do
    for base in "$serve_base" "$nginx_base"; do
        curl -sf -o "$dir/fetched" "$base$path" || {
            echo "bench-serve: $base$path did not answer 2xx" >&2
            exit 1
        }
        cmp -s "$dir/fetched" "$www$path" || {
            echo "bench-serve: $base$path differs from package's $www$path" >&2
            exit 1
        }
    done
done
segment_bytes=$(($(cat "${segment_paths[@]/#/$www}" | wc -c) / ${#segment_paths[@]}))
playlist_bytes=$(wc -c <"$www$playlist_path")
echo "bench-serve: serve at $serve_base, nginx at $nginx_base; ${#segment_paths[@]} video segments (mean $segment_bytes B), identical bytes from both" >&2

# wrk's Lua: rotate through the paths given after --, and print the
# summary in a line this script reads.
cat >"$dir/bench.lua" <<'EOF'
local paths = {}
local next_path = 0
function init(args)
    for _, p in ipairs(args) do paths[#paths + 1] = p end
end
function request()
    if #paths == 0 then return wrk.format() end
    next_path = next_path % #paths + 1
    return wrk.format(nil, paths[next_path])
end
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\n",
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(99),
        e.status, e.connect, e.read, e.write, e.timeout))
end
EOF

# Resident memory in kB: the process and its children (nginx's workers).
rss_kb() {
    local pid=$1 total=0 p kb
    for p in $pid $(ps -o pid= --ppid "$pid" || true); do
        kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
        total=$((total + ${kb:-0}))
    done
    echo $total
}
# CPU time in clock ticks (utime + stime): the process and its children.
cpu_ticks() {
    local pid=$1 total=0 p fields
    for p in $pid $(ps -o pid= --ppid "$pid" || true); do
        fields=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null || true)
        [ -n "$fields" ] && total=$((total + ${fields% *} + ${fields#* }))
    done
    echo $total
}
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
ms() { awk -v us="$1" 'BEGIN { printf (us < 10000 ? "%.2f" : "%.0f"), us / 1000 }'; }

# Every run, a line of $dir/runs: round, server, URL key, then the
# columns of the table of runs.
failed=0
run() {
    local round=$1 server=$2 pid=$3 base=$4 url=$5
    shift 5
    local before peak after out result cpu_before cpu_after load
    load=$(cut -d' ' -f1 /proc/loadavg)
    before=$(rss_kb "$pid")
    cpu_before=$(cpu_ticks "$pid")
    echo "$before" >"$dir/peak"
    (
        peak=$before
        while sleep 1; do
            kb=$(rss_kb "$pid")
            [ "$kb" -gt "$peak" ] && peak=$kb && echo "$peak" >"$dir/peak"
        done
    ) &
    sampler_pid=$!
    echo "bench-serve: round $round, $server, $url: wrk -t$threads -c$connections -d$duration --latency (load $load)" >&2
    out=$("${wrk_pin[@]}" wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$dir/bench.lua" "$base" -- "$@")
    cpu_after=$(cpu_ticks "$pid")
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=
    peak=$(cat "$dir/peak")
    after=$(rss_kb "$pid")
    result=$(sed -n 's/^RESULT //p' <<<"$out")
    [ -n "$result" ] || {
        echo "$out" >&2
        echo "bench-serve: wrk printed no result" >&2
        exit 1
    }
    read -r requests duration_us bytes p50 p99 status connect read_e write_e timeout <<<"$result"
    local sockets=$((connect + read_e + write_e + timeout))
    local rps mbps cpu_gb
    rps=$(awk -v n="$requests" -v us="$duration_us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
    mbps=$(awk -v b="$bytes" -v us="$duration_us" 'BEGIN { printf "%.0f", b / (us / 1e6) / 1e6 }')
    cpu_gb=$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v b="$bytes" 'BEGIN { printf "%.3f", (t / hz) / (b / 1e9) }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$server" "$url" \
        "$requests" "$rps" "$mbps" "$cpu_gb" "$(ms "$p50")" "$(ms "$p99")" "$status" \
        "$sockets ($connect/$read_e/$write_e/$timeout)" \
        "$(mb "$before") / $(mb "$peak") / $(mb "$after")" "$load" >>"$dir/runs"
    if [ "$server" = serve ] && [ $((status + sockets)) -gt 0 ]; then
        echo "$out" >&2
        echo "bench-serve: serve: $status answers >= 400, $sockets socket errors" >&2
        failed=1
    fi
}

: >"$dir/runs"
for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) = 1 ]; then order="serve nginx"; else order="nginx serve"; fi
    for url in segments playlist; do
        for server in $order; do
            if [ $server = serve ]; then pid=$serve_pid base=$serve_base; else pid=$nginx_pid base=$nginx_base; fi
            if [ $url = segments ]; then
                run "$round" $server "$pid" "$base" $url "${segment_paths[@]}"
            else
                run "$round" $server "$pid" "$base" $url "$playlist_path"
            fi
        done
    done
done

url_name() {
    case $1 in
    segments) echo "segments (${#segment_paths[@]}, rotated)" ;;
    playlist) echo "media playlist" ;;
    esac
}

echo
echo "Input: $input_text; video segments: ${#segment_paths[@]}, mean $segment_bytes B; media playlist: $playlist_bytes B."
echo "wrk -t$threads -c$connections -d$duration --latency on loopback${WRK_CPUS:+ (wrk on CPUs $WRK_CPUS)}; $(nproc) cores shared by wrk and the server${SERVER_CPUS:+ (servers on CPUs $SERVER_CPUS)}; $workers workers each (serve's runtime threads, nginx's worker processes); $rounds rounds, the servers' order swapped each round; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo
echo "Every run, in the order run:"
echo
echo "| round | server | URL | requests | req/s | MB/s | server CPU s per GB | latency p50 / p99 (ms) | HTTP >= 400 | socket errors (connect/read/write/timeout) | RSS MB before / peak / after | load average (1 min) at start |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
while IFS=$'\t' read -r round server url requests rps mbps cpu_gb p50 p99 status sockets rss load; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s |\n' "$round" "$server" \
        "$(url_name "$url")" "$requests" "$rps" "$mbps" "$cpu_gb" "$p50" "$p99" "$status" "$sockets" "$rss" "$load"
done <"$dir/runs"
echo
echo "Medians over the $rounds rounds (serve / nginx: the median of each round's ratio):"
echo
echo "| URL | server | req/s | MB/s | server CPU s per GB | latency p50 / p99 (ms) | serve / nginx req/s | serve / nginx CPU per GB |"
echo "|---|---|---|---|---|---|---|---|"
for url in segments playlist; do
    for server in serve nginx; do
        awk -F'\t' -v url="$url" -v server="$server" -v name="$(url_name "$url")" '
            function median(a, n,    i, j, t) {
                for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
                return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            }
            $3 == url { if ($2 == "serve") { srps[$1] = $5; scpu[$1] = $7 } else { nrps[$1] = $5; ncpu[$1] = $7 } }
            $3 == url && $2 == server { n++; rps[n] = $5; mbps[n] = $6; cpu[n] = $7; p50[n] = $8; p99[n] = $9 }
            END {
                for (r in srps) if (r in nrps) { m++; rr[m] = srps[r] / nrps[r]; cr[m] = scpu[r] / ncpu[r] }
                ratio = (server == "serve" && m) ? sprintf("%.2f | %.2f", median(rr, m), median(cr, m)) : " | "
                printf "| %s | %s | %.0f | %.0f | %.3f | %s / %s | %s |\n", name, server,
                    median(rps, n), median(mbps, n), median(cpu, n), median(p50, n), median(p99, n), ratio
            }' "$dir/runs"
    done
done
if [ $failed = 1 ]; then
    echo "bench-serve: FAILED: serve did not answer every request" >&2
    exit 1
fi
