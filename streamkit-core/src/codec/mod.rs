//! Codec configuration: H.264, H.265, AAC and Opus.
