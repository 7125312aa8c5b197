//! Authentication: Basic (RFC 2617 section 2) and Digest (RFC 2617 MD5,
//! RFC 7616 SHA-256), the `WWW-Authenticate` and `Authorization` headers,
//! and the server's side: a policy that says who may read or publish
//! what, nonces from the caller's random source with an expiry, and
//! comparisons in constant time.
//!
//! ```
//! use streamkit_rtsp::auth::{Authorization, Challenge, DigestAlgorithm};
//!
//! // What a client answers to a server's Digest challenge.
//! let challenge = Challenge::parse(r#"Digest realm="streamkit", nonce="0a1b2c", algorithm=MD5"#)?;
//! let auth = Authorization::answer(&challenge, "me", "secret", "DESCRIBE", "rtsp://h/live/a", "c0ffee")
//!     .expect("a challenge this crate answers");
//! let Authorization::Digest(d) = &auth else { unreachable!() };
//! assert_eq!(d.algorithm, DigestAlgorithm::Md5);
//! assert_eq!(d.response.len(), 32);
//! assert!(auth.to_string().starts_with(r#"Digest username="me", realm="streamkit""#));
//! # Ok::<(), streamkit_rtsp::error::HeaderError>(())
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use md5::Md5;
use sha2::{Digest as _, Sha256};
use streamkit_rtp::sdp::base64;

use crate::error::HeaderError;
use crate::header::{param, split_params};

/// A source of random bytes the caller supplies (the operating system's,
/// in a server): session ids and nonces come from it, never from a
/// counter or the clock.
pub trait RandomSource {
    /// Fills `dest` with random bytes.
    fn fill_bytes(&mut self, dest: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> RandomSource for F {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self(dest);
    }
}

/// What a request asks to do with a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// DESCRIBE, SETUP and PLAY of a stream (and OPTIONS, GET_PARAMETER).
    Read,
    /// ANNOUNCE and RECORD: publishing to it.
    Publish,
}

/// Who may do an [`Action`] on a stream, as the caller's policy decides.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Anyone.
    Open,
    /// Only with one of these user names and passwords.
    Credentials(Vec<UserCredentials>),
    /// No one (answered 403).
    Forbidden,
}

/// A user name and its password, as the server knows them.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCredentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The caller's authorization policy: per stream path and action.
pub trait AuthPolicy {
    /// Who may do `action` on the stream at `path` (the request URI's
    /// path, such as `/live/cam1`).
    fn access(&self, path: &str, action: Action) -> Access;
}

/// Everyone may do everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenPolicy;

impl AuthPolicy for OpenPolicy {
    fn access(&self, _path: &str, _action: Action) -> Access {
        Access::Open
    }
}

/// A Digest hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// `MD5` (RFC 2617; the default when a header names none).
    Md5,
    /// `SHA-256` (RFC 7616).
    Sha256,
}

impl DigestAlgorithm {
    /// The `algorithm=` token.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }

    fn from_token(t: &str) -> Option<DigestAlgorithm> {
        if t.eq_ignore_ascii_case("md5") {
            Some(DigestAlgorithm::Md5)
        } else if t.eq_ignore_ascii_case("sha-256") {
            Some(DigestAlgorithm::Sha256)
        } else {
            None
        }
    }

    /// The lower-case hex digest of `parts` joined by `:`.
    #[must_use]
    pub fn hex(self, parts: &[&str]) -> String {
        fn feed(h: &mut impl sha2::Digest, parts: &[&str]) {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    h.update(b":");
                }
                h.update(p.as_bytes());
            }
        }
        let bytes: Vec<u8> = match self {
            DigestAlgorithm::Md5 => {
                let mut h = Md5::new();
                feed(&mut h, parts);
                h.finalize().to_vec()
            }
            DigestAlgorithm::Sha256 => {
                let mut h = Sha256::new();
                feed(&mut h, parts);
                h.finalize().to_vec()
            }
        };
        let mut out = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        out
    }
}

