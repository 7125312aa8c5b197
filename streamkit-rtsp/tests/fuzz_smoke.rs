//! Runs the fuzz targets of streamkit-rtsp (`streamkit_rtsp::fuzz`, called
//! by `fuzz/` at the repository root) over seeds: RFC 2326 requests and
//! responses, interleaved data mixed with messages, camera-style Transport
//! and Session values, Digest challenges, tunnel heads and base64 bodies, and edge inputs.

use streamkit_rtsp::fuzz;

const SEEDS: &[&[u8]] = &[
    b"",
    b"\r\n",
    b"$",
    b"$\x00\x00\x04abcd",
    b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n",
    b"DESCRIBE rtsp://server.example.com/fizzle/foo RTSP/1.0\r\nCSeq: 312\r\nAccept: application/sdp\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 312 \r\nContent-Length: 4\r\n\r\nv=0\n",
    b"$\x01\x00\x02hiRTSP/1.0 200 OK\r\nCSeq: 2\r\nSession: 12345678;timeout=60\r\n\r\n",
    b"SETUP rtsp://h/x/trackID=1 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;client_port=4588-4589;unicast\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
    b"PLAY rtsp://h/x RTSP/1.0\r\nCSeq: 4\r\nRange: npt=0-\r\nSession: 1\r\n\r\n",
    b"RTP/AVP/TCP;unicast;interleaved=4-5,RTP/AVP;unicast;client_port=5000-5001",
    b"12345678;timeout=60",
    b"url=rtsp://h/x/trackID=1;seq=1;rtptime=0,url=rtsp://h/x/trackID=2;seq=9",
    b"npt=1.5-20",
    b"clock=19961108T142300Z-19961108T143520Z",
    b"Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256, qop=\"auth\"",
    b"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"rtsp://h/x\", response=\"00\"",
    b"Basic dTpw",
    b"OPTIONS * RTSP/2.0\r\nCSeq: 1\r\nSupported: play.basic\r\n\r\n",
    b"OPTIONS * RTSP/1.1\r\nCSeq: 1\r\n\r\n",
    b"PLAY_NOTIFY rtsp://h/x RTSP/2.0\r\nCSeq: 854\r\nNotify-Reason: end-of-stream\r\n\r\n",
    b"RTP/AVP;unicast;dest_addr=\"192.0.2.53:4588\"/\"192.0.2.53:4589\";src_addr=\":6256\"/\"[::1]:6257\"",
    b"url=\"rtsp://example.com/audio\" ssrc=0D12F123:seq=14783;rtptime=2345962545 ssrc=1:seq=2",
    b"Random-Access=2.5, Unlimited, Immutable, Scales=\"-20, -10, 0.5:1.5\"",
    b"No-Seeking, Dynamic, Time-Progressing, Time-Duration=0.0",
    b"npt, smpte-25, clock, UTC",
    b"First-Prior",
    b"cseq=853 status=200 reason=\"OK\"",
    b"2147483647",
    b"play.basic, setup.rtp.rtcp.mux",
    b"GET /vod/a HTTP/1.0\r\nx-sessioncookie: 1e2a3b4c\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n",
    b"POST /vod/a HTTP/1.1\r\nx-sessioncookie: k\r\nContent-Length: 32767\r\n\r\nT1BU",
    b"T1BUSU9OUyAqIFJUU1AvMS4wDQpDU2VxOiAxDQoNCg==REVTQw==\r\n",
    b"Zg=Zm8=Zg===",
];

#[test]
fn every_target_over_the_seeds_and_their_prefixes() {
    for seed in SEEDS {
        for end in 0..=seed.len() {
            fuzz::message(&seed[..end]);
            fuzz::headers(&seed[..end]);
            fuzz::tunnel(&seed[..end]);
            fuzz::client_responses(&seed[..end]);
        }
    }
}

/// The client's target over the camera transcripts, cut at every 97th
/// byte (a prefix is a server that stopped there).
#[test]
fn the_client_target_over_the_transcripts() {
    let transcripts: &[&[u8]] = &[
        include_bytes!("transcripts/client/every_quirk.rtsp"),
        include_bytes!("transcripts/client/ssrc_changes_mid_stream.rtsp"),
        include_bytes!("transcripts/client/server_answers_other_channels.rtsp"),
    ];
    for t in transcripts {
        for end in (0..=t.len()).step_by(97).chain([t.len()]) {
            fuzz::client_responses(&t[..end]);
        }
    }
}
