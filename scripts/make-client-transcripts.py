#!/usr/bin/env python3
"""Writes the RTSP client's camera transcripts.

Each file in streamkit-rtsp/tests/transcripts/client/ holds the bytes a
server in the shape of an IP camera sends a client that pulls one H.264
track over TCP interleaved: the answers to OPTIONS (CSeq 1), DESCRIBE (2),
SETUP (3) and PLAY (4), then interleaved RTP and RTCP. Each shows one
behaviour, named by the file; tests/client_transcripts.rs drives the
client with it and asserts the exact outcome.

Run from the repository root: python3 scripts/make-client-transcripts.py
"""

import base64
import os
import struct

OUT = "streamkit-rtsp/tests/transcripts/client"

# The SDP's parameter sets (a Baseline encoder's: no reordering, so
# decode times are presentation times) and another pair (a Hikvision
# camera's, Main profile) for the in-band change.
SPS = base64.b64decode("Z0LAHtkDxWhAAAADAEAAAAwDxYuS")
PPS = base64.b64decode("aMuMsg==")
SPS2 = base64.b64decode("Z00AKpWoHgCJ+WEAAAMAAQAAAwAyhA==")
PPS2 = base64.b64decode("aO48gA==")

HOST = "192.168.1.64"
URL = f"rtsp://{HOST}:554/Streaming/Channels/101"


def response(cseq, headers, body=b"", status="200 OK", cseq_tail=""):
    lines = [f"RTSP/1.0 {status}", f"CSeq: {cseq}{cseq_tail}"]
    lines += headers
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sdp(control_base=URL):
    sprop = base64.b64encode(SPS).decode() + "," + base64.b64encode(PPS).decode()
    return (
        "v=0\r\n"
        f"o=- 1700000000000000 1 IN IP4 {HOST}\r\n"
        "s=Media Presentation\r\n"
        "e=NONE\r\n"
        "b=AS:5100\r\n"
        "t=0 0\r\n"
        f"a=control:{control_base}/?transportmode=unicast\r\n"
        "m=video 0 RTP/AVP 96\r\n"
        "b=AS:5000\r\n"
        "a=control:trackID=1\r\n"
        "a=rtpmap:96 H264/90000\r\n"
        "a=fmtp:96 profile-level-id=42C01E; packetization-mode=1; "
        f"sprop-parameter-sets={sprop}\r\n"
        "a=Media_header:MEDIAINFO=494D4B48010100000400000100000000000000000000000000000000000000000000000000000000;\r\n"
        "a=appversion:1.0\r\n"
    ).encode()


def rtp(seq, ts, ssrc, payload, marker=True, pt=96):
    b1 = (0x80 if marker else 0) | pt
    return struct.pack("!BBHII", 0x80, b1, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def interleaved(channel, packet):
    return struct.pack("!BBH", 0x24, channel, len(packet)) + packet


def idr(n):
    return bytes([0x65, 0x88, 0x84, n & 0xFF]) + bytes(range(0x10, 0x20))


def slice_(n):
    return bytes([0x41, 0x9A, 0x02, n & 0xFF]) + bytes(range(0x10, 0x18))


def stap_a(units):
    out = bytes([0x18])
    for u in units:
        out += struct.pack("!H", len(u)) + u
    return out


def sender_report(ssrc, ntp_secs, ntp_frac, rtp_ts, packets, octets):
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, ntp_secs, ntp_frac, rtp_ts, packets, octets)


def frames(ssrc, seq0, ts0, count, in_band=None):
    """`count` access units, 3000 ticks (30 fps) apart: a keyframe, then
    P slices. `in_band` puts a STAP-A of parameter sets before the
    keyframe's slice."""
    out = []
    for i in range(count):
        ts = ts0 + 3000 * i
        if i == 0:
            if in_band:
                out.append(rtp(seq0 + len(out), ts, ssrc, stap_a(in_band), marker=False))
            out.append(rtp(seq0 + len(out), ts, ssrc, idr(i)))
        else:
            out.append(rtp(seq0 + len(out), ts, ssrc, slice_(i)))
    return out


