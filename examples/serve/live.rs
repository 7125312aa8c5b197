//! Live streams: every publisher (the looped files, and any ingest:
//! RTMP, RTSP, MPEG-TS over UDP) publishes into streamkit-core's live
//! registry through a [`LiveHub`]; each stream gets, on its first
//! publish, a live package served at `/live/NAME/` (LL-HLS and LL-DASH
//! views over it), fed as a subscriber of the broadcast.
//!
//! This module only wires: it creates the mount when a name is first
//! published, moves what the broadcast delivers into the package, and
//! paces the looped files on the clock. The broadcast (GOP cache, bounded
//! subscribers, timestamp hygiene, takeovers) and the packaging are the
//! library's.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use streamkit::core::clock::{UnixTime, WallClock};
use streamkit::core::live::{
    BroadcastConfig, Delivery, LoopedSource, Publication, Registry, SubscriberId,
};
use streamkit::core::package::{Package, PackageConfig, PackageError};
use streamkit::core::sample::{PresentationShift, Sample};
use streamkit::core::time::{MediaTime, Timescale};
use streamkit::core::track::Track;
use streamkit::dash::origin::DashView;
use streamkit::dash::presentation::{Presentation as Dash, PresentationConfig as DashConfig};
use streamkit::hls::origin::HlsView;
use streamkit::hls::presentation::{Presentation as Hls, PresentationConfig as HlsConfig};
use streamkit::origin::{Origin, OriginConfig, PackageSite};

use crate::mount::{COALESCE_BELOW, Mount};

/// How much stream a looped file has made when the server starts.
pub(crate) const PREROLL: Duration = Duration::from_secs(6);
/// Live: segments of at least 2 s, parts of at most 500 ms, 6 segments
/// listed, 8 kept (clients that just read a playlist may still ask for
/// the oldest).
const SEGMENT_MILLIS: i64 = 2_000;
const PART_MILLIS: i64 = 500;
const WINDOW: usize = 6;
const KEPT: usize = 8;

/// One live stream as the server serves it.
struct LiveStream {
    mount: Arc<Mount>,
    /// The package's subscription to the broadcast.
    subscriber: SubscriberId,
    /// What kind of publisher feeds it (`looped file`, `RTMP`, ...).
    source: String,
}

/// Every live stream: the broadcasts, and the mount of each.
pub(crate) struct LiveHub {
    registry: Mutex<Registry>,
    streams: RwLock<BTreeMap<String, LiveStream>>,
    wall: WallClock,
    max_held: usize,
    /// Bumped after every push and end, so that players of live streams
    /// (RTMP, RTSP) wake to drain their subscriptions.
    changes: tokio::sync::watch::Sender<u64>,
    /// How many times faster than the clock the looped files play.
    looped_speed: f64,
}

/// What a publisher publishes.
pub(crate) struct PublishRequest<'a> {
    /// The stream's name (`live/NAME`).
    pub(crate) name: &'a str,
    pub(crate) tracks: Vec<Track>,
    /// The tracks' edit-list shifts (a file's; empty for encoders).
    pub(crate) shifts: &'a [PresentationShift],
    /// When the publisher's media time zero was (for the wall clock).
    pub(crate) media_zero: Instant,
    /// Take the name over from a publisher that holds it.
    pub(crate) takeover: bool,
    /// What feeds it (`looped file`, `RTMP`, ...), for the log and the page.
    pub(crate) source: &'a str,
}

/// A publisher's hold on a live stream: what it pushes reaches every
/// viewer of the stream.
pub(crate) struct LivePublisher {
    hub: Arc<LiveHub>,
    publication: Publication,
}

impl LiveHub {
    /// `looped_speed`: the looped files play this many times faster than
    /// the clock (1 for real time; more for soak tests).
    pub(crate) fn new(wall: WallClock, max_held: usize, looped_speed: f64) -> Arc<LiveHub> {
        Arc::new(LiveHub {
            registry: Mutex::new(Registry::new(BroadcastConfig::default())),
            streams: RwLock::new(BTreeMap::new()),
            wall,
            max_held,
            changes: tokio::sync::watch::Sender::new(0),
            looped_speed,
        })
    }

