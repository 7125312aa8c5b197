#!/usr/bin/env bash
# Makes the small MP4 test media in tests/fixtures/ from ffmpeg's lavfi test
# sources, and writes what ffprobe says about each file beside them:
#
#   tests/fixtures/manifest.tsv        one `file` row and one `track` row per
#                                      track of every fixture
#   tests/fixtures/<name>.packets.tsv  one row per packet (sample), in file
#                                      order, with a CRC-32 of its data
#
# The media are encoded with bit-exact flags and single-threaded encoders so
# that a rerun on the same ffmpeg version gives the same bytes; the manifests
# are always regenerated from the media, so they describe the committed files
# even where another ffmpeg build would encode slightly different bytes.
#
# Usage: scripts/make-fixtures.sh            (from anywhere in the checkout)
#        scripts/make-fixtures.sh --manifest (only rewrite the manifests)
#        scripts/make-fixtures.sh --manifest-to DIR
#                                 (write the manifests of the committed media
#                                  into DIR; the tests compare them with the
#                                  committed ones)
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures
mkdir -p "$out"
# Where the manifests go (the media's directory unless --manifest-to).
mout=$out
if [ "${1:-}" = "--manifest-to" ]; then
    mout=${2:?--manifest-to needs a directory}
    mkdir -p "$mout"
fi

for tool in ffmpeg ffprobe; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "make-fixtures: $tool is missing (apt-get install ffmpeg)" >&2
        exit 1
    }
done

# Global flags, and output flags: no metadata, no encoder strings, bit-exact
# muxing and encoding.
common=(-hide_banner -loglevel error -y)
exact=(-map_metadata -1 -fflags +bitexact -flags +bitexact)
# H.264: main/high profile with two B-frames, a keyframe every 60 frames
# (2 s at 30 fps), one thread so the bitstream is the same on every machine.
x264=(-c:v libx264 -threads 1 -preset veryfast -profile:v high -bf 2 -g 60 -keyint_min 60
      -sc_threshold 0 -b:v 120k -maxrate 160k -bufsize 240k -pix_fmt yuv420p
      -x264-params "threads=1:lookahead-threads=1:sliced-threads=0")
aac=(-c:a aac -b:a 48k)

make_media() {
    # h264_aac.mp4: H.264 with B-frames + AAC-LC, 10 s, moov at the front.
    ffmpeg "${common[@]}" \
        -f lavfi -i "testsrc2=size=320x240:rate=30:duration=10" \
        -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=10" \
        "${x264[@]}" "${aac[@]}" -ac 1 \
        "${exact[@]}" -movflags +faststart "$out/h264_aac.mp4"

    # h264_aac_moov_end.mp4: same kind, moov after mdat (no faststart),
    # SMPTE bars, stereo 48 kHz audio, keyframe every 30 frames.
    ffmpeg "${common[@]}" \
        -f lavfi -i "smptebars=size=320x240:rate=25:duration=8" \
        -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=8" \
        "${x264[@]}" -g 30 -keyint_min 30 "${aac[@]}" -ac 2 \
        "${exact[@]}" "$out/h264_aac_moov_end.mp4"

    # h265_aac.mp4: H.265 (hvc1) with B-frames + AAC-LC.
    ffmpeg "${common[@]}" \
        -f lavfi -i "testsrc2=size=320x240:rate=30:duration=6" \
        -f lavfi -i "sine=frequency=660:sample_rate=44100:duration=6" \
        -c:v libx265 -preset veryfast -tag:v hvc1 -b:v 100k -pix_fmt yuv420p \
        -x265-params "log-level=error:pools=none:frame-threads=1:bframes=2:keyint=60:min-keyint=60:scenecut=0:info=0" \
        "${aac[@]}" -ac 1 \
        "${exact[@]}" -movflags +faststart "$out/h265_aac.mp4"

    # h264_opus.mp4: H.264 + Opus in MP4, with negative composition offsets
    # (ctts version 1) instead of a video edit-list shift.
    ffmpeg "${common[@]}" \
        -f lavfi -i "testsrc2=size=320x240:rate=30:duration=6" \
        -f lavfi -i "sine=frequency=880:sample_rate=48000:duration=6" \
        "${x264[@]}" -c:a libopus -b:a 32k -ac 2 \
        "${exact[@]}" -movflags +faststart+negative_cts_offsets "$out/h264_opus.mp4"
}