def session_head(
    setup_transport="RTP/AVP/TCP;unicast;interleaved=0-1",
    rtp_info="url={url}/trackID=1;seq=1000;rtptime=90000",
    describe_headers=None,
    cseq_tail="",
    content_base=URL + "/",
):
    if describe_headers is None:
        describe_headers = [f"Content-Base: {content_base}", "Content-Type: application/sdp"]
    out = response(
        1,
        ["Public: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER",
         "Date:  Thu, Dec 03 2026 08:00:00 GMT"],
        cseq_tail=cseq_tail,
    )
    out += response(2, describe_headers, sdp(), cseq_tail=cseq_tail)
    out += response(
        3,
        ["Session:       1273222592;timeout=60", f"Transport: {setup_transport}",
         "Date:  Thu, Dec 03 2026 08:00:00 GMT"],
        cseq_tail=cseq_tail,
    )
    play = ["Session:       1273222592", "Range: npt=now-"]
    if rtp_info is not None:
        play.append("RTP-Info: " + rtp_info.format(url=URL))
    out += response(4, play, cseq_tail=cseq_tail)
    return out


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    ssrc = 0x1A2B3C4D

    # Data on a channel never set up (a stale session's, or metadata),
    # between the media: counted and dropped.
    data = session_head()
    for i, p in enumerate(frames(ssrc, 1000, 90000, 5)):
        data += interleaved(0, p)
        if i in (1, 3):
            data += interleaved(5, rtp(7, 1234, 0xDEADBEEF, b"stale"))
    data += interleaved(5, b"\x00\x01")
    write("data_on_unassigned_channel.rtsp", data)

    # The SETUP answer names channels 6-7 although 0-1 were asked.
    data = session_head(setup_transport="RTP/AVP/TCP;unicast;interleaved=6-7;ssrc=1A2B3C4D;mode=\"play\"")
    for p in frames(ssrc, 1000, 90000, 4):
        data += interleaved(6, p)
    data += interleaved(7, sender_report(ssrc, 3_910_000_000, 0x80000000, 90000 + 9000, 4, 100))
    write("server_answers_other_channels.rtsp", data)

    # Transport without ssrc=; the source changes mid-stream: two stray
    # packets of another SSRC first (dropped), then a new source for
    # good (followed from its first packet once four came in a row).
    data = session_head()
    for p in frames(ssrc, 1000, 90000, 3):
        data += interleaved(0, p)
    data += interleaved(0, rtp(50, 777, 0x55555555, slice_(99)))
    data += interleaved(0, rtp(51, 778, 0x55555555, slice_(98)))
    data += interleaved(0, rtp(1003, 90000 + 9000, ssrc, slice_(3)))
    for p in frames(0x66666666, 5000, 400000, 6):
        data += interleaved(0, p)
    write("ssrc_changes_mid_stream.rtsp", data)

    # Transport names one SSRC, the packets carry another.
    data = session_head(setup_transport="ssrc= 0BADF00D;RTP/AVP/TCP;unicast;interleaved=0-1")
    for p in frames(ssrc, 1000, 90000, 3):
        data += interleaved(0, p)
    write("transport_ssrc_differs_from_packets.rtsp", data)

    # RTP-Info with rtptime=-1 and a trailing ';'.
    data = session_head(rtp_info="url={url}/trackID=1;seq=1000;rtptime=-1;")
    for p in frames(ssrc, 1000, 123456, 3):
        data += interleaved(0, p)
    write("rtp_info_rtptime_missing.rtsp", data)

    # The first RTP timestamp an hour away from RTP-Info's rtptime.
    data = session_head(rtp_info="url=trackID=1;seq=1000;rtptime=90000")
    for p in frames(ssrc, 1000, 90000 + 90000 * 3600, 3):
        data += interleaved(0, p)
    write("first_timestamp_far_from_rtp_info.rtsp", data)

    # No Content-Type on the DESCRIBE answer, a schemeless Content-Base.
    data = session_head(describe_headers=[f"Content-Base: {HOST}:554/Streaming/Channels/101/"])
    for p in frames(ssrc, 1000, 90000, 2):
        data += interleaved(0, p)
    write("describe_without_content_type.rtsp", data)

    # A schemeless Content-Base alone.
    data = session_head(content_base=f"{HOST}:554/Streaming/Channels/101/")
    for p in frames(ssrc, 1000, 90000, 2):
        data += interleaved(0, p)
    write("schemeless_content_base.rtsp", data)

    # `CSeq: N ` with trailing whitespace on every answer.
    data = session_head(cseq_tail="  ")
    for p in frames(ssrc, 1000, 90000, 2):
        data += interleaved(0, p)
    write("cseq_with_trailing_whitespace.rtsp", data)

    # In-band SPS/PPS that differ from sprop-parameter-sets.
    data = session_head()
    for p in frames(ssrc, 1000, 90000, 3, in_band=[SPS2, PPS2]):
        data += interleaved(0, p)
    write("in_band_parameter_sets_differ.rtsp", data)

    # RTP before the PLAY answer (the camera starts at once): taken, the
    # first packet is media time zero (RTP-Info's rtptime, 3000 ticks
    # earlier, comes after it).
    head = session_head(rtp_info="url={url}/trackID=1;seq=999;rtptime=87000")
    play_at = head.index(b"RTSP/1.0 200 OK\r\nCSeq: 4")
    packets = frames(ssrc, 1000, 90000, 4)
    data = head[:play_at]
    for p in packets[:2]:
        data += interleaved(0, p)
    data += head[play_at:]
    for p in packets[2:]:
        data += interleaved(0, p)
    write("rtp_before_the_play_answer.rtsp", data)

    # Every quirk above in one session (the proptest's scripted server):
    # no Content-Type, a schemeless Content-Base, CSeq with trailing
    # whitespace, other channels than asked with an SSRC the packets do
    # not carry, rtptime -1, data on an unassigned channel, in-band
    # parameter sets that differ, strays of another SSRC, then a new
    # source for good.
    data = session_head(
        describe_headers=[f"Content-Base: {HOST}:554/Streaming/Channels/101/"],
        cseq_tail=" ",
        setup_transport="ssrc=0BADF00D;RTP/AVP/TCP;unicast;interleaved=2-3",
        rtp_info="url={url}/trackID=1;seq=1000;rtptime=-1",
    )
    for i, p in enumerate(frames(ssrc, 1000, 90000, 4, in_band=[SPS2, PPS2])):
        data += interleaved(2, p)
        if i == 1:
            data += interleaved(9, b"\x00\x01")
            data += interleaved(2, rtp(50, 777, 0x55555555, slice_(99)))
    data += interleaved(3, sender_report(ssrc, 3_910_000_000, 0, 90000 + 6000, 5, 100))
    for p in frames(0x66666666, 5000, 400000, 5, in_band=[SPS, PPS]):
        data += interleaved(2, p)
    write("every_quirk.rtsp", data)


if __name__ == "__main__":
    main()
