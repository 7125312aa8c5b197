//! RTMP URLs and stream names: `rtmp://HOST[:PORT]/APP/STREAM`, and a
//! stream key with its query string.

use core::fmt;

/// A stream name as `publish` and `play` carry it: the name (which may
/// hold `/`) and what follows a `?` (tokens, options).
///
/// ```
/// use streamkit_rtmp::url::StreamName;
///
/// let key = StreamName::parse("studio/cam1?token=abc");
/// assert_eq!(key.name, "studio/cam1");
/// assert_eq!(key.query.as_deref(), Some("token=abc"));
/// assert_eq!(key.query_value("token"), Some("abc"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StreamName {
    /// The name before any `?`.
    pub name: String,
    /// The query after the first `?`, when there is one.
    pub query: Option<String>,
}

impl StreamName {
    /// Splits `s` at its first `?`. ffmpeg sends FLV play paths as
    /// `flv:NAME` and MP4 ones as `mp4:NAME`: the prefix is dropped.
    #[must_use]
    pub fn parse(s: &str) -> StreamName {
        let (name, query) = match s.split_once('?') {
            Some((n, q)) => (n, Some(q.to_owned())),
            None => (s, None),
        };
        let name = name
            .strip_prefix("flv:")
            .or_else(|| name.strip_prefix("mp4:"))
            .unwrap_or(name);
        StreamName {
            name: name.to_owned(),
            query,
        }
    }

    /// The value of `key` in the query (`key=value` pairs joined by `&`).
    #[must_use]
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == key).then_some(v)
        })
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.query {
            Some(q) => write!(f, "{}?{q}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Why a URL is not an RTMP URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not `rtmp://` or `rtmps://`.
    #[error("{url:?}: not an rtmp:// or rtmps:// URL")]
    Scheme {
        /// The URL.
        url: String,
    },
    /// No host, a bad port, or no application.
    #[error("{url:?}: {reason}")]
    Invalid {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// An RTMP URL cut as a client uses it.
///
/// ```
/// use streamkit_rtmp::url::RtmpUrl;
///
/// let url = RtmpUrl::parse("rtmp://127.0.0.1:1936/live/key?token=1")?;
/// assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 1936));
/// assert_eq!(url.app, "live");
/// assert_eq!(url.tc_url(), "rtmp://127.0.0.1:1936/live");
/// assert_eq!(url.stream.name, "key");
/// # Ok::<(), streamkit_rtmp::url::UrlError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RtmpUrl {
    /// `true` for `rtmps://` (TLS).
    pub tls: bool,
    /// The host.
    pub host: String,
    /// The port (1935 by default, 443 for rtmps).
    pub port: u16,
    /// The application: the first path segment.
    pub app: String,
    /// The stream: the rest of the path (may be empty, and hold `/`).
    pub stream: StreamName,
}

impl RtmpUrl {
    /// Parses `rtmp://HOST[:PORT]/APP[/STREAM[?QUERY]]`.
    ///
    /// # Errors
    ///
    /// [`UrlError`] for another scheme, no host, a bad port or no
    /// application.
    pub fn parse(url: &str) -> Result<RtmpUrl, UrlError> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("rtmp://") {
            (false, r)
        } else if let Some(r) = url.strip_prefix("rtmps://") {
            (true, r)
        } else {
            return Err(UrlError::Scheme { url: url.into() });
        };
        let invalid = |reason| UrlError::Invalid {
            url: url.into(),
            reason,
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
                h,
                p.parse().map_err(|_| invalid("the port is not a number"))?,
            ),
            _ => (authority, if tls { 443 } else { 1935 }),
        };
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        let (app, stream) = path.split_once('/').unwrap_or((path, ""));
        if app.is_empty() {
            return Err(invalid("no application"));
        }
        Ok(RtmpUrl {
            tls,
            host: host.to_owned(),
            port,
            app: app.to_owned(),
            stream: StreamName::parse(stream),
        })
    }

    /// The `tcUrl` a client sends in `connect`: scheme, authority, app.
    #[must_use]
    pub fn tc_url(&self) -> String {
        format!(
            "{}://{}:{}/{}",
            if self.tls { "rtmps" } else { "rtmp" },
            self.host,
            self.port,
            self.app
        )
    }
}
