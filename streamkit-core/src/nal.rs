//! NAL unit streams: Annex-B and length-prefixed.
