//! Cameras as sources: `--pull rtsp://[USER:PASS@]HOST[:PORT]/PATH=NAME`
//! (repeatable) pulls an RTSP stream (an IP camera, an NVR, another
//! server) with streamkit-rtsp's client session over TCP interleaved and
//! publishes it as the live stream NAME, on every output at `/live/NAME/`.
//!
//! When the camera drops (the connection closes, a request times out, the
//! session fails), the pull connects again after a wait that doubles up to
//! 30 s (`streamkit::rtsp::client::Reconnect`, timed by its
//! `poll_timeout`); a session that played 10 s starts the count again.
//! A source whose every track said RTCP BYE (a server that played a file
//! out) is torn down and pulled again the same way. Its stream is left,
//! not ended, meanwhile: the next session continues it for its viewers
//! behind a discontinuity (HLS's `EXT-X-DISCONTINUITY`), on the same
//! playlist.

use std::sync::Arc;
use std::time::{Duration, Instant};

use streamkit::core::codec::MediaKind;
use streamkit::core::track::Track;
use streamkit::rtsp::client::{
    ClientConfig, ClientEvent, ClientSession, Reconnect, ReconnectConfig, RtspUrl,
};

use crate::live::{LiveHub, LivePublisher, PublishRequest};
use crate::rtsp::KeyedRandom;
use crate::rtsp_client::{self, ClientApp};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The driver's hang guard (a test client's bound on a session), far off:
/// a pulled camera plays for as long as the server runs.
const NO_GUARD: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// One `--pull` option.
pub(crate) struct Pull {
    pub(crate) url: String,
    pub(crate) name: String,
}

impl Pull {
    /// `URL=NAME` (the name after the last `=`: a URL's query may hold
    /// some).
    pub(crate) fn parse(spec: &str) -> Result<Pull, String> {
        let (url, name) = spec
            .rsplit_once('=')
            .ok_or(format!("--pull {spec}: expected rtsp://HOST/PATH=NAME"))?;
        if RtspUrl::parse(url).is_none() || !url.starts_with("rtsp://") {
            return Err(format!("--pull {spec}: {url} is not an rtsp:// URL"));
        }
        if !crate::rtsp::valid_name(name) {
            return Err(format!(
                "--pull {spec}: NAME must be 1 to 64 letters, digits, '-' or '_'"
            ));
        }
        Ok(Pull {
            url: url.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The URL without its credentials, for the log.
    fn shown_url(&self) -> String {
        shown_url(&self.url)
    }
}

/// `url` without the credentials of its authority (`USER:PASS@`); an `@`
/// in the path stays.
fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{path}")
}

/// What a running session does with its events: publishes the tracks
/// and pushes the samples.
struct Publish<'a> {
    hub: &'a Arc<LiveHub>,
    name: &'a str,
    shown: &'a str,
    publisher: &'a mut Option<LivePublisher>,
    reconnect: &'a mut Reconnect,
    /// The track whose sender reports give the stream's wall clock.
    reference: Option<u32>,
    /// Samples refused by the live stream (logged once).
    refused: u64,
    /// The tracks set up, and those whose source said RTCP BYE.
    tracks: usize,
    goodbyes: Vec<u32>,
}

impl ClientApp for Publish<'_> {
    fn on_event(&mut self, session: &mut ClientSession, now: Instant, event: &ClientEvent) {
        match event {
            ClientEvent::Described {
                tracks, skipped, ..
            } => {
                for (media, why) in skipped {
                    tracing::warn!("live/{}: {} track left out: {why}", self.name, media);
                }
                let tracks: Vec<Track> = tracks.iter().map(|t| t.track.clone()).collect();
                self.tracks = tracks.len();
                self.reference = tracks
                    .iter()
                    .find(|t| t.kind() == MediaKind::Video)
                    .or(tracks.first())
                    .map(|t| t.id);
                // A takeover of its own name: a stream left by the last
                // session goes on (behind a discontinuity).
                match self.hub.publish(
                    now,
                    PublishRequest {
                        name: self.name,
                        tracks,
                        shifts: &[],
                        media_zero: now,
                        takeover: true,
                        source: "RTSP pull",
                    },
                ) {
                    Ok(p) => *self.publisher = Some(p),
                    Err(e) => tracing::warn!("live/{}: {e}", self.name),
                }
            }
            ClientEvent::Playing { .. } => {
                tracing::info!("live/{}: pulling {}", self.name, self.shown);
                self.reconnect.connected(now);
            }
            ClientEvent::Sample(sample) => {
                if let Some(p) = self.publisher.as_mut()
                    && let Err(e) = p.push(now, sample.clone())
                {
                    self.refused += 1;
                    if self.refused == 1 {
                        tracing::warn!("live/{}: a sample refused: {e}", self.name);
                    }
                }
            }
            ClientEvent::TrackChanged { track } => {
                if let Some(p) = self.publisher.as_mut()
                    && let Err(e) = p.update_track(now, track.clone())
                {
                    tracing::warn!("live/{}: {e}", self.name);
                }
            }
            ClientEvent::WallClock {
                track_id,
                media,
                unix,
            } if Some(*track_id) == self.reference => {
                if let Some(p) = self.publisher.as_mut() {
                    p.set_wall_clock(*media, *unix);
                }
            }
            ClientEvent::Loss {
                track_id,
                lost_packets,
                ..
            } => {
                tracing::info!(
                    "live/{}: track {track_id} lost {lost_packets} packets",
                    self.name
                );
            }
            // A source that ended (a server playing a file out) is torn
            // down and pulled again, as one that dropped.
            ClientEvent::Goodbye { track_id } => {
                if !self.goodbyes.contains(track_id) {
                    self.goodbyes.push(*track_id);
                }
                if self.goodbyes.len() >= self.tracks {
                    tracing::info!("live/{}: {} ended its stream", self.name, self.shown);
                    session.teardown(now);
                }
            }
            ClientEvent::Quirk(q) => tracing::debug!("live/{}: {q:?}", self.name),
            _ => {}
        }
    }
}

