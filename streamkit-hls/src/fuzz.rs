//! Fuzz targets of this crate: each function runs a parser over arbitrary
//! bytes, touches everything it returns and checks round trips and
//! invariants. The `fuzz/` crate at the repository root calls them from
//! libFuzzer; `tests/fuzz_smoke.rs` runs them over example playlists and
//! edge inputs on every test run. Not part of the stable API.
//!
//! A failed assertion here is a bug in the reader or writer it names.
// A broken invariant must stop the fuzzer with the input that broke it.
#![allow(clippy::panic)]

use crate::playlist::{
    MediaPlaylist, Playlist, SkipRequest, parse_playlist, parse_playlist_with_warnings,
};

/// A playlist of either kind: its accessors; what reads and writes reads
/// back to a playlist that writes the same text (the written form is a
/// fixed point), and as the same value; a media playlist's Playlist Delta
/// Update, written and read, merges back to the same segments. The
/// warnings are those of the lines read, in line order, and describe
/// themselves.
pub fn playlist(data: &[u8]) {
    let Ok(playlist) = parse_playlist(data) else {
        return;
    };
    let Ok((same, warnings)) = parse_playlist_with_warnings(data) else {
        panic!("parse_playlist_with_warnings refuses what parse_playlist reads");
    };
    assert_eq!(same, playlist, "warnings change nothing in the playlist");
    let lines = data.split(|&b| b == b'\n').count();
    assert!(
        warnings.windows(2).all(|w| w[0].line <= w[1].line),
        "warnings in line order"
    );
    for w in &warnings {
        assert!(
            (1..=lines).contains(&w.line),
            "warning on a line of the input: {w}"
        );
        let _ = w.to_string();
    }
    if let Playlist::Media(m) = &playlist {
        let _ = m.write_adjustments();
    }
    let written = match &playlist {
        Playlist::Media(m) => {
            let _ = (
                m.required_version(),
                m.written_target_duration(),
                m.next_media_sequence(),
                m.duration(),
            );
            m.to_m3u8()
        }
        Playlist::Multivariant(m) => {
            let _ = m.required_version();
            m.to_m3u8()
        }
    };
    let Ok(written) = written else { return };
    let Ok(again) = parse_playlist(written.as_bytes()) else {
        panic!("written playlist does not read back:\n{written}");
    };
    let rewritten = match &again {
        Playlist::Media(m) => m.to_m3u8(),
        Playlist::Multivariant(m) => m.to_m3u8(),
    };
    assert_eq!(
        rewritten.as_ref(),
        Ok(&written),
        "playlist text fixed point"
    );
    let third = parse_playlist(written.as_bytes());
    assert_eq!(third.as_ref(), Ok(&again), "reading is deterministic");

    if let Playlist::Media(full) = &again {
        delta_round_trip(full);
    }
}

/// The delta update of `full` at half its duration, written and read back,
/// applied to `full`, gives `full`'s segments again.
fn delta_round_trip(full: &MediaPlaylist) {
    if full.skip.is_some() {
        return;
    }
    let boundary = full.duration() / 2;
    let Ok(delta) = full.delta_update(boundary, &SkipRequest::Segments) else {
        return;
    };
    let Ok(text) = delta.to_m3u8() else { return };
    let Ok(read) = MediaPlaylist::parse(text.as_bytes()) else {
        panic!("written delta update does not read back:\n{text}");
    };
    let merged = full.apply_delta(&read);
    assert_eq!(
        merged.as_ref().map(|m| &m.segments),
        Ok(&full.segments),
        "delta update merges back:\n{text}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_inputs_pass() {
        for data in [
            &b""[..],
            b"#EXTM3U",
            b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\na.ts\n#EXT-X-ENDLIST\n",
            b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
            b"\xff\xfe",
        ] {
            playlist(data);
        }
    }
}
