//! MP4 input.
