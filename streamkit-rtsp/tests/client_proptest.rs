//! The client session under proptest: a scripted server that answers with
//! every quirk (tests/transcripts/client/every_quirk.rtsp) gives the same
//! events in any chunking and with any pauses between the chunks; arbitrary
//! bytes as the server's answers or as datagrams never panic and end the
//! session once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_rtsp::client::{
    ClientConfig, ClientEvent, ClientSession, ClientTransport, SessionEndReason,
};

const URL: &str = "rtsp://192.168.1.64:554/Streaming/Channels/101";
const EVERY_QUIRK: &[u8] = include_bytes!("transcripts/client/every_quirk.rtsp");

#[allow(clippy::disallowed_methods)] // a virtual clock's origin
fn origin() -> Instant {
    Instant::now()
}

/// The events of a client fed `transcript` in pieces of the `cuts`'
/// lengths (cycled), `gaps` milliseconds apart (cycled), then closed.
/// The pauses together stay under half the request timeout (each is cut
/// to its share), so that an answer cut into many small pieces still
/// comes in time: a late one is a timeout, rightly, not a quirk.
fn events(transcript: &[u8], cuts: &[usize], gaps: &[u64]) -> Vec<ClientEvent> {
    let t0 = origin();
    let config = ClientConfig::new(URL);
    let mut pieces = 0u64;
    let mut left = transcript.len();
    while left > 0 {
        left -= cuts[pieces as usize % cuts.len()].clamp(1, left);
        pieces += 1;
    }
    let budget = u64::try_from(config.request_timeout.as_millis() / 2).unwrap_or(u64::MAX);
    let most = budget / pieces.max(1);
    let mut c = ClientSession::play(t0, config, Box::new(|b: &mut [u8]| b.fill(9)));
    let mut out = Vec::new();
    let mut now = t0;
    let mut rest = transcript;
    let mut i = 0;
    while !rest.is_empty() {
        let n = cuts[i % cuts.len()].clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        // Time passes (below the request timeout): the timers run.
        let until = now + Duration::from_millis(gaps[i % gaps.len()].min(most));
        while let Some(t) = c.poll_timeout().filter(|t| *t <= until) {
            now = t.max(now);
            c.handle_timeout(now);
            while c.poll_transmit(now).is_some() {}
        }
        now = until;
        c.handle_bytes(now, piece);
        out.extend(std::iter::from_fn(|| c.poll_event()));
        while c.poll_transmit(now).is_some() {}
        i += 1;
    }
    c.handle_closed(now);
    out.extend(std::iter::from_fn(|| c.poll_event()));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_quirk_in_any_chunking_gives_the_same_events(
        cuts in prop::collection::vec(1usize..200, 1..16),
        gaps in prop::collection::vec(0u64..50, 1..8),
    ) {
        let whole = events(EVERY_QUIRK, &[EVERY_QUIRK.len()], &[0]);
        prop_assert_eq!(events(EVERY_QUIRK, &cuts, &gaps), whole);
    }

    #[test]
    fn arbitrary_server_bytes_never_panic(
        prefix_len in 0usize..EVERY_QUIRK.len(),
        noise in prop::collection::vec(any::<u8>(), 0..2048),
        udp in any::<bool>(),
    ) {
        let t0 = origin();
        let mut config = ClientConfig::new(URL);
        if udp {
            config.transport = ClientTransport::Udp { ports: vec![6000] };
        }
        let mut c = ClientSession::play(t0, config, Box::new(|b: &mut [u8]| b.fill(9)));
        // A true start, then garbage; and garbage alone.
        c.handle_bytes(t0, &EVERY_QUIRK[..prefix_len]);
        c.handle_bytes(t0, &noise);
        let _ = c.handle_datagram(t0, 6000, Bytes::from(noise.clone()));
        let _ = c.handle_datagram(t0, 6001, Bytes::from(noise.clone()));
        let mut now = t0;
        for _ in 0..4 {
            let Some(t) = c.poll_timeout() else { break };
            now = t.max(now + Duration::from_millis(1));
            c.handle_timeout(now);
            while c.poll_transmit(now).is_some() {}
        }
        c.handle_closed(now);
        let all: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
        let ends = all.iter().filter(|e| matches!(e, ClientEvent::SessionEnded { .. })).count();
        prop_assert_eq!(ends, 1);
        let last_is_end = matches!(all.last(), Some(ClientEvent::SessionEnded { .. }));
        prop_assert!(last_is_end, "{:?}", all.last());
        prop_assert!(c.poll_timeout().is_none());

        let mut alone = ClientSession::play(t0, ClientConfig::new(URL), Box::new(|b: &mut [u8]| b.fill(9)));
        alone.handle_bytes(t0, &noise);
        alone.handle_closed(t0);
        let all: Vec<ClientEvent> = std::iter::from_fn(|| alone.poll_event()).collect();
        let failed = matches!(
            all.last(),
            Some(ClientEvent::SessionEnded { reason: SessionEndReason::Failed(_) })
        );
        prop_assert!(failed, "{:?}", all.last());
    }
}