# Track rows: file, stream index, track id, codec, fourcc, timescale, width,
# height, sample rate, channels, then counts and times computed from the
# packet rows.
write_manifest() {
    local manifest="$mout/manifest.tsv"
    {
        echo "# Written by scripts/make-fixtures.sh from ffprobe $(ffprobe -version | head -n1 | cut -d' ' -f3). Times in ticks of the track timescale, as ffprobe reports them (edit lists applied)."
        printf '#file\tname\tbytes\tduration_us\n'
        printf '#track\tname\tindex\ttrack_id\tcodec\tfourcc\ttimescale\twidth\theight\tsample_rate\tchannels\tsamples\tkeyframes\tfirst_dts\tfirst_pts\tlast_dts\tlast_pts\tduration\n'
    } >"$manifest"
    for f in h264_aac h264_aac_moov_end h265_aac h264_opus; do
        local media="$out/$f.mp4" packets="$mout/$f.packets.tsv"
        {
            echo "# ffprobe -show_packets -show_data_hash CRC32 $f.mp4: stream index, dts, pts, duration, size, keyframe (1/0), discard (1/0), CRC-32 (IEEE, as zlib) of the data"
            printf '#index\tdts\tpts\tduration\tsize\tkeyframe\tdiscard\tcrc32\n'
            ffprobe -v error -show_data_hash CRC32 \
                -show_entries packet=stream_index,dts,pts,duration,size,flags,data_hash \
                "$media" |
                awk -F'=' '
                    $0 == "[PACKET]" { delete v; inpkt = 1; next }
                    $0 == "[/PACKET]" {
                        k = (index(v["flags"], "K") > 0) ? 1 : 0
                        d = (index(v["flags"], "D") > 0) ? 1 : 0
                        h = v["data_hash"]; sub(/^CRC32:/, "", h)
                        printf "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", v["stream_index"], v["dts"], v["pts"], v["duration"], v["size"], k, d, h
                        inpkt = 0; next
                    }
                    inpkt && /^(stream_index|dts|pts|duration|size|flags|data_hash)=/ { v[$1] = substr($0, length($1) + 2) }'
        } >"$packets"

        local bytes duration_us
        bytes=$(stat -c %s "$media")
        duration_us=$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$media" |
            awk '{ printf "%d", $1 * 1000000 + 0.5 }')
        printf 'file\t%s.mp4\t%s\t%s\n' "$f" "$bytes" "$duration_us" >>"$manifest"

        ffprobe -v error \
            -show_entries stream=index,id,codec_name,codec_tag_string,time_base,width,height,sample_rate,channels,duration_ts \
            -of compact=p=0 "$media" |
            while IFS= read -r line; do
                declare -A s=()
                IFS='|' read -ra fields <<<"$line"
                for kv in "${fields[@]}"; do s[${kv%%=*}]=${kv#*=}; done
                local idx=${s[index]}
                local stats
                stats=$(awk -F'\t' -v idx="$idx" '
                    /^#/ { next }
                    $1 == idx {
                        n++; if ($6 == 1) k++
                        if (n == 1) { fd = $2; fp = $3 }
                        ld = $2; lp = $3
                    }
                    END { printf "%d\t%d\t%s\t%s\t%s\t%s", n, k, fd, fp, ld, lp }' "$packets")
                printf 'track\t%s.mp4\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
                    "$f" "$idx" "$((${s[id]}))" "${s[codec_name]}" "${s[codec_tag_string]}" \
                    "${s[time_base]#1/}" "${s[width]:-0}" "${s[height]:-0}" \
                    "${s[sample_rate]:-0}" "${s[channels]:-0}" "$stats" "${s[duration_ts]}" >>"$manifest"
                unset s
            done
    done
}

case "${1:-}" in
--manifest | --manifest-to) ;;
*) make_media ;;
esac
write_manifest
if [ "$mout" = "$out" ]; then
    ls -l "$out"
    du -ch "$out"/*.mp4 | tail -n1
fi