    /// Changes whenever a live stream got samples or ended: a player
    /// waits on it, then drains its subscription.
    pub(crate) fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// How many times faster than the clock the looped files play.
    pub(crate) fn looped_speed(&self) -> f64 {
        self.looped_speed
    }

    /// The link from the monotonic clock to the wall clock.
    #[allow(dead_code)] // for the ingests that link their own clocks
    pub(crate) fn wall_clock(&self) -> WallClock {
        self.wall
    }

    /// Publishes as `request` says at `now`. A second publisher of a name
    /// in use is refused unless it asks for a takeover.
    pub(crate) fn publish(
        self: &Arc<LiveHub>,
        now: Instant,
        request: PublishRequest<'_>,
    ) -> Result<LivePublisher, String> {
        let PublishRequest {
            name,
            tracks,
            shifts,
            media_zero,
            takeover,
            source,
        } = request;
        let mut registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        let publication = registry
            .publish(now, name, tracks.clone(), takeover)
            .map_err(|e| e.to_string())?;
        let broadcast = registry
            .broadcast_of(&publication)
            .map_err(|e| e.to_string())?;
        let reference = broadcast.reference_track();
        if let Some(t) = tracks.iter().find(|t| t.id == reference) {
            broadcast.set_wall_clock(MediaTime::zero(t.timescale), self.wall.at(media_zero));
        }
        let mut streams = self.streams.write().unwrap_or_else(PoisonError::into_inner);
        // A takeover with the same tracks goes on in the same package; a
        // new broadcast (a first publish, new tracks, a stream that ended)
        // gets a new one.
        let fresh = !publication.continues_broadcast() || !streams.contains_key(name);
        if fresh {
            let mount = self.live_mount(name, &tracks, shifts)?;
            let subscriber = broadcast.subscribe();
            streams.insert(
                name.to_owned(),
                LiveStream {
                    mount,
                    subscriber,
                    source: source.to_owned(),
                },
            );
        }
        drop(streams);
        drop(registry);
        tracing::info!("live/{name}: published ({source})");
        Ok(LivePublisher {
            hub: self.clone(),
            publication,
        })
    }

    /// A live package and its views, mounted at `/live/NAME/`.
    fn live_mount(
        &self,
        name: &str,
        tracks: &[Track],
        shifts: &[PresentationShift],
    ) -> Result<Arc<Mount>, String> {
        let prefix = format!("/live/{name}/");
        let segment = MediaTime::new(SEGMENT_MILLIS, Timescale::MILLIS);
        let part = MediaTime::new(PART_MILLIS, Timescale::MILLIS);
        let package = Package::new(
            tracks,
            shifts,
            PackageConfig::new(segment)
                .with_part_target(part)
                .with_window(KEPT)
                .with_coalescing(COALESCE_BELOW),
        )
        .map_err(|e| e.to_string())?;
        let hls = Hls::new(&package, HlsConfig::live(WINDOW)).map_err(|e| e.to_string())?;
        let dash = Dash::new(
            &package,
            DashConfig::live(Duration::from_millis(SEGMENT_MILLIS as u64))
                .with_low_latency(Duration::from_millis(3 * PART_MILLIS as u64))
                .with_utc_timing("urn:mpeg:dash:utc:http-iso:2014", &format!("{prefix}time")),
        )
        .map_err(|e| format!("DASH: {e}"))?;
        let site = PackageSite::new(
            package,
            vec![
                Box::new(HlsView::new(hls)),
                Box::new(DashView::new(dash).with_wall_clock(self.wall)),
            ],
        );
        let origin = Origin::new(
            site,
            OriginConfig::default()
                .with_base_path(prefix)
                .with_max_pending(self.max_held),
        )
        .map_err(|e| e.to_string())?;
        let mount = Mount::new(origin);
        tokio::spawn(mount.clone().run_timeouts());
        Ok(mount)
    }

    /// The mount of live stream `name`.
    pub(crate) fn mount(&self, name: &str) -> Option<Arc<Mount>> {
        let streams = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        streams.get(name).map(|s| s.mount.clone())
    }

    /// The live streams, with what feeds each.
    pub(crate) fn names(&self) -> Vec<(String, String)> {
        let streams = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        streams
            .iter()
            .map(|(n, s)| (n.clone(), s.source.clone()))
            .collect()
    }

