//! The client's side of authentication: the challenge it answers, the
//! `Authorization` of each request, the no-loop rule.

use crate::auth::{Authorization, Challenge, DigestAlgorithm, DigestCredentials, digest_response};
use crate::message::Headers;

/// A user name and password to answer challenges with.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl Credentials {
    /// `user` and `password`.
    #[must_use]
    pub fn new(user: &str, password: &str) -> Credentials {
        Credentials {
            user: user.to_owned(),
            password: password.to_owned(),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The challenge in force and the nonce count of its nonce.
#[derive(Debug, Clone)]
pub(super) struct ClientAuth {
    pub(super) challenge: Challenge,
    nonce_count: u32,
}

/// The best challenge of a 401's `WWW-Authenticate` headers: Digest
/// SHA-256, then Digest MD5 (both with `qop=auth` or no qop), then
/// Basic. `None` when none of them can be answered.
pub(super) fn best_challenge(headers: &Headers) -> Option<Challenge> {
    let rank = |c: &Challenge| match c {
        Challenge::Digest { algorithm, qop, .. } => {
            let answerable = qop
                .as_deref()
                .is_none_or(|q| q.split(',').any(|q| q.trim() == "auth"));
            match (answerable, algorithm) {
                (false, _) => None,
                (true, DigestAlgorithm::Sha256) => Some(3),
                (true, DigestAlgorithm::Md5) => Some(2),
            }
        }
        Challenge::Basic { .. } => Some(1),
    };
    headers
        .get_all("www-authenticate")
        .filter_map(|v| Challenge::parse(v).ok())
        .filter_map(|c| rank(&c).map(|r| (r, c)))
        .max_by_key(|(r, _)| *r)
        .map(|(_, c)| c)
}

/// The nonce of a challenge (`None` for Basic).
pub(super) fn nonce_of(c: &Challenge) -> Option<&str> {
    match c {
        Challenge::Digest { nonce, .. } => Some(nonce),
        _ => None,
    }
}

impl ClientAuth {
    pub(super) fn new(challenge: Challenge) -> ClientAuth {
        ClientAuth {
            challenge,
            nonce_count: 0,
        }
    }

    /// The `Authorization` value of a request of `method` to `uri`;
    /// `cnonce` is fresh from the caller's random source (used with
    /// `qop=auth`). Each call counts one use of the nonce (`nc=`).
    pub(super) fn authorization(
        &mut self,
        credentials: &Credentials,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> String {
        match &self.challenge {
            Challenge::Basic { .. } => Authorization::Basic {
                user: credentials.user.clone(),
                password: credentials.password.clone(),
            }
            .to_string(),
            Challenge::Digest {
                realm,
                nonce,
                algorithm,
                qop,
                opaque,
                ..
            } => {
                self.nonce_count = self.nonce_count.wrapping_add(1);
                let qop = qop.as_ref().map(|_| {
                    (
                        "auth".to_owned(),
                        format!("{:08x}", self.nonce_count),
                        cnonce.to_owned(),
                    )
                });
                let response = digest_response(
                    *algorithm,
                    &credentials.user,
                    realm,
                    &credentials.password,
                    method,
                    uri,
                    nonce,
                    qop.as_ref(),
                );
                Authorization::Digest(DigestCredentials {
                    username: credentials.user.clone(),
                    realm: realm.clone(),
                    nonce: nonce.clone(),
                    uri: uri.to_owned(),
                    response,
                    algorithm: *algorithm,
                    qop,
                    opaque: opaque.clone(),
                })
                .to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_with_qop_counts_and_verifies() {
        let mut h = Headers::new();
        h.append("WWW-Authenticate", r#"Basic realm="cam""#);
        h.append(
            "WWW-Authenticate",
            r#"Digest realm="cam", nonce="abc", qop="auth", algorithm=SHA-256"#,
        );
        h.append("WWW-Authenticate", r#"Digest realm="cam", nonce="abc""#);
        let c = best_challenge(&h).unwrap();
        assert!(matches!(
            c,
            Challenge::Digest {
                algorithm: DigestAlgorithm::Sha256,
                ..
            }
        ));
        let mut auth = ClientAuth::new(c);
        let creds = Credentials::new("u", "p");
        let first = auth.authorization(&creds, "DESCRIBE", "rtsp://h/a", "c1");
        let second = auth.authorization(&creds, "SETUP", "rtsp://h/a/t", "c2");
        assert!(first.contains("nc=00000001"), "{first}");
        assert!(second.contains("nc=00000002"), "{second}");
        // The server side of this crate accepts what the client sends.
        let Ok(Authorization::Digest(d)) = Authorization::parse(&second) else {
            panic!("{second}")
        };
        let expected = digest_response(
            DigestAlgorithm::Sha256,
            "u",
            "cam",
            "p",
            "SETUP",
            "rtsp://h/a/t",
            "abc",
            d.qop.as_ref(),
        );
        assert_eq!(d.response, expected);
        assert_eq!(d.qop, Some(("auth".into(), "00000002".into(), "c2".into())));
    }

    #[test]
    fn unanswerable_challenges_are_skipped() {
        let mut h = Headers::new();
        h.append(
            "WWW-Authenticate",
            r#"Digest realm="cam", nonce="abc", qop="auth-int""#,
        );
        h.append("WWW-Authenticate", "Negotiate xyz");
        assert_eq!(best_challenge(&h), None);
    }
}
