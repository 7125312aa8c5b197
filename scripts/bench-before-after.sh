#!/usr/bin/env bash
# Measures the hot paths (packetize, parse, package) of two revisions in one
# session: builds the criterion benches of BASE (a git revision) in a
# worktree of its own and of the checkout as it is, then runs each
# benchmark old, new, old, new (interleaved, so that a machine that gets
# busier or cooler part-way favours neither) and prints one line per
# benchmark: the median time of each run and the change of the best of
# each side.
#
# Usage: scripts/bench-before-after.sh BASE [MEASUREMENT_SECONDS]
#   BASE_TREE=DIR    a checkout of BASE to build in (default: a worktree
#                    made in target/bench-before-after/tree-<BASE>)
#   BASE_TARGET=DIR  reuse (or keep) BASE's build there
#                    (default: target/bench-before-after/<BASE>)
#
# Serving throughput is measured the same way by scripts/bench-serve.sh
# with both builds of examples/serve (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: scripts/bench-before-after.sh BASE [MEASUREMENT_SECONDS]}
seconds=${2:-3}
rev=$(git rev-parse --short "$base")
root=$(pwd)
base_target=${BASE_TARGET:-$root/target/bench-before-after/$rev}
tree=${BASE_TREE:-$root/target/bench-before-after/tree-$rev}

# The benchmarks: bench target and criterion filter (a regex matching one
# benchmark id in both revisions).
benchmarks=(
    "rtp_payload ^h264_packetize_mtu1200/streamkit$"
    "rtp_payload ^h264_depacketize_mtu1200/streamkit$"
    "rtp_audio ^aac_packetize_mtu1200/streamkit$"
    "rtp_audio ^opus_packetize/streamkit$"
    "rtp ^rtp_parse/two_ext/streamkit owned payload$"
    "hls_playlist ^hls_playlist/parse/streamkit/live_window$"
    "dash ^dash_mpd_parse/two_hour_timeline$"
    "demux ^mp4_demux/samples/streamkit$"
    "hls_package ^hls_package/h264_aac/fmp4$"
    "hls_package ^hls_package/h264_aac/fmp4_ll$"
    "hls_package ^hls_package/h264_aac/ts$"
    "mux ^ts_mux/h264_aac/streamkit$"
    "mux ^fmp4_mux/h264_aac/vectored$"
    "mux ^segmenter/h264_aac/streamkit$"
)

# The bench executables of a build: "NAME PATH" lines from cargo's JSON.
executables() {
    sed -n 's/.*"target":{[^}]*"kind":\["bench"\][^}]*"name":"\([^"]*\)".*"executable":"\([^"]*\)".*/\1 \2/p'
}

if [ ! -d "$tree" ]; then
    git worktree add --detach "$tree" "$rev" >/dev/null
fi
echo "building the benches of $rev (in $base_target)" >&2
old=$(cd "$tree" && CARGO_TARGET_DIR=$base_target cargo bench --no-run --message-format json 2>/dev/null | executables)
echo "building the benches of the checkout" >&2
new=$(cargo bench --no-run --message-format json 2>/dev/null | executables)

exe() { # exe LIST NAME
    printf '%s\n' "$1" | awk -v n="$2" '$1 == n { print $2; exit }'
}

# The median of one run of one benchmark, in nanoseconds.
median() { # median EXE FILTER
    "$1" --bench --noplot --warm-up-time 1 --measurement-time "$seconds" "$2" 2>/dev/null |
        awk '/time:/ {
            gsub(/[\[\]]/, "");
            for (i = 1; i <= NF; i++) if ($i == "time:") { v = $(i + 3); u = $(i + 4) }
            f = (u == "ps") ? 0.001 : (u == "ns") ? 1 : (u == "µs" || u == "us") ? 1000 : (u == "ms") ? 1e6 : 1e9;
            printf "%.1f\n", v * f; exit
        }'
}

printf '%-55s %12s %12s %12s %12s %8s\n' benchmark "old ns" "new ns" "old ns" "new ns" change
for entry in "${benchmarks[@]}"; do
    bench=${entry%% *}
    filter=${entry#* }
    o=$(exe "$old" "$bench")
    n=$(exe "$new" "$bench")
    if [ -z "$o" ] || [ -z "$n" ]; then
        printf '%-55s missing in one revision\n' "$filter"
        continue
    fi
    a=$(median "$o" "$filter"); b=$(median "$n" "$filter")
    c=$(median "$o" "$filter"); d=$(median "$n" "$filter")
    awk -v f="$filter" -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN {
        if (a == "" || b == "" || c == "" || d == "") { printf "%-55s no measurement\n", f; exit }
        o = (a < c) ? a : c; n = (b < d) ? b : d;
        printf "%-55s %12.1f %12.1f %12.1f %12.1f %+7.1f%%\n", f, a, b, c, d, (n - o) / o * 100
    }'
done
