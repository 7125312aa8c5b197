#!/bin/sh
# Whole-process HLS packaging: the package example against ffmpeg's HLS
# muxer (-c copy, fMP4 segments, VOD playlist) on the same 60 s 720p file,
# timed with hyperfine. The input is made here with ffmpeg's lavfi sources
# (testsrc2 at 30 fps, x264 with a keyframe every 2 s; a 48 kHz AAC sine).
#
# Usage: scripts/bench-package.sh   (needs ffmpeg with libx264, hyperfine)
set -eu
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ffmpeg -v error -f lavfi -i testsrc2=size=1280x720:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 60 \
    -c:v libx264 -preset veryfast -b:v 2500k -g 60 -keyint_min 60 -sc_threshold 0 \
    -c:a aac -b:a 128k -movflags +faststart "$dir/in.mp4"
ls -l "$dir/in.mp4"
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target} cargo build --release --example package
bin=${CARGO_TARGET_DIR:-target}/release/examples/package
hyperfine --warmup 3 --runs 20 \
    --prepare "rm -rf $dir/ours $dir/ffmpeg && mkdir -p $dir/ffmpeg" \
    -n streamkit "$bin $dir/in.mp4 $dir/ours --segment-format fmp4 --segment-duration 6 2>/dev/null" \
    -n ffmpeg "ffmpeg -v error -i $dir/in.mp4 -c copy -f hls -hls_time 6 -hls_segment_type fmp4 -hls_playlist_type vod $dir/ffmpeg/index.m3u8"
