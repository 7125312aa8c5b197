//! The pieces of RFC 8866's grammar (section 9) the reader and the writer
//! both check, so that what one accepts the other writes.

/// A field that must be one token: not empty, no space, no control
/// character (the writer's test, and the reader's for every token field).
pub(super) fn is_token(s: &str) -> bool {
    !s.is_empty() && !s.bytes().any(|b| b <= b' ' || b == 0x7f)
}

/// The byte offset of the first character a text field cannot hold (NUL,
/// CR or LF), if any.
pub(super) fn text_breaker(s: &str) -> Option<usize> {
    s.find(['\0', '\r', '\n'])
}

/// `1*DIGIT`.
pub(super) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The fields of a space-separated value (runs of spaces are one
/// separator).
fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(' ').filter(|w| !w.is_empty())
}

/// `typed-time = 1*DIGIT [fixed-len-time-unit]`, the unit one of `d h m s`.
fn is_typed_time(s: &str) -> bool {
    let digits = s.strip_suffix(['d', 'h', 'm', 's']).unwrap_or(s);
    is_digits(digits)
}

/// `repeat-interval = POS-DIGIT *DIGIT [fixed-len-time-unit]`.
fn is_repeat_interval(s: &str) -> bool {
    is_typed_time(s) && !s.starts_with('0')
}

/// An `r=` value: `<repeat interval> <active duration> <offset>...` (at
/// least one offset), each a typed time.
pub(super) fn is_repeat(s: &str) -> bool {
    let mut w = words(s);
    let (Some(interval), Some(duration), Some(offset)) = (w.next(), w.next(), w.next()) else {
        return false;
    };
    is_repeat_interval(interval)
        && is_typed_time(duration)
        && is_typed_time(offset)
        && w.all(is_typed_time)
}

/// A `z=` value: pairs of `<adjustment time> [-]<offset>`, the time an NTP
/// time (`POS-DIGIT 9*DIGIT`), the offset a typed time.
pub(super) fn is_zone(s: &str) -> bool {
    let w: Vec<&str> = words(s).collect();
    !w.is_empty()
        && w.len().is_multiple_of(2)
        && w.chunks_exact(2).all(|pair| match pair {
            [time, offset] => {
                time.len() >= 10
                    && is_digits(time)
                    && !time.starts_with('0')
                    && is_typed_time(offset.strip_prefix('-').unwrap_or(offset))
            }
            _ => false,
        })
}

/// A `k=` value: `<method>` or `<method>:<key>`, the method a token
/// (`prompt`, `clear`, `base64`, `uri`, ...), the key text.
pub(super) fn is_key(s: &str) -> bool {
    let (method, key) = match s.split_once(':') {
        Some((m, k)) => (m, Some(k)),
        None => (s, None),
    };
    is_token(method) && key.is_none_or(|k| !k.is_empty() && text_breaker(k).is_none())
}

/// `true` for `IP4`, `IP6` and the spellings devices use for them
/// (`ip4`, `IPV4`, `IPv6`).
pub(super) fn address_type_like(s: &str) -> bool {
    canonical_address_type(s).is_some()
}

/// `IP4` or `IP6` for the spellings of them, without regard to case.
pub(super) fn canonical_address_type(s: &str) -> Option<&'static str> {
    if s.eq_ignore_ascii_case("IP4") || s.eq_ignore_ascii_case("IPV4") {
        Some("IP4")
    } else if s.eq_ignore_ascii_case("IP6") || s.eq_ignore_ascii_case("IPV6") {
        Some("IP6")
    } else {
        None
    }
}

/// `true` for `IN` and what devices write for it (`in`, `IP`).
pub(super) fn network_type_like(s: &str) -> bool {
    s.eq_ignore_ascii_case("IN") || s.eq_ignore_ascii_case("IP")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_zone_key() {
        for ok in ["604800 3600 0 90000", "7d 1h 0 25h", "1 0 0"] {
            assert!(is_repeat(ok), "{ok}");
        }
        for bad in ["", "604800 3600", "0 1 2", "7w 1h 0", "1 x 0", "1 1h -1"] {
            assert!(!is_repeat(bad), "{bad}");
        }
        for ok in ["2882844526 -1h 2898848070 0", "3000000000 30m"] {
            assert!(is_zone(ok), "{ok}");
        }
        for bad in [
            "",
            "2882844526",
            "288284452 -1h",
            "0882844526 1h",
            "2882844526 -x",
        ] {
            assert!(!is_zone(bad), "{bad}");
        }
        for ok in ["prompt", "clear:abc def", "base64:AAAA", "uri:http://x/"] {
            assert!(is_key(ok), "{ok}");
        }
        for bad in ["", "clear:", "a b", ":x"] {
            assert!(!is_key(bad), "{bad}");
        }
    }

    #[test]
    fn address_and_network_types() {
        assert_eq!(canonical_address_type("ipv4"), Some("IP4"));
        assert_eq!(canonical_address_type("IPv6"), Some("IP6"));
        assert_eq!(canonical_address_type("E164"), None);
        assert!(network_type_like("IP") && network_type_like("in"));
        assert!(!network_type_like("ATM"));
    }
}
