//! Logging: the level (`--log`, else `RUST_LOG`, else `info`), and repeated
//! errors summarised so that no client can grow the log without bound.
//!
//! Each request is logged at `debug` (not by default). An answer of 400 or
//! more, and a connection dropped for misbehaving, is logged at `info` the
//! first time in a window of [`WINDOW`] for its kind and place (status and
//! the path up to its last `/`); the rest in that window are counted and
//! told in one line when the window ends: `37 more 404s for
//! /live/a/video/ in the last 10 s`. At most [`MAX_KINDS`] kinds are
//! tracked per window; further ones are counted together. So a request
//! storm writes a few lines every ten seconds, whatever its rate.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How long repeated errors of one kind are counted before they are told.
pub(crate) const WINDOW: Duration = Duration::from_secs(10);
/// The most kinds of error tracked at once; the rest count as one.
pub(crate) const MAX_KINDS: usize = 64;

/// The filter `spec` names: `error`, `warn`, `info`, `debug`, `trace`,
/// `off`, or `RUST_LOG`-style `target=level` items separated by commas
/// (`info,serve::http=debug`).
pub(crate) fn parse_filter(spec: &str) -> Result<Targets, String> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    for item in spec.split(',') {
        let level = item.rsplit_once('=').map_or(item, |(_, l)| l).trim();
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "not a log level: {item:?} (one of {}, or TARGET=LEVEL items separated by commas)",
                LEVELS.join(", ")
            ));
        }
    }
    spec.parse().map_err(|e| format!("{spec:?}: {e}"))
}

/// Installs the log on stderr with `filter`.
pub(crate) fn init(filter: Targets) {
    let fmt = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _ = fmt.with(filter).try_init();
}

/// One kind of error: a status (or a connection problem) and a place.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Kind {
    /// `404s`, `503s`, `send timeouts`, ...
    pub(crate) what: String,
    /// Where: a path up to its last `/` (`/live/a/video/`), or empty.
    pub(crate) place: String,
}

impl Kind {
    /// An answer with `status` to a request for `path`.
    pub(crate) fn status(status: u16, path: &str) -> Kind {
        let place = match path.rfind('/') {
            Some(i) => &path[..=i],
            None => path,
        };
        Kind {
            what: format!("{status}s"),
            place: place.to_owned(),
        }
    }

    /// A connection problem (`send timeouts`), with no place.
    pub(crate) fn connection(what: &str) -> Kind {
        Kind {
            what: what.to_owned(),
            place: String::new(),
        }
    }

    fn other() -> Kind {
        Kind {
            what: "errors".to_owned(),
            place: "other places".to_owned(),
        }
    }
}

/// The errors counted in the current window of each kind.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    kinds: HashMap<Kind, Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    more: u64,
}

/// What to do with an error just seen.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Log it in full: the first of its kind in this window.
    Log,
    /// Counted; told when the window ends.
    Counted,
}

impl Summary {
    /// Records an error of `kind` at `now`.
    pub(crate) fn record(&mut self, now: Instant, kind: Kind) -> Verdict {
        let kind = if self.kinds.len() >= MAX_KINDS && !self.kinds.contains_key(&kind) {
            Kind::other()
        } else {
            kind
        };
        match self.kinds.get_mut(&kind) {
            Some(w) => {
                w.more += 1;
                Verdict::Counted
            }
            None => {
                self.kinds.insert(
                    kind,
                    Window {
                        started: now,
                        more: 0,
                    },
                );
                Verdict::Log
            }
        }
    }

    /// The lines for the windows that ended by `now` (`N more 404s for
    /// /live/a/ in the last 10 s`), in a fixed order; their kinds start
    /// afresh.
    pub(crate) fn flush(&mut self, now: Instant) -> Vec<String> {
        self.flush_windows(now, false)
    }

    /// The lines for every window, ended or not (at shutdown).
    pub(crate) fn flush_all(&mut self, now: Instant) -> Vec<String> {
        self.flush_windows(now, true)
    }