/// Pulls `pull` into `hub` for as long as the server runs.
pub(crate) async fn run(pull: Pull, hub: Arc<LiveHub>) {
    let shown = pull.shown_url();
    let mut reconnect = Reconnect::new(ReconnectConfig::default());
    let mut random = KeyedRandom::new();
    let mut publisher: Option<LivePublisher> = None;
    loop {
        if let Some(at) = reconnect.poll_timeout() {
            tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        }
        let attempt = tokio::time::timeout(CONNECT_TIMEOUT, rtsp_client::connect(&pull.url)).await;
        let stream = match attempt {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                let wait = reconnect.failed(Instant::now(), random.next_u32());
                tracing::info!("live/{}: {shown}: {e}; again in {wait:?}", pull.name);
                continue;
            }
            Err(_) => {
                let wait = reconnect.failed(Instant::now(), random.next_u32());
                tracing::info!(
                    "live/{}: {shown}: connect timed out; again in {wait:?}",
                    pull.name
                );
                continue;
            }
        };
        let session = ClientSession::play(
            Instant::now(),
            ClientConfig::new(&pull.url),
            Box::new(KeyedRandom::new()),
        );
        let mut app = Publish {
            hub: &hub,
            name: &pull.name,
            shown: &shown,
            publisher: &mut publisher,
            reconnect: &mut reconnect,
            reference: None,
            refused: 0,
            tracks: usize::MAX,
            goodbyes: Vec::new(),
        };
        let ended = rtsp_client::run(session, stream, &[], &mut app, NO_GUARD).await;
        // The stream is left, not ended: the next session continues it.
        drop(publisher.take());
        let why = match ended {
            Ok(reason) => reason.to_string(),
            Err(e) => e.to_string(),
        };
        let wait = reconnect.failed(Instant::now(), random.next_u32());
        tracing::warn!(
            "live/{}: {shown} ended: {why}; again in {wait:?}",
            pull.name
        );
    }
}
