//! The RTSP 2.0 (RFC 7826) typed headers: arbitrary text never panics
//! any parser, and every value written parses back to itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::Duration;

use proptest::prelude::*;
use streamkit_rtsp::header::{
    AcceptRanges, FeatureTags, LowerTransport, MediaProperties, MediaProperty, NotifyReason,
    PipelinedRequests, RangeUnit, RequestStatus, RtpInfoEntry, RtpInfoHeader, SeekStyle, Transport,
    TransportAddress, TransportSpec,
};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9.+_-]{0,15}"
}

/// delta-seconds with up to 9 decimals.
fn seconds() -> impl Strategy<Value = Duration> {
    (0u64..1_000_000, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n))
}

fn media_property() -> impl Strategy<Value = MediaProperty> {
    prop_oneof![
        prop::option::of(seconds()).prop_map(MediaProperty::RandomAccess),
        Just(MediaProperty::BeginningOnly),
        Just(MediaProperty::NoSeeking),
        Just(MediaProperty::Immutable),
        Just(MediaProperty::Dynamic),
        Just(MediaProperty::TimeProgressing),
        Just(MediaProperty::Unlimited),
        "[0-9]{8}T[0-9]{6}(\\.[0-9]{1,3})?Z?".prop_map(MediaProperty::TimeLimited),
        seconds().prop_map(MediaProperty::TimeDuration),
        "-?[0-9]{1,2}(, -?[0-9]{1,2}(\\.[0-9])?){0,4}".prop_map(MediaProperty::Scales),
        "X-[A-Za-z]{1,8}".prop_map(MediaProperty::Other),
    ]
}

fn address() -> impl Strategy<Value = TransportAddress> {
    prop_oneof![
        any::<u16>().prop_map(TransportAddress::port),
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, p)| {
            TransportAddress::at(&std::net::Ipv4Addr::from(ip).to_string(), p)
        }),
        (any::<[u16; 8]>(), any::<u16>()).prop_map(|(ip, p)| {
            TransportAddress::at(&std::net::Ipv6Addr::from(ip).to_string(), p)
        }),
        "[a-z]{1,10}(\\.[a-z]{1,5})?".prop_map(|h| TransportAddress {
            host: Some(h),
            port: None
        }),
    ]
}

fn rtp_info() -> impl Strategy<Value = RtpInfoHeader> {
    let entry = (
        "rtsp://[a-z]{1,8}(/[a-z0-9=\"\\\\ ,;]{0,10}){0,3}",
        any::<u32>(),
        prop::option::of(any::<u16>()),
        prop::option::of(any::<u32>()),
    )
        .prop_map(|(url, ssrc, seq, rtptime)| RtpInfoEntry {
            url,
            ssrc: Some(ssrc),
            seq,
            rtptime,
        });
    prop::collection::vec(entry, 0..5).prop_map(|entries| RtpInfoHeader { entries })
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}", bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        for t in [text, String::from_utf8_lossy(&bytes).into_owned()] {
            let _ = MediaProperties::parse(&t);
            let _ = AcceptRanges::parse(&t);
            let _ = SeekStyle::parse(&t);
            let _ = NotifyReason::parse(&t);
            let _ = RequestStatus::parse(&t);
            let _ = PipelinedRequests::parse(&t);
            let _ = FeatureTags::parse(&t);
            let _ = Transport::parse(&t);
            let _ = RtpInfoHeader::parse(&t);
            streamkit_rtsp::fuzz::headers(t.as_bytes());
        }
    }

    #[test]
    fn media_properties_round_trip(properties in prop::collection::vec(media_property(), 0..8)) {
        let p = MediaProperties { properties };
        prop_assert_eq!(MediaProperties::parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn small_headers_round_trip(
        units in prop::collection::vec(prop_oneof![
            Just(RangeUnit::Npt),
            Just(RangeUnit::Clock),
            "smpte(-25|-30-drop)?".prop_map(RangeUnit::Smpte),
            "x[a-z]{1,6}".prop_map(RangeUnit::Other),
        ], 0..5),
        style in prop_oneof![
            Just(SeekStyle::Rap), Just(SeekStyle::CoRap), Just(SeekStyle::FirstPrior),
            Just(SeekStyle::Next), "X-[a-z]{1,6}".prop_map(SeekStyle::Other),
        ],
        reason in prop_oneof![
            Just(NotifyReason::EndOfStream), Just(NotifyReason::MediaPropertiesUpdate),
            Just(NotifyReason::ScaleChange), "x-[a-z]{1,6}".prop_map(NotifyReason::Other),
        ],
        (cseq, status, phrase) in (any::<u32>(), 100u16..1000, "[ -!#-~]{0,20}"),
        id in any::<u32>(),
        tags in prop::collection::vec(token(), 0..5),
    ) {
        let a = AcceptRanges { units };
        prop_assert_eq!(AcceptRanges::parse(&a.to_string()).unwrap(), a);
        prop_assert_eq!(SeekStyle::parse(&style.to_string()).unwrap(), style);
        prop_assert_eq!(NotifyReason::parse(&reason.to_string()).unwrap(), reason);
        let s = RequestStatus { cseq, status, reason: phrase };
        prop_assert_eq!(RequestStatus::parse(&s.to_string()).unwrap(), s);
        prop_assert_eq!(PipelinedRequests::parse(&PipelinedRequests(id).to_string()).unwrap(), PipelinedRequests(id));
        let f = FeatureTags { tags };
        prop_assert_eq!(FeatureTags::parse(&f.to_string()).unwrap(), f);
    }

    #[test]
    fn transport_addresses_round_trip(
        dest in prop::collection::vec(address(), 0..3),
        src in prop::collection::vec(address(), 0..3),
        tcp in any::<bool>(),
    ) {
        let mut spec = TransportSpec::new(if tcp { LowerTransport::Tcp } else { LowerTransport::Udp });
        spec.dest_addr = dest;
        spec.src_addr = src;
        let t = Transport { specs: vec![spec] };
        prop_assert_eq!(Transport::parse(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn rtp_info_2_0_round_trips(info in rtp_info()) {
        let text = info.to_v2_string();
        if info.entries.is_empty() {
            prop_assert_eq!(text, "");
        } else {
            prop_assert_eq!(RtpInfoHeader::parse(&text).unwrap(), info);
        }
    }
}
