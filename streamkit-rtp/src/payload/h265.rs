//! H.265 over RTP (RFC 7798) without DONL: [`H265Packetizer`] and
//! [`H265Depacketizer`].
//!
//! The packetizer sends a NAL unit that fits the MTU in a single NAL unit
//! packet, consecutive small ones in an aggregation packet (type 48, its
//! F bit the OR and its LayerId and TID the lowest of the units'), and a
//! larger one as fragmentation units (type 49). The marker bit is set on the
//! last packet of each access unit. [`H265Packetizer::with_parameter_sets`]
//! sends the VPS, SPS and PPS of an [`HevcConfig`] before every IRAP access
//! unit that does not carry parameter sets in-band.
//!
//! The depacketizer takes single NAL unit packets, aggregation packets and
//! fragmentation units in sequence order; PACI packets and streams with
//! DONL fields (`sprop-max-don-diff` above 0) are refused with
//! [`PayloadError::Unsupported`]. See [the module above](super) for the
//! event model.

use bytes::Bytes;
use streamkit_core::codec::h265::HevcConfig;
use streamkit_core::nal::NalLengthSize;
use streamkit_core::sample::Sample;
use streamkit_core::time::RtpTimestamp;

use super::h26x::{Codec, Depacketizer, Packetizer};
use super::{
    DEFAULT_MAX_ACCESS_UNIT, Depacketized, NalForm, PayloadError, RtpPayload, RtpPayloadRef,
};
use crate::packet::RtpPacket;

/// Access units into H.265 RTP payloads (RFC 7798).
///
/// Push one access unit with [`push`](H265Packetizer::push), then call
/// [`poll_payload`](H265Packetizer::poll_payload) until `None`; a push before
/// the previous unit is drained is refused with
/// [`PayloadError::Pending`]. Payloads reference the access unit's
/// buffer: nothing is copied or allocated per packet.
#[derive(Debug, Clone)]
pub struct H265Packetizer {
    inner: Packetizer,
}

impl H265Packetizer {
    /// A packetizer whose payloads are at most `mtu` bytes (the RTP payload
    /// budget), for access units whose NAL units carry
    /// `nal_length_size`-byte lengths.
    ///
    /// # Errors
    ///
    /// [`PayloadError::MtuTooSmall`] below 4 bytes (an FU with one byte).
    pub fn new(mtu: usize, nal_length_size: NalLengthSize) -> Result<H265Packetizer, PayloadError> {
        Ok(H265Packetizer {
            inner: Packetizer::new(Codec::H265, mtu, nal_length_size)?,
        })
    }

    /// A packetizer for `config`'s length size that sends its VPS, SPS and
    /// PPS before every IRAP access unit without in-band parameter sets.
    ///
    /// # Errors
    ///
    /// As [`new`](H265Packetizer::new), and
    /// [`PayloadError::InvalidNalUnit`] for a parameter set shorter than a
    /// NAL unit header.
    pub fn with_parameter_sets(
        config: &HevcConfig,
        mtu: usize,
    ) -> Result<H265Packetizer, PayloadError> {
        let mut p = H265Packetizer::new(mtu, config.nal_length_size)?;
        let sets = config
            .vps()
            .chain(config.sps())
            .chain(config.pps())
            .cloned()
            .collect();
        p.inner.set_parameter_sets(sets)?;
        Ok(p)
    }

    /// The payload budget.
    #[must_use]
    pub fn mtu(&self) -> usize {
        self.inner.mtu()
    }

    /// Takes one access unit (length-prefixed NAL units) at RTP time
    /// `timestamp`. Validates every length and type before any payload is
    /// given, so polling never fails.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Pending`] when the previous unit is not drained,
    /// [`PayloadError::Truncated`] or [`PayloadError::InvalidNalUnit`]
    /// for a bad unit (shorter than its 2-byte header, or a type 48 to 63
    /// that RTP reserves).
    #[inline]
    pub fn push(
        &mut self,
        timestamp: RtpTimestamp,
        access_unit: Bytes,
    ) -> Result<(), PayloadError> {
        self.inner.push(timestamp, access_unit)
    }

    /// [`push`](H265Packetizer::push) of a sample's data.
    ///
    /// # Errors
    ///
    /// As [`push`](H265Packetizer::push).
    pub fn push_sample(
        &mut self,
        sample: &Sample,
        timestamp: RtpTimestamp,
    ) -> Result<(), PayloadError> {
        self.inner.push(timestamp, sample.data.clone())
    }

