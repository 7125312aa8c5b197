//! H.264 over RTP (RFC 6184): [`H264Packetizer`] and [`H264Depacketizer`].
//!
//! The packetizer speaks packetization mode 1 (non-interleaved) by default:
//! a NAL unit that fits the MTU goes alone in a single NAL unit packet,
//! consecutive small ones (SPS, PPS, SEI, small slices) share a STAP-A, and
//! a larger one is cut into FU-A fragments (start and end bits, the NRI and
//! type copied). The marker bit is set on the last packet of each access
//! unit. [`H264Packetizer::with_parameter_sets`] sends the SPS and PPS of an
//! [`AvcConfig`] before every IDR access unit that does not carry them
//! in-band; [`H264Packetizer::single_nal_unit_mode`] restricts it to mode 0.
//!
//! The depacketizer takes single NAL unit packets, STAP-A and FU-A, in
//! sequence order, and refuses the interleaved mode's STAP-B, MTAP16,
//! MTAP24 and FU-B with [`PayloadError::Unsupported`].
//! See [the module above](super) for the event model and an example.

use bytes::Bytes;
use streamkit_core::codec::h264::AvcConfig;
use streamkit_core::nal::NalLengthSize;
use streamkit_core::sample::Sample;
use streamkit_core::time::RtpTimestamp;

use super::h26x::{Codec, Depacketizer, Packetizer};
use super::{
    DEFAULT_MAX_ACCESS_UNIT, Depacketized, NalForm, PayloadError, RtpPayload, RtpPayloadRef,
};
use crate::packet::RtpPacket;

/// Access units into H.264 RTP payloads (RFC 6184).
///
/// Push one access unit with [`push`](H264Packetizer::push), then call
/// [`poll_payload`](H264Packetizer::poll_payload) until `None`; a push before
/// the previous unit is drained is refused with
/// [`PayloadError::Pending`]. Payloads reference the access unit's
/// buffer: nothing is copied or allocated per packet.
#[derive(Debug, Clone)]
pub struct H264Packetizer {
    inner: Packetizer,
}

impl H264Packetizer {
    /// A mode-1 packetizer whose payloads are at most `mtu` bytes (the RTP
    /// payload budget, without RTP header), for access units whose NAL units
    /// carry `nal_length_size`-byte lengths.
    ///
    /// # Errors
    ///
    /// [`PayloadError::MtuTooSmall`] below 3 bytes (an FU-A with one byte).
    pub fn new(mtu: usize, nal_length_size: NalLengthSize) -> Result<H264Packetizer, PayloadError> {
        Ok(H264Packetizer {
            inner: Packetizer::new(Codec::H264, mtu, nal_length_size)?,
        })
    }

    /// A mode-1 packetizer for `config`'s length size that sends its SPS and
    /// PPS before every IDR access unit without in-band parameter sets.
    ///
    /// # Errors
    ///
    /// As [`new`](H264Packetizer::new), and
    /// [`PayloadError::InvalidNalUnit`] for an empty parameter set.
    pub fn with_parameter_sets(
        config: &AvcConfig,
        mtu: usize,
    ) -> Result<H264Packetizer, PayloadError> {
        let mut p = H264Packetizer::new(mtu, config.nal_length_size)?;
        let sets = config.sps.iter().chain(&config.pps).cloned().collect();
        p.inner.set_parameter_sets(sets)?;
        Ok(p)
    }

    /// Restricts the packetizer to packetization mode 0: single NAL unit
    /// packets only; an access unit with a NAL unit above the MTU is refused
    /// with [`PayloadError::TooLargeForSingleNalUnit`].
    ///
    /// # Errors
    ///
    /// [`PayloadError::TooLargeForSingleNalUnit`] when a configured
    /// parameter set does not fit.
    pub fn single_nal_unit_mode(mut self) -> Result<H264Packetizer, PayloadError> {
        self.inner.set_single_nal_unit_mode()?;
        Ok(self)
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
    /// [`PayloadError::Truncated`] or
    /// [`PayloadError::InvalidNalUnit`] for a bad unit (an empty one, or a
    /// type 24 to 31 that RTP reserves), and in mode 0
    /// [`PayloadError::TooLargeForSingleNalUnit`].
    #[inline]
    pub fn push(
        &mut self,
        timestamp: RtpTimestamp,
        access_unit: Bytes,
    ) -> Result<(), PayloadError> {
        self.inner.push(timestamp, access_unit)
    }

    /// [`push`](H264Packetizer::push) of a sample's data.
    ///
    /// # Errors
    ///
    /// As [`push`](H264Packetizer::push).
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

/// H.264 RTP packets (RFC 6184, modes 0 and 1) back into access units.
///
/// Push each packet in sequence order with
/// [`push`](H264Depacketizer::push), then call
/// [`poll_access_unit`](H264Depacketizer::poll_access_unit) until `None`;
/// at the end of the stream [`finish`](H264Depacketizer::finish) and poll
/// once more. An access unit ends at its marker bit or, for senders that
/// omit it, when the timestamp changes (the last unit of such a stream
/// comes out at `finish`). A
/// sequence-number gap drops the unit in progress and the unit of the packet
/// after the gap (the lost packets may have begun it), reported as one
/// [`Depacketized::Loss`]: only whole access units are ever given.
///
/// Tolerated quirks: Annex-B start codes inside single NAL unit packets or
/// FU-A units (split into separate units), an FU-A with both start and end
/// bits, zero padding after a STAP-A's last unit, parameter sets repeated
/// (ignored) or changed (a [`Depacketized::ParameterSets`] event), one
/// access unit spread over packets without marker bit.
#[derive(Debug)]
pub struct H264Depacketizer {
    inner: Depacketizer,
}

impl H264Depacketizer {
    /// A depacketizer giving access units in `form`, at most
    /// [`DEFAULT_MAX_ACCESS_UNIT`] bytes each.
    #[must_use]
    pub fn new(form: NalForm) -> H264Depacketizer {
        H264Depacketizer {
            inner: Depacketizer::new(Codec::H264, form, DEFAULT_MAX_ACCESS_UNIT),
        }
    }

    /// A depacketizer for the SDP's `packetization-mode` (absent is 0).
    ///
    /// # Errors
    ///
    /// [`PayloadError::Unsupported`] for mode 2 (interleaved) or any
    /// other value.
    pub fn for_packetization_mode(
        form: NalForm,
        mode: u8,
    ) -> Result<H264Depacketizer, PayloadError> {
        match mode {
            0 | 1 => Ok(H264Depacketizer::new(form)),
            _ => Err(PayloadError::Unsupported {
                what: "packetization-mode (only 0 and 1 are taken)",
                packet_type: mode,
                sequence_number: 0,
            }),
        }
    }

    /// Sets the largest access unit kept: a larger one is dropped with
    /// [`PayloadError::AccessUnitTooLarge`].
    #[must_use]
    pub fn with_max_access_unit(mut self, limit: usize) -> H264Depacketizer {
        self.inner.set_max_access_unit(limit);
        self
    }

    /// Takes the next packet in sequence order. Duplicates and packets
    /// older than the last one are ignored.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Unsupported`] for interleaved-mode packet types
    /// and reserved types, [`PayloadError::Malformed`] for inconsistent
    /// payloads, [`PayloadError::AccessUnitTooLarge`]; the access unit
    /// in progress is then dropped.
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
    /// at the next [`poll_access_unit`](H264Depacketizer::poll_access_unit),
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

    /// The SPS and PPS last seen in-band.
    pub fn parameter_sets(&self) -> impl Iterator<Item = &Bytes> {
        self.inner.parameter_sets()
    }
}
