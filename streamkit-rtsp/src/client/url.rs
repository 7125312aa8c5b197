//! RTSP URLs as the client needs them: the authority to connect to,
//! credentials inside the URL, and `a=control` resolution.

/// The parts of an `rtsp://[user[:password]@]host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtspUrl {
    /// `rtsp` or `rtsps` (lower case).
    pub scheme: String,
    /// The host (an IPv6 literal without its brackets).
    pub host: String,
    /// The port (554 for `rtsp`, 322 for `rtsps` when none is given).
    pub port: u16,
    /// The user and password given in the URL, percent-decoding left to
    /// the caller.
    pub credentials: Option<(String, String)>,
    /// The URL without its credentials: what requests carry.
    pub request_url: String,
}

impl RtspUrl {
    /// Splits `url`; `None` when it is not an `rtsp://` or `rtsps://`
    /// URL with a host and (optionally) a numeric port.
    #[must_use]
    pub fn parse(url: &str) -> Option<RtspUrl> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "rtsp" => 554,
            "rtsps" => 322,
            _ => return None,
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, hp)) => {
                let (u, p) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                (Some((u.to_owned(), p.to_owned())), hp)
            }
            None => (None, authority),
        };
        let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
            let (h, after) = v6.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().ok()?,
                None if after.is_empty() => default_port,
                None => return None,
            };
            (h.to_owned(), port)
        } else {
            match host_port.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().ok()?),
                None => (host_port.to_owned(), default_port),
            }
        };
        if host.is_empty() {
            return None;
        }
        let request_url = format!("{scheme}://{host_port}{path}");
        Some(RtspUrl {
            scheme,
            host,
            port,
            credentials,
            request_url,
        })
    }
}

/// The base a DESCRIBE answer gives relative controls (RFC 2326 section
/// C.1.1): `Content-Base`, else `Content-Location`, else the request
/// URL, as sent (trimmed); a schemeless one (`host/path`, as some
/// cameras send) gets the request's scheme.
#[must_use]
pub fn describe_base(content_base: Option<&str>, request_url: &str) -> String {
    let base = content_base.map_or(request_url, str::trim);
    if base.contains("://") {
        base.to_owned()
    } else {
        let scheme = request_url.split_once("://").map_or("rtsp", |(s, _)| s);
        format!("{scheme}://{}", base.trim_start_matches('/'))
    }
}

/// The URL an `a=control` value names against `base` (see
/// [`describe_base`]):
///
/// - `*` or no control: the base itself;
/// - an absolute URL (`scheme://`): itself;
/// - `/path`: the path on the base's authority;
/// - anything else: appended to the base as to a directory (a `/` added
///   when the base's path does not end with one), the base's query
///   dropped (RFC 3986 section 5.2.2) and the control's own query kept:
///   `rtsp://cam/ch/101/?transportmode=unicast` and `trackID=1` give
///   `rtsp://cam/ch/101/trackID=1`.
#[must_use]
pub fn resolve_control(base: &str, control: Option<&str>) -> String {
    let control = control.map(str::trim).unwrap_or("*");
    if control.is_empty() || control == "*" {
        return base.to_owned();
    }
    if control.contains("://") {
        return control.to_owned();
    }
    let without_query = base.split(['?', '#']).next().unwrap_or(base);
    if control.starts_with('/') {
        let authority_end = without_query.split_once("://").map_or(0, |(s, rest)| {
            s.len() + 3 + rest.find('/').unwrap_or(rest.len())
        });
        let authority = without_query.get(..authority_end).unwrap_or(without_query);
        return format!("{authority}{control}");
    }
    if without_query.ends_with('/') {
        format!("{without_query}{control}")
    } else {
        format!("{without_query}/{control}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split() {
        let u = RtspUrl::parse("rtsp://admin:12345@192.168.1.64/Streaming/Channels/101").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("192.168.1.64", 554));
        assert_eq!(u.credentials, Some(("admin".into(), "12345".into())));
        assert_eq!(u.request_url, "rtsp://192.168.1.64/Streaming/Channels/101");
        let u = RtspUrl::parse("RTSP://[::1]:8554?x=1").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 8554));
        assert_eq!(u.request_url, "rtsp://[::1]:8554?x=1");
        assert_eq!(RtspUrl::parse("rtsps://h").unwrap().port, 322);
        for bad in ["http://h/", "rtsp://", "rtsp://h:x/", "rtsp://[::1/", "h/p"] {
            assert_eq!(RtspUrl::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn controls_resolve() {
        let hik = "rtsp://cam/Streaming/Channels/101/?transportmode=unicast";
        assert_eq!(
            resolve_control(hik, Some("trackID=1")),
            "rtsp://cam/Streaming/Channels/101/trackID=1"
        );
        assert_eq!(resolve_control(hik, Some("*")), hik);
        assert_eq!(resolve_control(hik, None), hik);
        assert_eq!(
            resolve_control("rtsp://h:8554/test", Some("stream=0")),
            "rtsp://h:8554/test/stream=0"
        );
        assert_eq!(
            resolve_control("rtsp://h/a/b", Some("/x/track1?q=2")),
            "rtsp://h/x/track1?q=2"
        );
        assert_eq!(
            resolve_control("rtsp://h/a", Some("rtsp://other/t ")),
            "rtsp://other/t"
        );
        assert_eq!(
            describe_base(Some("192.168.1.64:554/ch/"), "rtsp://192.168.1.64/ch"),
            "rtsp://192.168.1.64:554/ch/"
        );
        assert_eq!(describe_base(None, "rtsp://h/x"), "rtsp://h/x");
    }
}