/// A `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Challenge {
    /// `Basic realm=".."`
    Basic {
        /// The realm.
        realm: String,
    },
    /// `Digest realm="..", nonce="..", ...`
    Digest {
        /// The realm.
        realm: String,
        /// The nonce.
        nonce: String,
        /// The algorithm.
        algorithm: DigestAlgorithm,
        /// `qop=` as sent (`auth`).
        qop: Option<String>,
        /// `opaque=`
        opaque: Option<String>,
        /// `stale=true`: the nonce expired, the credentials were right.
        stale: bool,
    },
}

impl Challenge {
    /// Parses one challenge.
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for another scheme, a Digest challenge
    /// without a nonce, or an unknown algorithm.
    pub fn parse(value: &str) -> Result<Challenge, HeaderError> {
        let bad = |what| HeaderError::Invalid {
            header: "WWW-Authenticate",
            what,
        };
        let value = value.trim();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        let mut realm = String::new();
        let mut nonce = None;
        let mut algorithm = DigestAlgorithm::Md5;
        let mut qop = None;
        let mut opaque = None;
        let mut stale = false;
        for p in split_params(rest) {
            let (k, v) = param(p);
            match k.to_ascii_lowercase().as_str() {
                "realm" => realm = v,
                "nonce" => nonce = Some(v),
                "algorithm" => {
                    algorithm = DigestAlgorithm::from_token(&v).ok_or(bad("unknown algorithm"))?;
                }
                "qop" => qop = Some(v),
                "opaque" => opaque = Some(v),
                "stale" => stale = v.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        if scheme.eq_ignore_ascii_case("basic") {
            Ok(Challenge::Basic { realm })
        } else if scheme.eq_ignore_ascii_case("digest") {
            Ok(Challenge::Digest {
                realm,
                nonce: nonce.ok_or(bad("Digest without nonce"))?,
                algorithm,
                qop,
                opaque,
                stale,
            })
        } else {
            Err(bad("scheme is not Basic or Digest"))
        }
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Challenge::Basic { realm } => write!(f, "Basic realm=\"{realm}\""),
            Challenge::Digest {
                realm,
                nonce,
                algorithm,
                qop,
                opaque,
                stale,
            } => {
                write!(f, "Digest realm=\"{realm}\", nonce=\"{nonce}\"")?;
                if let Some(q) = qop {
                    write!(f, ", qop=\"{q}\"")?;
                }
                if let Some(o) = opaque {
                    write!(f, ", opaque=\"{o}\"")?;
                }
                if *stale {
                    f.write_str(", stale=true")?;
                }
                write!(f, ", algorithm={}", algorithm.as_str())
            }
        }
    }
}

/// The parameters of a Digest `Authorization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    /// `username=`
    pub username: String,
    /// `realm=`
    pub realm: String,
    /// `nonce=`
    pub nonce: String,
    /// `uri=` (what the client hashed)
    pub uri: String,
    /// `response=` (hex)
    pub response: String,
    /// `algorithm=` (MD5 when absent)
    pub algorithm: DigestAlgorithm,
    /// `qop=`, `nc=` and `cnonce=`, when the client used a qop.
    pub qop: Option<(String, String, String)>,
    /// `opaque=`
    pub opaque: Option<String>,
}

/// An `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Authorization {
    /// `Basic base64(user:password)`
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// `Digest ...`
    Digest(DigestCredentials),
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authorization::Basic { user, .. } => f
                .debug_struct("Basic")
                .field("user", user)
                .finish_non_exhaustive(),
            Authorization::Digest(d) => f.debug_tuple("Digest").field(d).finish(),
        }
    }
}