    /// Runs `f` on the registry (to subscribe a viewer, say).
    #[allow(dead_code)] // for the players of live streams (RTSP, RTMP)
    pub(crate) fn with_registry<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        let mut r = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut r)
    }

    /// Moves what stream `name`'s broadcast delivered into its package.
    fn feed(&self, registry: &mut Registry, name: &str, now: Instant) -> Result<(), String> {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        let streams = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        let (Some(stream), Some(broadcast)) = (streams.get(name), registry.find_mut(name)) else {
            return Ok(());
        };
        let subscriber = stream.subscriber;
        stream
            .mount
            .change(now, |site| {
                let package = site.package_mut();
                while let Some(d) = broadcast.poll_delivery(subscriber) {
                    let ended = d == Delivery::Ended;
                    package.push_delivery(d)?;
                    if ended {
                        break;
                    }
                }
                // The origin serves the package's own store; its events
                // (each carrying a part's or segment's bytes) are for
                // writers of files. Undrained, they kept every byte ever
                // packaged, whatever the window.
                while package.poll_event().is_some() {}
                Ok::<(), PackageError>(())
            })
            .map_err(|e| format!("live/{name}: {e}"))
    }
}

#[allow(dead_code)] // the ingests' publishers use all of it; the looped files only push
impl LivePublisher {
    /// The stream's name.
    pub(crate) fn name(&self) -> &str {
        self.publication.name()
    }

    /// Pushes a sample at `now`; every viewer gets it.
    pub(crate) fn push(&mut self, now: Instant, sample: Sample) -> Result<(), String> {
        let mut registry = self
            .hub
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        registry
            .push(&self.publication, now, sample)
            .map_err(|e| e.to_string())?;
        let fed = self.hub.feed(&mut registry, self.publication.name(), now);
        drop(registry);
        fed
    }

    /// The publisher's codec configuration of a track changed (a new SPS
    /// in band, a new sequence header): viewers get it in order, and the
    /// live package starts a new init segment at the next keyframe.
    pub(crate) fn update_track(&mut self, now: Instant, track: Track) -> Result<(), String> {
        let mut registry = self
            .hub
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        registry
            .broadcast_of(&self.publication)
            .map_err(|e| e.to_string())?
            .update_track(track)
            .map_err(|e| e.to_string())?;
        let fed = self.hub.feed(&mut registry, self.publication.name(), now);
        drop(registry);
        fed
    }

    /// Links media time to the wall clock (an RTCP sender report, an
    /// encoder's own clock).
    pub(crate) fn set_wall_clock(&mut self, media: MediaTime, unix: UnixTime) {
        self.hub.with_registry(|r| {
            if let Ok(b) = r.broadcast_of(&self.publication) {
                b.set_wall_clock(media, unix);
            }
        });
    }

    /// The publisher stopped: viewers get the rest, then the end.
    pub(crate) fn finish(self, now: Instant) {
        let mut registry = self
            .hub
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        registry.unpublish(&self.publication);
        let _ = self.hub.feed(&mut registry, self.publication.name(), now);
        drop(registry);
        tracing::info!("live/{}: ended", self.publication.name());
    }
}

/// A file looped as an encoder would send it, on the clock.
pub(crate) struct LoopedChannel {
    pub(crate) source: LoopedSource,
    pub(crate) publisher: LivePublisher,
    /// When media time zero of the channel is (`PREROLL` of media before
    /// start-up).
    pub(crate) media_zero: Instant,
    /// Media time runs this many times faster than the clock.
    pub(crate) speed: f64,
}

impl LoopedChannel {
    /// Publishes every sample due by `now`; returns when the next one is.
    pub(crate) fn catch_up(&mut self, now: Instant) -> Result<Instant, String> {
        loop {
            let due = self.media_zero + self.source.next_due().div_f64(self.speed);
            if due > now {
                return Ok(due);
            }
            let sample = self.source.next_sample();
            self.publisher.push(now, sample)?;
        }
    }

    /// Runs the channel forever at the pace of the clock.
    pub(crate) async fn run(mut self) {
        loop {
            let due = match self.catch_up(Instant::now()) {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!("{e}; the channel stops");
                    return;
                }
            };
            tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
        }
    }
}
