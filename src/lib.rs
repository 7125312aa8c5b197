//! streamkit: media streaming protocols as Sans-IO Rust crates.
//!
//! streamkit parses, serializes, packetizes, packages and decides; your
//! program moves the bytes (std, tokio, io_uring, a test harness) and
//! supplies the time. Here, with nothing but `std`: package an MP4 file
//! once, then answer an HLS request that arrives on a TCP socket.
//!
//! ```
//! use std::io::{BufRead, BufReader, Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use std::time::Instant;
//!
//! use bytes::Bytes;
//! use streamkit::core::mp4::Mp4File;
//! use streamkit::core::package::{Package, PackageConfig};
//! use streamkit::core::time::{MediaTime, Timescale};
//! use streamkit::hls::origin::HlsView;
//! use streamkit::hls::presentation::{Presentation, PresentationConfig};
//! use streamkit::origin::{Answer, Body, Origin, OriginConfig, PackageSite, Request};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Read a file, package it: CMAF segments, cut at keyframes, kept in memory.
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let mut package = Package::for_mp4(&file, PackageConfig::new(MediaTime::new(2, Timescale::SECONDS)))?;
//! for sample in file.samples() {
//!     package.push(sample)?;
//! }
//! package.finish()?;
//!
//! // Serve it as HLS under /vod/a/.
//! let hls = HlsView::new(Presentation::new(&package, PresentationConfig::vod())?);
//! let site = PackageSite::new(package, vec![Box::new(hls)]);
//! let mut origin = Origin::new(site, OriginConfig::default().with_base_path("/vod/a/"))?;
//!
//! // Your transport: here a std TCP socket and a client on another thread.
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let client = std::thread::spawn(move || -> std::io::Result<Vec<u8>> {
//!     let mut c = TcpStream::connect(addr)?;
//!     c.write_all(b"GET /vod/a/video/index.m3u8 HTTP/1.1\r\nHost: x\r\n\r\n")?;
//!     let mut response = Vec::new();
//!     c.read_to_end(&mut response)?;
//!     Ok(response)
//! });
//! let (mut conn, _) = listener.accept()?;
//! let mut reader = BufReader::new(conn.try_clone()?);
//! let mut request_line = String::new();
//! reader.read_line(&mut request_line)?;
//! let target = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
//! let mut line = String::new();
//! while reader.read_line(&mut line)? > 2 {
//!     line.clear(); // header fields: pass Range, If-None-Match... to request.add_header
//! }
//!
//! // Answer it: the origin decides, the program writes.
//! if let Answer::Response(response) = origin.handle_request(Instant::now(), &Request::get(&target)) {
//!     write!(conn, "HTTP/1.1 {} {}\r\n", response.status, response.reason())?;
//!     for (name, value) in response.head_fields() {
//!         write!(conn, "{name}: {value}\r\n")?;
//!     }
//!     conn.write_all(b"Connection: close\r\n\r\n")?;
//!     if let Body::Full(body) = &response.body {
//!         for buffer in body.buffers() {
//!             conn.write_all(buffer)?; // the samples' own bytes, never copied
//!         }
//!     }
//! }
//! drop((conn, reader)); // closes the connection: the client reads to its end
//! let response = String::from_utf8(client.join().expect("client")?)?;
//! assert!(response.starts_with("HTTP/1.1 200 OK"));
//! assert!(response.contains("#EXTINF:2.000,\nseg-0.m4s"));
//! # Ok(())
//! # }
//! ```
//!
//! Held requests (low-latency HLS blocking reloads), chunked bodies (a
//! low-latency DASH segment still being made) and live streams follow the
//! same pattern: see [`contract`] for the run loop every state machine
//! shares and the two clocks, and `examples/serve` for a complete server
//! on tokio and hyper.
//!
//! The umbrella crate re-exports the member crates, each behind a
//! default-on feature of the same name:
//!
//! | feature | crate | what it does |
//! |---|---|---|
//! | `core` | [`streamkit_core`] | time and clocks, codec configuration, samples, MP4 input, fMP4/CMAF and MPEG-TS output, the segmenter, the packaging store, live broadcasts, FLV |
//! | `hls` | [`streamkit_hls`] | HLS playlists, presentations over a package, the LL-HLS origin view |
//! | `dash` | [`streamkit_dash`] | MPEG-DASH MPDs, presentations over a package, the DASH origin view |
//! | `rtmp` | [`streamkit_rtmp`] | RTMP and Enhanced RTMP: handshakes, chunk streams, AMF0/AMF3, server and client sessions |
//! | `rtp` | [`streamkit_rtp`] | RTP, RTCP, SDP, payload formats, sessions, jitter buffer, media sender |
//! | `rtsp` | [`streamkit_rtsp`] | RTSP 1.0 messages, typed headers, authentication, the server session |
//! | `origin` | [`streamkit_origin`] | the Sans-IO HTTP origin: path policy, held requests, chunked bodies, ranges, conditional GET, CORS, router |
//! | `ports` | [`streamkit_ports`] | ports, services, URL schemes, protocol facts |
//!
//! The crates do no I/O of their own: no socket, no file, no thread, no
//! clock, no random numbers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[doc = include_str!("../docs/contract.md")]
pub mod contract {}

#[cfg(feature = "core")]
#[doc(inline)]
pub use streamkit_core as core;
#[cfg(feature = "dash")]
#[doc(inline)]
pub use streamkit_dash as dash;
#[cfg(feature = "hls")]
#[doc(inline)]
pub use streamkit_hls as hls;
#[cfg(feature = "origin")]
#[doc(inline)]
pub use streamkit_origin as origin;
#[cfg(feature = "ports")]
#[doc(inline)]
pub use streamkit_ports as ports;
#[cfg(feature = "rtmp")]
#[doc(inline)]
pub use streamkit_rtmp as rtmp;
#[cfg(feature = "rtp")]
#[doc(inline)]
pub use streamkit_rtp as rtp;
#[cfg(feature = "rtsp")]
#[doc(inline)]
pub use streamkit_rtsp as rtsp;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
