//! Runs `tests/gst/play.py` (GStreamer's playbin or playbin3 into
//! clock-synced fakesinks) from a test and reads its one-line JSON report.
//! Shared by the tests that play with GStreamer (`#[path]`-included).
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;

/// `tests/gst/play.py`, found from the crate of the test upwards.
fn script() -> PathBuf {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("tests/gst/play.py");
        if candidate.exists() {
            return candidate;
        }
        dir = dir.parent().expect("tests/gst/play.py in the workspace");
    }
}

/// The number after `"key": ` in `json` (a flat object).
pub(crate) fn number(json: &str, key: &str) -> f64 {
    let pat = format!("\"{key}\": ");
    let start = json.find(&pat).unwrap_or_else(|| panic!("{key} in {json}")) + pat.len();
    let rest = &json[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end]
        .parse()
        .unwrap_or_else(|_| panic!("{key} in {json}"))
}

/// The object after `"key": ` in `json`.
pub(crate) fn object<'a>(json: &'a str, key: &str) -> &'a str {
    let pat = format!("\"{key}\": {{");
    let start = json.find(&pat).unwrap_or_else(|| panic!("{key} in {json}")) + pat.len() - 1;
    let end = start
        + json[start..]
            .find('}')
            .unwrap_or_else(|| panic!("{key} in {json}"));
    &json[start..=end]
}

/// Plays `uri` with `element` (`playbin` or `playbin3`) until `seconds` of
/// video and audio are decoded, with a hang guard of `guard` seconds, and
/// returns play.py's JSON line.
pub(crate) fn play(uri: &str, element: &str, seconds: u32, guard: u32) -> String {
    run(uri, element, &seconds.to_string(), guard)
}

/// Plays all of `uri` with `element`, as fast as it decodes (sinks not
/// synced), to the end of the stream, with a hang guard of `guard`
/// seconds, and returns play.py's JSON line.
pub(crate) fn play_to_end(uri: &str, element: &str, guard: u32) -> String {
    run(uri, element, "end", guard)
}

fn run(uri: &str, element: &str, seconds: &str, guard: u32) -> String {
    // Debian's python3-gi belongs to the system interpreter.
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let out = Command::new(python)
        .arg(script())
        .args([uri, element, seconds, &guard.to_string(), "video,audio"])
        .output()
        .expect("python3 is required (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "play.py {element}: {stdout}{} (needs python3-gi and GStreamer)",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{element} {uri}: {}", stdout.trim());
    stdout.trim().to_owned()
}
