//! Chromium's native HLS player (headless, driven by playwright-core from
//! tests/mse/node_modules) plays every fixture packaged as VOD, fMP4 with an
//! audio rendition and muxed MPEG-TS, from a loopback HTTP server, to the
//! end and without an error. Debian's Chromium cannot decode H.265; the
//! H.265 fixture is checked to be refused for that reason only
//! (`MediaSource.isTypeSupported` says no to its codec string).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Container, Package, PackageConfig, RenditionSpec};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::presentation::{Presentation, PresentationConfig};

const PLAY: &str = r#"
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
const { chromium } = await import(process.env.PLAYWRIGHT);
const root = process.argv[2];
const entries = process.argv.slice(3);
const types = { '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.m4s': 'video/mp4', '.mp4': 'video/mp4' };
const server = http.createServer((req, res) => {
  const name = new URL(req.url, 'http://x').pathname.slice(1);
  if (name === '') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><video id="v" muted></video>');
    return;
  }
  const p = path.join(root, name);
  if (!p.startsWith(root + path.sep) || !fs.existsSync(p)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': types[path.extname(p)] || 'application/octet-stream' });
  res.end(fs.readFileSync(p));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
});
try {
  for (const arg of entries) {
    const [entry, codec] = arg.split('|');
    const page = await browser.newPage();
    await page.goto(base);
    const r = await page.evaluate(async ({ entry, codec }) => {
      const supported = MediaSource.isTypeSupported(`video/mp4; codecs="${codec}"`);
      if (!supported) return [entry, false, false, 0, 0, ''];
      const v = document.getElementById('v');
      const errors = [];
      v.addEventListener('error', () => errors.push(`media error ${v.error?.code}: ${v.error?.message}`));
      v.src = entry;
      const ended = new Promise((r) => v.addEventListener('ended', () => r(true), { once: true }));
      try { await v.play(); v.playbackRate = 8; } catch (e) { errors.push(String(e)); }
      const done = await Promise.race([ended, new Promise((r) => setTimeout(() => r(false), 20000))]);
      return [entry, supported, done, v.duration, v.currentTime, errors.join('; ')];
    }, { entry, codec });
    console.log(r.join('\t'));
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
"#;

fn write(root: &Path, name: &str, buffers: &[Bytes]) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(path).unwrap();
    for b in buffers {
        f.write_all(b).unwrap();
    }
}

/// Packages `input` as VOD into `out` (one CMAF rendition per track, or
/// one muxed MPEG-TS rendition); returns the video codec string.
fn package(input: &Path, out: &Path, container: Container) -> String {
    let file = Mp4File::parse(Bytes::from(std::fs::read(input).unwrap())).unwrap();
    let mut config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS));
    if container == Container::MpegTs {
        let (tracks, _) = file.tracks_and_shifts();
        config = config.with_renditions(vec![RenditionSpec::muxed("main", container, &tracks)]);
    }
    let mut package = Package::for_mp4(&file, config).unwrap();
    for s in file.samples() {
        package.push(s).unwrap();
    }
    package.finish().unwrap();
    for (name, resource) in package.resources() {
        write(out, &name, resource.chunks.body().buffers());
    }
    let hls = Presentation::new(&package, PresentationConfig::vod()).unwrap();
    for (name, bytes) in hls.playlists(&package).unwrap() {
        write(out, &name, &[bytes]);
    }
    hls.multivariant_playlist(&package).variants[0].codecs[0].clone()
}

#[test]
fn chromium_plays_every_fixture_to_the_end() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let playwright = repo.join("tests/mse/node_modules/playwright-core/index.mjs");
    assert!(
        playwright.exists(),
        "tests/mse/node_modules is missing: run `npm ci` in tests/mse (scripts/test does)"
    );
    let root = std::env::temp_dir().join(format!("streamkit-hls-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let fixtures = [
        ("h264_aac.mp4", 10.0),
        ("h264_aac_moov_end.mp4", 8.0),
        ("h265_aac.mp4", 6.0),
        ("h264_opus.mp4", 6.0),
    ];
    let mut entries = Vec::new();
    for (name, _) in &fixtures {
        for format in [Container::Cmaf, Container::MpegTs] {
            let dir = format!("{}-{format:?}", name.trim_end_matches(".mp4"));
            let codec = package(
                &repo.join("tests/fixtures").join(name),
                &root.join(&dir),
                format,
            );
            entries.push(format!("{dir}/master.m3u8|{codec}"));
        }
    }
    std::fs::write(root.join("play.mjs"), PLAY).unwrap();
    let out = Command::new("node")
        .arg(root.join("play.mjs"))
        .arg(&root)
        .args(&entries)
        .env("PLAYWRIGHT", &playwright)
        .output()
        .unwrap_or_else(|e| panic!("node is needed (scripts/test installs it): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), entries.len(), "{stdout}");
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let (entry, supported, ended) = (f[0], f[1] == "true", f[2] == "true");
        let source = fixtures
            .iter()
            .find(|(n, _)| {
                entry.starts_with(n.trim_end_matches(".mp4"))
                    && entry.as_bytes()[n.len() - 4] == b'-'
            })
            .unwrap()
            .1;
        if !supported {
            // Only H.265, which this Chromium has no decoder for.
            assert!(entry.starts_with("h265_aac-"), "{line}");
            eprintln!("{entry}: this Chromium cannot decode H.265; not played");
            continue;
        }
        assert!(ended && f[5].is_empty(), "{line}");
        let duration: f64 = f[3].parse().unwrap();
        let position: f64 = f[4].parse().unwrap();
        assert!((duration - source).abs() < 0.05, "{line}");
        assert_eq!(position, duration, "{line}");
    }
    std::fs::remove_dir_all(&root).unwrap();
}
