//! Broadcasts by name: who publishes what, and takeovers.

use std::collections::BTreeMap;
use std::time::Instant;

use super::{Broadcast, BroadcastConfig, LiveError};
use crate::sample::Sample;
use crate::track::Track;

/// The most broadcasts a registry holds.
pub const MAX_BROADCASTS: usize = 4096;
/// The longest name.
pub const MAX_NAME_LEN: usize = 256;

/// Why a publish, a push or an unpublish was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// Another publisher has the name (and no takeover was allowed).
    #[error("live/{name}: the name is taken by another publisher")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// The name is empty, too long, or has characters outside
    /// `A-Z a-z 0-9 _ - . /` (or an empty, `.` or `..` path segment).
    #[error("live: {name:?} cannot name a stream")]
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// The registry holds [`MAX_BROADCASTS`] broadcasts already.
    #[error("live: {MAX_BROADCASTS} streams at most")]
    Full,
    /// A newer publisher took the name over, or the stream ended: this
    /// publication may push no more.
    #[error("live/{name}: this publication was superseded or ended")]
    Superseded {
        /// The name.
        name: String,
    },
    /// The broadcast refused it.
    #[error("live/{name}: {source}")]
    Live {
        /// The name.
        name: String,
        /// What the broadcast said.
        source: LiveError,
    },
}

/// A publisher's hold on a name: pushes go through it, so that a
/// publisher whose stream was taken over cannot push any more.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Publication {
    name: String,
    id: u64,
    continued: bool,
}

impl Publication {
    /// The stream's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `true` when this publication continues a broadcast that was live
    /// under the name (a takeover with the same tracks): its subscribers
    /// carried over. `false`: a new broadcast, new subscribers.
    #[must_use]
    pub fn continues_broadcast(&self) -> bool {
        self.continued
    }
}

#[derive(Debug)]
struct Slot {
    broadcast: Broadcast,
    publication: Option<u64>,
}

/// Broadcasts by name; see the [module documentation](super).
///
/// `publish` takes a name (`live/KEY`'s `KEY`, say); a second publisher
/// of a name in use is refused with [`PublishError::NameTaken`] unless it
/// asks for a takeover, which continues the broadcast for its subscribers
/// (with a discontinuity) when the tracks match and starts a new one
/// otherwise. An ended broadcast stays findable until its last subscriber
/// leaves; [`Registry::handle_timeout`] ends idle broadcasts and removes
/// ended ones nobody watches.
#[derive(Debug)]
pub struct Registry {
    config: BroadcastConfig,
    streams: BTreeMap<String, Slot>,
    next_publication: u64,
}

fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        && name
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

impl Registry {
    /// An empty registry whose broadcasts use `config`.
    #[must_use]
    pub fn new(config: BroadcastConfig) -> Registry {
        Registry {
            config,
            streams: BTreeMap::new(),
            next_publication: 0,
        }
    }

    /// Publishes `tracks` under `name` at `now`.
    ///
    /// # Errors
    ///
    /// [`PublishError::InvalidName`], [`PublishError::Full`],
    /// [`PublishError::NameTaken`] (a live publisher holds the name and
    /// `takeover` is false), [`PublishError::Live`] for tracks a broadcast
    /// refuses.
    pub fn publish(
        &mut self,
        now: Instant,
        name: &str,
        tracks: Vec<Track>,
        takeover: bool,
    ) -> Result<Publication, PublishError> {
        if !plain_name(name) {
            return Err(PublishError::InvalidName {
                name: name.to_owned(),
            });
        }
        let id = self.next_publication;
        let mut continued = false;
        let live = |source| PublishError::Live {
            name: name.to_owned(),
            source,
        };
        match self.streams.get_mut(name) {
            Some(slot) if !slot.broadcast.is_ended() && slot.publication.is_some() && !takeover => {
                return Err(PublishError::NameTaken {
                    name: name.to_owned(),
                });
            }
            Some(slot) if !slot.broadcast.is_ended() => {
                // A takeover, or a publisher returning to a name it left:
                // the subscribers go on, with a discontinuity.
                if slot.broadcast.republish(now, tracks.clone()).is_ok() {
                    continued = true;
                } else {
                    slot.broadcast.finish();
                    slot.broadcast = Broadcast::new(now, tracks, self.config).map_err(live)?;
                }
                slot.publication = Some(id);
            }
            Some(slot) => {
                // An ended broadcast: its subscribers get Ended; a new one.
                slot.broadcast = Broadcast::new(now, tracks, self.config).map_err(live)?;
                slot.publication = Some(id);
            }
            None => {
                if self.streams.len() >= MAX_BROADCASTS {
                    return Err(PublishError::Full);
                }
                let broadcast = Broadcast::new(now, tracks, self.config).map_err(live)?;
                self.streams.insert(
                    name.to_owned(),
                    Slot {
                        broadcast,
                        publication: Some(id),
                    },
                );
            }
        }
        self.next_publication += 1;
        Ok(Publication {
            name: name.to_owned(),
            id,
            continued,
        })
    }

    fn slot_of(&mut self, publication: &Publication) -> Result<&mut Slot, PublishError> {
        match self.streams.get_mut(&publication.name) {
            Some(slot)
                if slot.publication == Some(publication.id) && !slot.broadcast.is_ended() =>
            {
                Ok(slot)
            }
            _ => Err(PublishError::Superseded {
                name: publication.name.clone(),
            }),
        }
    }

    /// Pushes a sample of `publication` at `now`.
    ///
    /// # Errors
    ///
    /// [`PublishError::Superseded`], or the broadcast's refusal.
    pub fn push(
        &mut self,
        publication: &Publication,
        now: Instant,
        sample: Sample,
    ) -> Result<(), PublishError> {
        let slot = self.slot_of(publication)?;
        slot.broadcast
            .push(now, sample)
            .map_err(|source| PublishError::Live {
                name: publication.name.clone(),
                source,
            })
    }

    /// The broadcast `publication` publishes into (for its other inputs:
    /// track updates, the wall clock).
    ///
    /// # Errors
    ///
    /// [`PublishError::Superseded`].
    pub fn broadcast_of(
        &mut self,
        publication: &Publication,
    ) -> Result<&mut Broadcast, PublishError> {
        self.slot_of(publication).map(|s| &mut s.broadcast)
    }

    /// The publisher stopped: the broadcast ends (subscribers get the
    /// rest, then the end). Nothing happens for a superseded publication.
    pub fn unpublish(&mut self, publication: &Publication) {
        if let Ok(slot) = self.slot_of(publication) {
            slot.broadcast.finish();
            slot.publication = None;
        }
    }

    /// The broadcast named `name`.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<&Broadcast> {
        self.streams.get(name).map(|s| &s.broadcast)
    }

    /// The broadcast named `name`, to subscribe to it or poll it.
    pub fn find_mut(&mut self, name: &str) -> Option<&mut Broadcast> {
        self.streams.get_mut(name).map(|s| &mut s.broadcast)
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.streams.keys().map(String::as_str)
    }

    /// How many broadcasts there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// `true` when there is none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// The earliest idle deadline of a broadcast.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.streams
            .values()
            .filter_map(|s| s.broadcast.poll_timeout())
            .min()
    }

    /// Ends the idle broadcasts and removes the ended ones that nobody
    /// watches.
    pub fn handle_timeout(&mut self, now: Instant) {
        for slot in self.streams.values_mut() {
            slot.broadcast.handle_timeout(now);
        }
        self.streams
            .retain(|_, s| !(s.broadcast.is_ended() && s.broadcast.subscriber_count() == 0));
    }
}