impl Authorization {
    /// Parses an `Authorization` value. `Basic Og==` is an empty user
    /// and password, as some cameras send.
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for another scheme, bad base64, or a
    /// Digest value missing a required parameter.
    pub fn parse(value: &str) -> Result<Authorization, HeaderError> {
        let bad = |what| HeaderError::Invalid {
            header: "Authorization",
            what,
        };
        let value = value.trim();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let raw = base64::decode(rest.trim()).map_err(|_| bad("Basic is not base64"))?;
            let text = String::from_utf8(raw).map_err(|_| bad("Basic is not UTF-8"))?;
            let (user, password) = text.split_once(':').ok_or(bad("Basic without ':'"))?;
            return Ok(Authorization::Basic {
                user: user.to_owned(),
                password: password.to_owned(),
            });
        }
        if !scheme.eq_ignore_ascii_case("digest") {
            return Err(bad("scheme is not Basic or Digest"));
        }
        let (mut username, mut realm, mut nonce, mut uri, mut response) =
            (None, None, None, None, None);
        let (mut algorithm, mut qop, mut nc, mut cnonce, mut opaque) =
            (DigestAlgorithm::Md5, None, None, None, None);
        for p in split_params(rest) {
            let (k, v) = param(p);
            match k.to_ascii_lowercase().as_str() {
                "username" => username = Some(v),
                "realm" => realm = Some(v),
                "nonce" => nonce = Some(v),
                "uri" => uri = Some(v),
                "response" => response = Some(v),
                "algorithm" => {
                    algorithm = DigestAlgorithm::from_token(&v).ok_or(bad("unknown algorithm"))?;
                }
                "qop" => qop = Some(v),
                "nc" => nc = Some(v),
                "cnonce" => cnonce = Some(v),
                "opaque" => opaque = Some(v),
                _ => {}
            }
        }
        let qop = match (qop, nc, cnonce) {
            (Some(q), Some(n), Some(c)) => Some((q, n, c)),
            (None, _, _) => None,
            _ => return Err(bad("qop without nc and cnonce")),
        };
        Ok(Authorization::Digest(DigestCredentials {
            username: username.ok_or(bad("no username"))?,
            realm: realm.unwrap_or_default(),
            nonce: nonce.ok_or(bad("no nonce"))?,
            uri: uri.ok_or(bad("no uri"))?,
            response: response.ok_or(bad("no response"))?,
            algorithm,
            qop,
            opaque,
        }))
    }

    /// What a client sends for `challenge` with `user` and `password`
    /// on a request of `method` to `uri`; `cnonce` is the client's nonce
    /// (used when the challenge offers `qop=auth`). `None` for a Digest
    /// challenge whose qop is not `auth`.
    #[must_use]
    pub fn answer(
        challenge: &Challenge,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> Option<Authorization> {
        match challenge {
            Challenge::Basic { .. } => Some(Authorization::Basic {
                user: user.to_owned(),
                password: password.to_owned(),
            }),
            Challenge::Digest {
                realm,
                nonce,
                algorithm,
                qop,
                opaque,
                ..
            } => {
                let qop = match qop {
                    Some(q) if q.split(',').any(|q| q.trim() == "auth") => {
                        Some(("auth".to_owned(), "00000001".to_owned(), cnonce.to_owned()))
                    }
                    Some(_) => return None,
                    None => None,
                };
                let response = digest_response(
                    *algorithm,
                    user,
                    realm,
                    password,
                    method,
                    uri,
                    nonce,
                    qop.as_ref(),
                );
                Some(Authorization::Digest(DigestCredentials {
                    username: user.to_owned(),
                    realm: realm.clone(),
                    nonce: nonce.clone(),
                    uri: uri.to_owned(),
                    response,
                    algorithm: *algorithm,
                    qop,
                    opaque: opaque.clone(),
                }))
            }
        }
    }
}