    /// The next payload of the access unit, `None` when all were given.
    #[must_use]
    #[inline]
    pub fn poll_payload(&mut self) -> Option<RtpPayload> {
        self.inner.poll()
    }

    /// The next payload borrowed from the packetizer (valid until the next
    /// poll), without touching reference counts: the fastest form when each
    /// payload is written out at once. `None` when all were given.
    #[must_use]
    #[inline]
    pub fn poll_payload_ref(&mut self) -> Option<RtpPayloadRef<'_>> {
        self.inner.poll_ref()
    }

    /// No more access units come: a no-op (nothing is held back between
    /// access units; the payloads of the last one are still polled as
    /// usual). Here for the contract every producer shares.
    ///
    /// # Errors
    ///
    /// None.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        Ok(())
    }
}

/// H.265 RTP packets (RFC 7798, no DONL) back into access units.
///
/// The same contract as
/// [`H264Depacketizer`](super::h264::H264Depacketizer): push packets in
/// sequence order, poll events until `None`, and at the end of the stream
/// [`finish`](H265Depacketizer::finish) and poll once more; access units
/// end at the marker bit or a timestamp change (the last one of a stream
/// without marker bits at `finish`); a gap drops the units it may have touched and
/// is reported once; the same camera quirks are tolerated. The keyframe flag
/// says the unit holds an IRAP picture (types 16 to 23).
#[derive(Debug)]
pub struct H265Depacketizer {
    inner: Depacketizer,
}

impl H265Depacketizer {
    /// A depacketizer giving access units in `form`, at most
    /// [`DEFAULT_MAX_ACCESS_UNIT`] bytes each.
    #[must_use]
    pub fn new(form: NalForm) -> H265Depacketizer {
        H265Depacketizer {
            inner: Depacketizer::new(Codec::H265, form, DEFAULT_MAX_ACCESS_UNIT),
        }
    }

    /// A depacketizer for the SDP's `sprop-max-don-diff` (absent is 0).
    ///
    /// # Errors
    ///
    /// [`PayloadError::Unsupported`] above 0: the packets then carry
    /// DONL fields and may arrive out of decoding order.
    pub fn for_max_don_diff(
        form: NalForm,
        sprop_max_don_diff: u32,
    ) -> Result<H265Depacketizer, PayloadError> {
        if sprop_max_don_diff > 0 {
            return Err(PayloadError::Unsupported {
                what: "DONL (sprop-max-don-diff above 0)",
                packet_type: 0,
                sequence_number: 0,
            });
        }
        Ok(H265Depacketizer::new(form))
    }

    /// Sets the largest access unit kept: a larger one is dropped with
    /// [`PayloadError::AccessUnitTooLarge`].
    #[must_use]
    pub fn with_max_access_unit(mut self, limit: usize) -> H265Depacketizer {
        self.inner.set_max_access_unit(limit);
        self
    }

    /// Takes the next packet in sequence order. Duplicates and packets
    /// older than the last one are ignored.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Unsupported`] for PACI and reserved types,
    /// [`PayloadError::Malformed`] for inconsistent payloads,
    /// [`PayloadError::AccessUnitTooLarge`]; the access unit in progress
    /// is then dropped.
    #[inline]
    pub fn push(&mut self, packet: &RtpPacket) -> Result<(), PayloadError> {
        self.inner.push(packet)
    }

    /// The next event, `None` when there is none until the next push.
    #[must_use]
    #[inline]
    pub fn poll_access_unit(&mut self) -> Option<Depacketized> {
        self.inner.poll()
    }

    /// The stream ended: the access unit in progress is given (when whole)
    /// at the next [`poll_access_unit`](H265Depacketizer::poll_access_unit),
    /// as its marker bit would have ended it. For senders that omit marker
    /// bits this is the only way the last access unit comes out. A second
    /// call does nothing; packets pushed afterwards start new access units.
    ///
    /// # Errors
    ///
    /// None today; the `Result` is the contract every producer shares.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        self.inner.finish();
        Ok(())
    }

    /// The VPS, SPS and PPS last seen in-band.
    pub fn parameter_sets(&self) -> impl Iterator<Item = &Bytes> {
        self.inner.parameter_sets()
    }
}
