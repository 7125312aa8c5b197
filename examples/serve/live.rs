//! The live channels: each file looped as an encoder would send it, on
//! the wall clock, published into streamkit-core's live registry; each
//! channel's package is a subscriber of its broadcast, served at
//! `/live/NAME/` (LL-HLS and LL-DASH views over one package).
//!
//! This module only paces: it reads the clock, sleeps until the next
//! sample is due, and moves what the broadcast delivers into the package;
//! the looping (`LoopedSource`), the broadcast (GOP cache, bounded
//! subscribers, timestamp hygiene) and the packaging are the library's.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use streamkit::core::live::{LoopedSource, Publication, Registry, SubscriberId};

use crate::mount::Mount;

/// How much stream exists when the server starts.
pub(crate) const PREROLL: Duration = Duration::from_secs(6);

/// One channel: its source, its publication and the package subscriber.
pub(crate) struct Channel {
    pub(crate) name: String,
    pub(crate) source: LoopedSource,
    pub(crate) publication: Publication,
    pub(crate) subscriber: SubscriberId,
    pub(crate) mount: Arc<Mount>,
    /// When media time zero of the channel is (the wall clock runs
    /// `PREROLL` ahead of it at start-up).
    pub(crate) media_zero: Instant,
}

/// Every channel's broadcast, by name.
pub(crate) type Broadcasts = Arc<Mutex<Registry>>;

impl Channel {
    /// Publishes every sample due by `now`, and moves what the broadcast
    /// delivered into the package. Returns when the next sample is due.
    pub(crate) fn catch_up(
        &mut self,
        registry: &Broadcasts,
        now: Instant,
    ) -> Result<Instant, String> {
        let mut r = registry.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let due = self.media_zero + self.source.next_due();
            if due > now {
                drop(r);
                return Ok(due);
            }
            let sample = self.source.next_sample();
            r.push(&self.publication, now, sample)
                .map_err(|e| e.to_string())?;
            let broadcast = r
                .find_mut(self.publication.name())
                .ok_or("the broadcast is gone")?;
            let subscriber = self.subscriber;
            let result = self.mount.change(now, |site| {
                while let Some(d) = broadcast.poll_delivery(subscriber) {
                    site.package_mut().push_delivery(d)?;
                }
                Ok::<(), streamkit::core::package::PackageError>(())
            });
            result.map_err(|e| format!("live/{}: {e}", self.name))?;
        }
    }

    /// Runs the channel forever at the pace of the clock.
    pub(crate) async fn run(mut self, registry: Broadcasts) {
        loop {
            let due = match self.catch_up(&registry, Instant::now()) {
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
