//! [`OriginConfig`] and [`CorsPolicy`]: how an origin serves.

use std::borrow::Cow;

use crate::target::PathPolicy;

/// Which origins a CORS answer allows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AllowOrigin {
    /// `Access-Control-Allow-Origin: *` on every answer: any page may play
    /// the streams (no credentials). The default.
    #[default]
    Any,
    /// Only these origins (`https://player.example`, compared byte for
    /// byte with the request's `Origin`): a listed one is echoed, and
    /// every answer carries `Vary: Origin` so caches keep them apart.
    Only(Vec<String>),
}

/// The CORS fields an origin adds (the Fetch standard, "CORS protocol").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CorsPolicy {
    /// Who may read the answers.
    pub allow_origin: AllowOrigin,
    /// `Access-Control-Allow-Headers` of a preflight answer: the request
    /// fields a page may send. Default `*` (any field but
    /// `Authorization`), so players that send fields of their own
    /// (session ids, `Range`) pass the preflight.
    pub allow_headers: Cow<'static, str>,
    /// `Access-Control-Expose-Headers` on every answer: the fields a
    /// page's script may read beyond the safelisted ones. Default
    /// `Content-Range, ETag, Date` (range replies, validators, and the
    /// `Date` dash.js reads to synchronise its clock).
    pub expose_headers: Option<Cow<'static, str>>,
    /// `Access-Control-Max-Age` of a preflight answer, seconds. Default
    /// 86 400.
    pub max_age: Option<u32>,
}

impl Default for CorsPolicy {
    fn default() -> Self {
        CorsPolicy {
            allow_origin: AllowOrigin::Any,
            allow_headers: Cow::Borrowed("*"),
            expose_headers: Some(Cow::Borrowed("Content-Range, ETag, Date")),
            max_age: Some(86_400),
        }
    }
}

impl CorsPolicy {
    /// The same allowing `allow_origin`.
    #[must_use]
    pub fn with_allow_origin(mut self, allow_origin: AllowOrigin) -> CorsPolicy {
        self.allow_origin = allow_origin;
        self
    }

    /// The same with another `Access-Control-Allow-Headers` value.
    #[must_use]
    pub fn with_allow_headers(mut self, value: impl Into<Cow<'static, str>>) -> CorsPolicy {
        self.allow_headers = value.into();
        self
    }

    /// The same with another `Access-Control-Expose-Headers` value (`None`:
    /// none sent).
    #[must_use]
    pub fn with_expose_headers(mut self, value: Option<Cow<'static, str>>) -> CorsPolicy {
        self.expose_headers = value;
        self
    }

    /// The same with another `Access-Control-Max-Age` (`None`: none sent).
    #[must_use]
    pub fn with_max_age(mut self, seconds: Option<u32>) -> CorsPolicy {
        self.max_age = seconds;
        self
    }
}

/// How an [`Origin`](crate::Origin) serves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginConfig {
    /// Paths start with this (starting and ending with `/`: `/live/a/`);
    /// the rest is the site's path. Other paths are `404`.
    pub base_path: String,
    /// The target rules.
    pub path_policy: PathPolicy,
    /// The most requests held or streaming at once; a request the site
    /// would hold or stream beyond it is answered `503`.
    pub max_pending: usize,
    /// The CORS fields; `None`: none (an `OPTIONS` still gets `204` with
    /// `Allow`).
    pub cors: Option<CorsPolicy>,
    /// Whether `POST` requests go to the site (else `405`).
    pub accept_post: bool,
}

impl Default for OriginConfig {
    /// Base path `/`, the default [`PathPolicy`], 10 000 pending requests,
    /// the default [`CorsPolicy`], no `POST`.
    fn default() -> Self {
        OriginConfig {
            base_path: "/".into(),
            path_policy: PathPolicy::default(),
            max_pending: 10_000,
            cors: Some(CorsPolicy::default()),
            accept_post: false,
        }
    }
}

impl OriginConfig {
    /// The same under another base path (`/live/a/`).
    #[must_use]
    pub fn with_base_path(mut self, base_path: impl Into<String>) -> OriginConfig {
        self.base_path = base_path.into();
        self
    }

    /// The same with another bound on pending requests.
    #[must_use]
    pub fn with_max_pending(mut self, max_pending: usize) -> OriginConfig {
        self.max_pending = max_pending;
        self
    }

    /// The same with another target policy.
    #[must_use]
    pub fn with_path_policy(mut self, policy: PathPolicy) -> OriginConfig {
        self.path_policy = policy;
        self
    }

    /// The same with another CORS policy (`None`: no CORS fields).
    #[must_use]
    pub fn with_cors(mut self, cors: Option<CorsPolicy>) -> OriginConfig {
        self.cors = cors;
        self
    }

    /// The same, passing `POST` requests to the site.
    #[must_use]
    pub fn accepting_post(mut self) -> OriginConfig {
        self.accept_post = true;
        self
    }

    /// The `Allow` value: the methods the origin answers.
    pub(crate) fn allow(&self) -> &'static str {
        if self.accept_post {
            "GET, HEAD, OPTIONS, POST"
        } else {
            "GET, HEAD, OPTIONS"
        }
    }
}

/// Why an [`OriginConfig`] cannot serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base path does not start and end with `/`.
    #[error("base path {base_path:?} must start and end with '/'")]
    BasePath {
        /// The base path.
        base_path: String,
    },
}