impl fmt::Display for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authorization::Basic { user, password } => {
                write!(
                    f,
                    "Basic {}",
                    base64::encode(format!("{user}:{password}").as_bytes())
                )
            }
            Authorization::Digest(d) => {
                write!(
                    f,
                    "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", algorithm={}",
                    d.username,
                    d.realm,
                    d.nonce,
                    d.uri,
                    d.response,
                    d.algorithm.as_str()
                )?;
                if let Some((qop, nc, cnonce)) = &d.qop {
                    write!(f, ", qop={qop}, nc={nc}, cnonce=\"{cnonce}\"")?;
                }
                if let Some(o) = &d.opaque {
                    write!(f, ", opaque=\"{o}\"")?;
                }
                Ok(())
            }
        }
    }
}

/// The Digest `response=`: `H(H(user:realm:password):nonce[:nc:cnonce:qop]:H(method:uri))`.
#[allow(clippy::too_many_arguments)] // the RFC's inputs, each named
#[must_use]
pub fn digest_response(
    algorithm: DigestAlgorithm,
    user: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<&(String, String, String)>,
) -> String {
    let ha1 = algorithm.hex(&[user, realm, password]);
    let ha2 = algorithm.hex(&[method, uri]);
    match qop {
        Some((qop, nc, cnonce)) => algorithm.hex(&[&ha1, nonce, nc, cnonce, qop, &ha2]),
        None => algorithm.hex(&[&ha1, nonce, &ha2]),
    }
}

/// `a == b` in time that depends on the lengths only.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How a server challenges and checks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthConfig {
    /// The realm of the challenges.
    pub realm: String,
    /// Offer and accept Basic as well as Digest (credentials in the
    /// clear: off by default).
    pub allow_basic: bool,
    /// How long a nonce is good for.
    pub nonce_lifetime: Duration,
    /// The most nonces a connection keeps (the oldest is forgotten).
    pub max_nonces: usize,
}

impl Default for AuthConfig {
    /// Realm `streamkit`, Digest only, nonces good for 5 minutes, 16 kept.
    fn default() -> AuthConfig {
        AuthConfig {
            realm: "streamkit".into(),
            allow_basic: false,
            nonce_lifetime: Duration::from_secs(300),
            max_nonces: 16,
        }
    }
}

/// Why a request was not let through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// 401 with these challenges.
    Unauthorized(Vec<Challenge>),
    /// 403: the policy lets no one.
    Forbidden,
}

/// One connection's authenticator: the nonces it issued and the checks.
#[derive(Debug)]
pub struct Authenticator {
    config: AuthConfig,
    nonces: VecDeque<(String, Instant)>,
}

impl Authenticator {
    /// An authenticator that issued no nonce yet.
    #[must_use]
    pub fn new(config: AuthConfig) -> Authenticator {
        Authenticator {
            config,
            nonces: VecDeque::new(),
        }
    }

    /// The challenges of a 401 at `now`: Digest SHA-256, Digest MD5 (in
    /// the order of preference; both with one fresh nonce) and, when
    /// allowed, Basic.
    pub fn challenges(
        &mut self,
        now: Instant,
        random: &mut dyn RandomSource,
        stale: bool,
    ) -> Vec<Challenge> {
        let mut raw = [0u8; 16];
        random.fill_bytes(&mut raw);
        let nonce: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        self.nonces
            .retain(|(_, at)| now.saturating_duration_since(*at) < self.config.nonce_lifetime);
        while self.nonces.len() >= self.config.max_nonces.max(1) {
            self.nonces.pop_front();
        }
        self.nonces.push_back((nonce.clone(), now));
        let digest = |algorithm| Challenge::Digest {
            realm: self.config.realm.clone(),
            nonce: nonce.clone(),
            algorithm,
            qop: Some("auth".into()),
            opaque: None,
            stale,
        };
        let mut out = vec![
            digest(DigestAlgorithm::Sha256),
            digest(DigestAlgorithm::Md5),
        ];
        if self.config.allow_basic {
            out.push(Challenge::Basic {
                realm: self.config.realm.clone(),
            });
        }
        out
    }