    fn flush_windows(&mut self, now: Instant, all: bool) -> Vec<String> {
        let mut lines = Vec::new();
        self.kinds.retain(|kind, w| {
            let open_for = now.saturating_duration_since(w.started);
            if open_for < WINDOW && !all {
                return true;
            }
            if w.more > 0 {
                let place = if kind.place.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", kind.place)
                };
                let seconds = open_for.min(WINDOW).as_secs_f64().ceil().max(1.0);
                lines.push(format!(
                    "{} more {}{place} in the last {seconds} s",
                    w.more, kind.what
                ));
            }
            false
        });
        lines.sort();
        lines
    }

    /// When the next window ends, if any is open.
    pub(crate) fn next_flush(&self) -> Option<Instant> {
        self.kinds.values().map(|w| w.started + WINDOW).min()
    }
}

/// The server's one summary.
static SUMMARY: Mutex<Option<Summary>> = Mutex::new(None);

/// Records an error; `true` when it is to be logged in full.
pub(crate) fn record(now: Instant, kind: Kind) -> bool {
    let mut s = SUMMARY.lock().unwrap_or_else(PoisonError::into_inner);
    s.get_or_insert_with(Summary::default).record(now, kind) == Verdict::Log
}

/// Logs what is counted and not yet told (at shutdown).
pub(crate) fn tell_remaining() {
    let mut s = SUMMARY.lock().unwrap_or_else(PoisonError::into_inner);
    for line in s
        .get_or_insert_with(Summary::default)
        .flush_all(Instant::now())
    {
        tracing::info!("{line}");
    }
}

/// Logs the summaries of the windows that ended, forever (a task).
pub(crate) async fn tell_summaries() {
    loop {
        let next = {
            let mut s = SUMMARY.lock().unwrap_or_else(PoisonError::into_inner);
            let s = s.get_or_insert_with(Summary::default);
            for line in s.flush(Instant::now()) {
                tracing::info!("{line}");
            }
            s.next_flush()
        };
        // Windows opened meanwhile end at least a window from now.
        let at = next.unwrap_or_else(|| Instant::now() + WINDOW);
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_errors_are_told_once_per_window() {
        let t0 = Instant::now();
        let mut s = Summary::default();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(
            s.record(at(0), Kind::status(404, "/live/a/video/seg-9.m4s")),
            Verdict::Log
        );
        for i in 0..1000 {
            let path = format!("/live/a/video/seg-{}.m4s", 10 + i);
            assert_eq!(
                s.record(at(1 + i), Kind::status(404, &path)),
                Verdict::Counted
            );
        }
        // Another kind and another place are logged in full.
        assert_eq!(
            s.record(at(5), Kind::status(503, "/live/a/video/index.m3u8")),
            Verdict::Log
        );
        assert_eq!(s.record(at(6), Kind::status(404, "/vod/b/x")), Verdict::Log);
        assert_eq!(s.next_flush(), Some(at(10_000)));
        assert!(s.flush(at(9_999)).is_empty());
        assert_eq!(
            s.flush(at(10_006)),
            ["1000 more 404s for /live/a/video/ in the last 10 s"]
        );
        assert_eq!(s.next_flush(), None);
        // A new window: the first is logged again.
        assert_eq!(
            s.record(at(10_007), Kind::status(404, "/live/a/video/seg-1.m4s")),
            Verdict::Log
        );
        // At shutdown, an open window is told for the time it was open.
        s.record(at(10_008), Kind::status(404, "/live/a/video/seg-2.m4s"));
        assert_eq!(
            s.flush_all(at(12_500)),
            ["1 more 404s for /live/a/video/ in the last 3 s"]
        );
    }

    #[test]
    fn the_kinds_tracked_are_bounded() {
        let t0 = Instant::now();
        let mut s = Summary::default();
        for i in 0..10_000 {
            s.record(t0, Kind::status(404, &format!("/p{i}/x")));
        }
        assert_eq!(s.kinds.len(), MAX_KINDS + 1);
        let lines = s.flush(t0 + WINDOW);
        assert_eq!(
            lines,
            [format!(
                "{} more errors for other places in the last 10 s",
                10_000 - MAX_KINDS - 1
            )]
        );
    }

    #[test]
    fn log_filters_are_levels_or_target_items() {
        for ok in [
            "info",
            "DEBUG",
            "off",
            "warn,serve=debug",
            "serve::http=trace",
        ] {
            assert!(parse_filter(ok).is_ok(), "{ok}");
        }
        for bad in ["verbose", "", "info,loud", "serve=loud"] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }
}
