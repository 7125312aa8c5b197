//! The segment index box, `sidx` (ISO/IEC 14496-12, 8.16.3).

use bytes::Bytes;

use super::Fmp4Error;
use super::boxes::{put_u16, put_u32, put_u64, write_full_box};

/// One entry of a [`SegmentIndex`]: a subsegment (here one `moof` + `mdat`
/// fragment, or a run of them) that media data follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubsegmentReference {
    /// Bytes from the first byte of this subsegment to the first byte of
    /// the next (31 bits at most).
    pub referenced_size: u32,
    /// Presentation duration in ticks of the index's timescale: the
    /// earliest presentation time of the next subsegment minus this one's.
    pub subsegment_duration: u32,
    /// `true` when the subsegment starts with a stream access point of the
    /// reference track.
    pub starts_with_sap: bool,
    /// The SAP type (1 to 6; 0 when unknown).
    pub sap_type: u8,
    /// Presentation time of the SAP minus the subsegment's earliest
    /// presentation time (28 bits).
    pub sap_delta_time: u32,
}

/// A `sidx` box indexing media subsegments by byte range and time, for DASH
/// on-demand (byte-range) delivery.
///
/// ```
/// use streamkit_core::fmp4::{SegmentIndex, SubsegmentReference};
///
/// let sidx = SegmentIndex {
///     reference_id: 1,
///     timescale: 90_000,
///     earliest_presentation_time: 0,
///     first_offset: 0,
///     references: vec![SubsegmentReference {
///         referenced_size: 1_000,
///         subsegment_duration: 180_000,
///         starts_with_sap: true,
///         sap_type: 1,
///         sap_delta_time: 0,
///     }],
/// };
/// let bytes = sidx.to_bytes()?;
/// assert_eq!(bytes.len(), 52);
/// assert_eq!(&bytes[4..8], b"sidx");
/// # Ok::<(), streamkit_core::fmp4::Fmp4Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentIndex {
    /// The track (stream) whose times the index gives, usually the video.
    pub reference_id: u32,
    /// The reference track's timescale.
    pub timescale: u32,
    /// Presentation time of the first subsegment's earliest sample.
    pub earliest_presentation_time: u64,
    /// Bytes from the end of this box to the first subsegment.
    pub first_offset: u64,
    /// The subsegments, in order.
    pub references: Vec<SubsegmentReference>,
}

impl SegmentIndex {
    /// The box's length in bytes (version 1, 64-bit times).
    #[must_use]
    pub fn len(&self) -> usize {
        12 + 4 + 4 + 8 + 8 + 4 + 12 * self.references.len()
    }

    /// `true` when the index references no subsegment.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.references.is_empty()
    }

    /// Writes the box (version 1).
    ///
    /// # Errors
    ///
    /// [`Fmp4Error::TooLarge`] when there are more than 65 535 references,
    /// a referenced size needs more than 31 bits, a SAP type more than 3 bits
    /// or a SAP delta more than 28 bits.
    pub fn to_bytes(&self) -> Result<Bytes, Fmp4Error> {
        let count = u16::try_from(self.references.len()).map_err(|_| Fmp4Error::TooLarge {
            what: "sidx reference_count",
            value: self.references.len() as u64,
        })?;
        for r in &self.references {
            check_bits("sidx referenced_size", u64::from(r.referenced_size), 31)?;
            check_bits("sidx SAP_type", u64::from(r.sap_type), 3)?;
            check_bits("sidx SAP_delta_time", u64::from(r.sap_delta_time), 28)?;
        }
        let mut buf = Vec::with_capacity(self.len());
        write_full_box(&mut buf, b"sidx", 1, 0, |buf| {
            put_u32(buf, self.reference_id);
            put_u32(buf, self.timescale);
            put_u64(buf, self.earliest_presentation_time);
            put_u64(buf, self.first_offset);
            put_u16(buf, 0);
            put_u16(buf, count);
            for r in &self.references {
                // reference_type 0: media.
                put_u32(buf, r.referenced_size);
                put_u32(buf, r.subsegment_duration);
                put_u32(
                    buf,
                    (u32::from(r.starts_with_sap) << 31)
                        | (u32::from(r.sap_type) << 28)
                        | r.sap_delta_time,
                );
            }
        });
        Ok(Bytes::from(buf))
    }
}

fn check_bits(what: &'static str, value: u64, bits: u32) -> Result<(), Fmp4Error> {
    if value >> bits != 0 {
        return Err(Fmp4Error::TooLarge { what, value });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidx_bytes() {
        let sidx = SegmentIndex {
            reference_id: 1,
            timescale: 15_360,
            earliest_presentation_time: 1_024,
            first_offset: 0,
            references: vec![
                SubsegmentReference {
                    referenced_size: 0x1234,
                    subsegment_duration: 30_720,
                    starts_with_sap: true,
                    sap_type: 1,
                    sap_delta_time: 0,
                },
                SubsegmentReference {
                    referenced_size: 0x10,
                    subsegment_duration: 512,
                    starts_with_sap: false,
                    sap_type: 0,
                    sap_delta_time: 5,
                },
            ],
        };
        let bytes = sidx.to_bytes().unwrap();
        let expected: Vec<u8> = [
            &[0, 0, 0, 64][..],
            b"sidx",
            &[1, 0, 0, 0],
            &[0, 0, 0, 1],
            &[0, 0, 0x3c, 0],
            &[0, 0, 0, 0, 0, 0, 4, 0],
            &[0; 8],
            &[0, 0, 0, 2],
            &[0, 0, 0x12, 0x34, 0, 0, 0x78, 0, 0x90, 0, 0, 0],
            &[0, 0, 0, 0x10, 0, 0, 2, 0, 0, 0, 0, 5],
        ]
        .concat();
        assert_eq!(&bytes[..], &expected[..]);
        assert_eq!(sidx.len(), 64);
    }

    #[test]
    fn sidx_rejects_oversized_fields() {
        let mut sidx = SegmentIndex {
            reference_id: 1,
            timescale: 1,
            earliest_presentation_time: 0,
            first_offset: 0,
            references: vec![SubsegmentReference {
                referenced_size: 1 << 31,
                subsegment_duration: 1,
                starts_with_sap: true,
                sap_type: 1,
                sap_delta_time: 0,
            }],
        };
        assert_eq!(
            sidx.to_bytes(),
            Err(Fmp4Error::TooLarge {
                what: "sidx referenced_size",
                value: 1 << 31
            })
        );
        sidx.references[0].referenced_size = 1;
        sidx.references[0].sap_type = 8;
        assert!(matches!(
            sidx.to_bytes(),
            Err(Fmp4Error::TooLarge {
                what: "sidx SAP_type",
                ..
            })
        ));
    }
}