    /// Checks the `Authorization` of a request of `method` against
    /// `access` at `now`.
    ///
    /// # Errors
    ///
    /// [`Refusal::Unauthorized`] (with fresh challenges; `stale=true`
    /// when only the nonce had expired) for missing or wrong credentials,
    /// [`Refusal::Forbidden`] when the policy lets no one.
    pub fn check(
        &mut self,
        now: Instant,
        random: &mut dyn RandomSource,
        method: &str,
        authorization: Option<&str>,
        access: &Access,
    ) -> Result<(), Refusal> {
        let users = match access {
            Access::Open => return Ok(()),
            Access::Forbidden => return Err(Refusal::Forbidden),
            Access::Credentials(users) => users,
        };
        let parsed = authorization.and_then(|a| Authorization::parse(a).ok());
        let mut stale = false;
        let ok = match &parsed {
            Some(Authorization::Basic { user, password }) if self.config.allow_basic => {
                users.iter().fold(false, |ok, u| {
                    let same = constant_time_eq(u.user.as_bytes(), user.as_bytes())
                        & constant_time_eq(u.password.as_bytes(), password.as_bytes());
                    ok | same
                })
            }
            Some(Authorization::Digest(d)) => {
                let issued = self
                    .nonces
                    .iter()
                    .find(|(n, _)| constant_time_eq(n.as_bytes(), d.nonce.as_bytes()));
                let right = users.iter().fold(false, |ok, u| {
                    let expected = digest_response(
                        d.algorithm,
                        &u.user,
                        &self.config.realm,
                        &u.password,
                        method,
                        &d.uri,
                        &d.nonce,
                        d.qop.as_ref(),
                    );
                    let same = constant_time_eq(u.user.as_bytes(), d.username.as_bytes())
                        & constant_time_eq(
                            expected.as_bytes(),
                            d.response.to_ascii_lowercase().as_bytes(),
                        );
                    ok | same
                });
                match issued {
                    Some((_, at))
                        if now.saturating_duration_since(*at) < self.config.nonce_lifetime =>
                    {
                        right
                    }
                    Some(_) => {
                        stale = right;
                        false
                    }
                    None => false,
                }
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(Refusal::Unauthorized(self.challenges(now, random, stale)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2617_digest_example() {
        // RFC 2617 section 3.5 (an HTTP example; the hash is the same).
        let qop = (
            "auth".to_owned(),
            "00000001".to_owned(),
            "0a4f113b".to_owned(),
        );
        assert_eq!(
            digest_response(
                DigestAlgorithm::Md5,
                "Mufasa",
                "testrealm@host.com",
                "Circle Of Life",
                "GET",
                "/dir/index.html",
                "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                Some(&qop)
            ),
            "6629fae49393a05397450978507c4ef1"
        );
    }

    #[test]
    fn rfc_7616_sha256_example() {
        // RFC 7616 section 3.9.1.
        let qop = (
            "auth".to_owned(),
            "00000001".to_owned(),
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ".to_owned(),
        );
        assert_eq!(
            digest_response(
                DigestAlgorithm::Sha256,
                "Mufasa",
                "http-auth@example.org",
                "Circle of Life",
                "GET",
                "/dir/index.html",
                "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                Some(&qop)
            ),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn basic_quirk_and_round_trips() {
        assert_eq!(
            Authorization::parse("Basic Og==").unwrap(),
            Authorization::Basic {
                user: String::new(),
                password: String::new()
            }
        );
        let a = Authorization::Basic {
            user: "a".into(),
            password: "b:c".into(),
        };
        assert_eq!(Authorization::parse(&a.to_string()).unwrap(), a);
        let c = Challenge::Digest {
            realm: "r".into(),
            nonce: "n".into(),
            algorithm: DigestAlgorithm::Sha256,
            qop: Some("auth".into()),
            opaque: Some("o".into()),
            stale: true,
        };
        assert_eq!(Challenge::parse(&c.to_string()).unwrap(), c);
        let d = Authorization::answer(&c, "u", "p", "PLAY", "rtsp://h/x", "cn").unwrap();
        assert_eq!(Authorization::parse(&d.to_string()).unwrap(), d);
        assert!(Challenge::parse("Bearer x").is_err());
        assert!(Authorization::parse("Digest username=\"u\"").is_err());
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // the virtual clock's origin
    fn server_checks() {
        let t0 = Instant::now();
        let mut n = 0u8;
        let mut random = move |b: &mut [u8]| {
            for x in b {
                n = n.wrapping_add(1);
                *x = n;
            }
        };
        let mut auth = Authenticator::new(AuthConfig::default());
        let access = Access::Credentials(vec![UserCredentials {
            user: "pub".into(),
            password: "s3cret".into(),
        }]);
        let uri = "rtsp://h/live/k";
        let Err(Refusal::Unauthorized(ch)) = auth.check(t0, &mut random, "ANNOUNCE", None, &access)
        else {
            panic!()
        };
        assert_eq!(ch.len(), 2);
        for c in &ch {
            let right = Authorization::answer(c, "pub", "s3cret", "ANNOUNCE", uri, "x")
                .unwrap()
                .to_string();
            assert_eq!(
                auth.check(t0, &mut random, "ANNOUNCE", Some(&right), &access),
                Ok(())
            );
            let wrong = Authorization::answer(c, "pub", "nope", "ANNOUNCE", uri, "x")
                .unwrap()
                .to_string();
            assert!(matches!(
                auth.check(t0, &mut random, "ANNOUNCE", Some(&wrong), &access),
                Err(Refusal::Unauthorized(c)) if matches!(c[0], Challenge::Digest { stale: false, .. })
            ));
            // The method is part of the hash.
            assert!(
                auth.check(t0, &mut random, "RECORD", Some(&right), &access)
                    .is_err()
            );
        }
        // An expired nonce with the right password: stale.
        let right = Authorization::answer(&ch[1], "pub", "s3cret", "ANNOUNCE", uri, "x")
            .unwrap()
            .to_string();
        let later = t0 + Duration::from_secs(301);
        assert!(matches!(
            auth.check(later, &mut random, "ANNOUNCE", Some(&right), &access),
            Err(Refusal::Unauthorized(c)) if matches!(c[0], Challenge::Digest { stale: true, .. })
        ));
        // A nonce the server never issued.
        let forged = Challenge::Digest {
            realm: "streamkit".into(),
            nonce: "ffff".into(),
            algorithm: DigestAlgorithm::Md5,
            qop: None,
            opaque: None,
            stale: false,
        };
        let a = Authorization::answer(&forged, "pub", "s3cret", "ANNOUNCE", uri, "x")
            .unwrap()
            .to_string();
        assert!(
            auth.check(t0, &mut random, "ANNOUNCE", Some(&a), &access)
                .is_err()
        );
        // Basic is refused unless allowed.
        let basic = format!("Basic {}", base64::encode(b"pub:s3cret"));
        assert!(
            auth.check(t0, &mut random, "ANNOUNCE", Some(&basic), &access)
                .is_err()
        );
        let mut open = Authenticator::new(AuthConfig {
            allow_basic: true,
            ..AuthConfig::default()
        });
        assert_eq!(
            open.check(t0, &mut random, "ANNOUNCE", Some(&basic), &access),
            Ok(())
        );
        assert_eq!(
            open.check(t0, &mut random, "X", None, &Access::Forbidden),
            Err(Refusal::Forbidden)
        );
        assert!(
            constant_time_eq(b"abc", b"abc")
                && !constant_time_eq(b"abc", b"abd")
                && !constant_time_eq(b"a", b"ab")
        );
    }
}
