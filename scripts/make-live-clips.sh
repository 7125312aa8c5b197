#!/usr/bin/env bash
# Makes the short inputs of the live DASH real-client tests from ffmpeg's
# lavfi test sources, into the directory given (the tests run it into a
# temporary directory; nothing is committed but this script):
#
#   audio_only.mp4   AAC-LC 48 kHz stereo, no video, 4 s
#   video_only.mp4   H.264, keyframe every 2 s, no audio, 4 s
#   h265_aac.mp4     H.265 (hvc1) 25 fps with a keyframe every 1.6 s (not
#                    a multiple of the 2 s segment target) + AAC-LC, 4.8 s
#   gop1.mp4         H.264 + AAC-LC, keyframe every 1 s, 4 s
#   gop2_5.mp4       H.264 + AAC-LC, keyframe every 2.5 s, 5 s
#   gop4.mp4         H.264 + AAC-LC, keyframe every 4 s, 8 s
#
# Each clip lasts a whole number of keyframe intervals, so a test can loop
# it into an endless live source. Encoders run single-threaded.
#
# Usage: scripts/make-live-clips.sh OUT_DIR [NAME...]   (NAME without .mp4;
#        all of them when none is named)
set -euo pipefail
out=${1:?usage: make-live-clips.sh OUT_DIR [NAME...]}
shift
names=("$@")
((${#names[@]})) || names=(audio_only video_only h265_aac gop1 gop2_5 gop4)
mkdir -p "$out"
command -v ffmpeg >/dev/null 2>&1 || {
    echo "make-live-clips: ffmpeg is missing (apt-get install ffmpeg)" >&2
    exit 1
}

common=(-hide_banner -loglevel error -nostdin -y)
exact=(-map_metadata -1 -fflags +bitexact -flags +bitexact -movflags +faststart)
# H.264 with two B-frames and a fixed keyframe interval of $1 frames.
x264() {
    echo -c:v libx264 -threads 1 -preset veryfast -profile:v high -bf 2 -g "$1" \
        -keyint_min "$1" -sc_threshold 0 -b:v 120k -pix_fmt yuv420p \
        -x264-params threads=1:lookahead-threads=1:sliced-threads=0
}
aac=(-c:a aac -b:a 48k)

# clip NAME SECONDS VIDEO_RATE KEYINT SAMPLE_RATE CHANNELS
clip() {
    local name=$1 seconds=$2 rate=$3 keyint=$4 sr=$5 ch=$6
    # shellcheck disable=SC2046 # x264 prints words on purpose
    ffmpeg "${common[@]}" \
        -f lavfi -i "testsrc2=size=320x240:rate=$rate:duration=$seconds" \
        -f lavfi -i "sine=frequency=440:sample_rate=$sr:duration=$seconds" \
        $(x264 "$keyint") "${aac[@]}" -ac "$ch" "${exact[@]}" "$out/$name.mp4"
}

for name in "${names[@]}"; do
    case $name in
    gop1) clip gop1 4 30 30 44100 1 ;;
    gop2_5) clip gop2_5 5 30 75 48000 2 ;;
    gop4) clip gop4 8 30 120 44100 1 ;;
    audio_only)
        ffmpeg "${common[@]}" \
            -f lavfi -i "sine=frequency=660:sample_rate=48000:duration=4" \
            "${aac[@]}" -ac 2 "${exact[@]}" "$out/audio_only.mp4"
        ;;
    video_only)
        # shellcheck disable=SC2046
        ffmpeg "${common[@]}" \
            -f lavfi -i "testsrc2=size=320x240:rate=30:duration=4" \
            $(x264 60) "${exact[@]}" "$out/video_only.mp4"
        ;;
    h265_aac)
        ffmpeg "${common[@]}" \
            -f lavfi -i "testsrc2=size=320x240:rate=25:duration=4.8" \
            -f lavfi -i "sine=frequency=880:sample_rate=44100:duration=4.8" \
            -c:v libx265 -preset veryfast -tag:v hvc1 -b:v 100k -pix_fmt yuv420p \
            -x265-params "log-level=error:pools=none:frame-threads=1:bframes=2:keyint=40:min-keyint=40:scenecut=0:info=0" \
            "${aac[@]}" -ac 1 "${exact[@]}" "$out/h265_aac.mp4"
        ;;
    *)
        echo "make-live-clips: no clip named $name" >&2
        exit 2
        ;;
    esac
done
