#!/usr/bin/env bash
# Makes the input of the mid-stream codec change tests: what an encoder
# sends when its output settings change while it streams (a new SPS, in
# band). Two short clips from ffmpeg's lavfi test sources, H.264 (High,
# a keyframe every 0.5 s, SPS and PPS before every keyframe) + AAC-LC,
# at two resolutions, joined as one MPEG-TS stream with `-c copy` (the
# concat demuxer keeps the timestamps running), into the directory given
# (the tests run it into a temporary directory; nothing is committed but
# this script):
#
#   first.ts             320x240, 30 fps, 1.5 s (45 frames)
#   second.ts            480x270, 30 fps, 1.5 s (45 frames)
#   resolution_change.ts first.ts then second.ts: 90 frames, one SPS
#                        change at 1.5 s, on a keyframe
#   alternating.ts       first.ts, second.ts, four times over: 12 s, an SPS
#                        change every 1.5 s (a live player has time to
#                        start and then cross several changes)
#
# Usage: scripts/make-resolution-change.sh OUT_DIR
set -euo pipefail
out=${1:?usage: make-resolution-change.sh OUT_DIR}
mkdir -p "$out"
command -v ffmpeg >/dev/null 2>&1 || {
    echo "make-resolution-change: ffmpeg is missing (apt-get install ffmpeg)" >&2
    exit 1
}

common=(-hide_banner -loglevel error -nostdin -y)
x264=(-c:v libx264 -threads 1 -preset veryfast -profile:v high -g 15 -keyint_min 15
    -sc_threshold 0 -b:v 150k -pix_fmt yuv420p
    -x264-params threads=1:lookahead-threads=1:sliced-threads=0:repeat-headers=1)
aac=(-c:a aac -b:a 48k -ac 2)

# clip NAME SIZE
clip() {
    ffmpeg "${common[@]}" \
        -f lavfi -i "testsrc2=size=$2:rate=30:duration=1.5" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=1.5" \
        "${x264[@]}" "${aac[@]}" -map_metadata -1 -fflags +bitexact -flags +bitexact \
        -f mpegts "$out/$1.ts"
}

clip first 320x240
clip second 480x270
printf "file '%s'\nfile '%s'\n" "$out/first.ts" "$out/second.ts" >"$out/list.txt"
ffmpeg "${common[@]}" -f concat -safe 0 -i "$out/list.txt" -c copy -f mpegts \
    "$out/resolution_change.ts"
for _ in 1 2 3 4; do
    printf "file '%s'\nfile '%s'\n" "$out/first.ts" "$out/second.ts"
done >"$out/list.txt"
ffmpeg "${common[@]}" -f concat -safe 0 -i "$out/list.txt" -c copy -f mpegts \
    "$out/alternating.ts"
rm "$out/list.txt"
