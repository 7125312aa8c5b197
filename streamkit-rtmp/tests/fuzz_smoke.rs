//! Runs every fuzz target of streamkit-rtmp (`streamkit_rtmp::fuzz`,
//! called by `fuzz/` at the repository root) over seeds: AMF commands a
//! client and a server exchange, a whole client-server conversation's
//! bytes in both directions (cut short too), and edge inputs. Cheap, so
//! the targets' checks run on every test run and not only under
//! libFuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // the origin of the simulated clock

use std::time::Instant;

use bytes::Bytes;
use streamkit_rtmp::amf::{Amf0Value, Amf3Value};
use streamkit_rtmp::client::{ClientConfig, ClientSession};
use streamkit_rtmp::fuzz;
use streamkit_rtmp::message::{Command, status_object};
use streamkit_rtmp::server::{AllowAll, ServerSession};
use streamkit_rtmp::url::RtmpUrl;

fn every_target(data: &[u8]) {
    fuzz::amf(data);
    fuzz::chunk(data);
    fuzz::handshake(data);
    fuzz::session(Instant::now(), data);
}

/// The bytes both sides send in a publish, as two transcripts.
fn conversation() -> (Vec<u8>, Vec<u8>) {
    let now = Instant::now();
    let mut server = ServerSession::new(now, Default::default(), Box::new(AllowAll));
    let url = RtmpUrl::parse("rtmp://127.0.0.1/live/seed").unwrap();
    let mut client = ClientSession::new(now, ClientConfig::publish(url));
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        while let Some(b) = client.poll_transmit() {
            up.extend_from_slice(&b);
            server.handle_input(now, &b).unwrap();
        }
        while let Some(b) = server.poll_transmit() {
            down.extend_from_slice(&b);
            client.handle_input(now, &b).unwrap();
        }
    }
    client
        .send_media(
            streamkit_core::flv::TagType::Video,
            40,
            Bytes::from(vec![0x17; 5000]),
        )
        .unwrap();
    while let Some(b) = client.poll_transmit() {
        up.extend_from_slice(&b);
    }
    (up, down)
}

#[test]
fn a_conversation_passes_every_target() {
    let (up, down) = conversation();
    // After the handshakes: the chunk streams.
    let up_chunks = &up[1 + 2 * 1536..];
    let down_chunks = &down[1 + 2 * 1536..];
    for seed in [&up[..], &down[..], up_chunks, down_chunks] {
        every_target(seed);
        every_target(&seed[..seed.len() / 2]);
        // The session target splits by the first byte: vary it.
        for first in [0u8, 7, 63] {
            let mut s = vec![first];
            s.extend_from_slice(seed);
            fuzz::session(Instant::now(), &s);
            fuzz::chunk(&s[1..]);
        }
    }
}

#[test]
fn commands_pass_the_amf_target() {
    let commands = [
        Command {
            name: "connect".into(),
            transaction_id: 1.0,
            object: Amf0Value::Object(vec![
                ("app".into(), Amf0Value::String("live".into())),
                (
                    "fourCcList".into(),
                    Amf0Value::StrictArray(vec![Amf0Value::String("hvc1".into())]),
                ),
                ("capsEx".into(), Amf0Value::Number(14.0)),
            ]),
            arguments: vec![],
        },
        Command::new(
            "onStatus",
            0.0,
            vec![status_object("error", "NetStream.Publish.Denied", "no")],
        ),
        Command::new(
            "x",
            0.0,
            vec![Amf0Value::Avmplus(Amf3Value::Array {
                associative: vec![("k".into(), Amf3Value::Integer(-5))],
                dense: vec![
                    Amf3Value::String("v".into()),
                    Amf3Value::String("v".into()),
                    Amf3Value::Reference(0),
                ],
            })],
        ),
    ];
    for c in &commands {
        every_target(&c.to_bytes().unwrap());
    }
}

#[test]
fn edge_inputs_pass_every_target() {
    let edges: [&[u8]; 8] = [
        &[],
        &[3],
        &[6],
        &[0x0a, 0xff, 0xff, 0xff, 0xff],
        &[0x11, 0x0a, 0x00],
        &[0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0xc3; 64],
        &[
            0x03, 0xff, 0xff, 0xff, 0x00, 0x00, 0x10, 0x09, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
        ],
    ];
    for e in edges {
        every_target(e);
    }
}
