//! RTSP 1.0 (RFC 2326) and 2.0 (RFC 7826) for streamkit, Sans-IO:
//! messages, typed headers, authentication, the server session, the
//! client session ([`client`]) and RTSP over HTTP (the [`tunnel`]: the
//! server's parts, and [`tunnel::ClientTunnel`] to run a client session
//! through one).
//!
//! The caller reads bytes from its socket and pushes them, in whatever
//! chunks they came; the reader gives whole messages and interleaved
//! frames, and writing a message back gives the same bytes:
//!
//! ```
//! use bytes::BytesMut;
//! use streamkit_rtsp::message::{Frame, Message, MessageReader, Method, ReaderConfig};
//!
//! let mut reader = MessageReader::new(ReaderConfig::default());
//! reader.push(b"OPTIONS rtsp://cam/live RTSP/1.0\r\nCSe");
//! assert_eq!(reader.poll_frame()?, None); // needs more
//! reader.push(b"q: 1\r\n\r\n$\x00\x00\x02hi");
//! let Some(Frame::Message(Message::Request(request))) = reader.poll_frame()? else {
//!     panic!("a request");
//! };
//! assert_eq!(request.method, Method::Options);
//! assert_eq!(request.cseq(), Some(1));
//! let Some(Frame::Interleaved { channel, data }) = reader.poll_frame()? else {
//!     panic!("interleaved data");
//! };
//! assert_eq!((channel, &data[..]), (0, &b"hi"[..]));
//!
//! let mut out = BytesMut::new();
//! request.write_to(&mut out);
//! assert_eq!(&out[..], b"OPTIONS rtsp://cam/live RTSP/1.0\r\nCSeq: 1\r\n\r\n");
//! # Ok::<(), streamkit_rtsp::error::ParseError>(())
//! ```
//!
//! # RTSP 2.0
//!
//! The server answers each request in the version it came in: `RTSP/2.0`
//! as 2.0, `RTSP/1.0` as 1.0, any other `RTSP/x.y` with 505 (RTSP Version
//! Not Supported) in the nearer of the two, the connection kept (RFC 7826
//! section 4.2; a client such as GStreamer's rtspsrc tries 2.0 first and
//! falls back on 505). A session keeps the version of the SETUP that made
//! it: a request naming it in the other version gets 505.
//!
//! Supported in 2.0, as RFC 7826 says:
//!
//! - the methods OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN,
//!   GET_PARAMETER, SET_PARAMETER; ANNOUNCE and RECORD, which 2.0
//!   removed, get 501 (Not Implemented) with the 2.0 `Public` list;
//! - `Supported: play.basic, setup.rtp.rtcp.mux` in OPTIONS answers;
//!   `Require` of any other feature gets 551 (Option Not Supported)
//!   with `Unsupported` naming it (`Proxy-Require` is for proxies and
//!   is not read);
//! - `RTCP-mux` in a 2.0 Transport (RFC 7826 appendix C.1.6.4, RFC 5761):
//!   RTCP on RTP's interleaved channel or UDP port, both ways, the answer
//!   with one address or channel and `RTCP-mux`;
//! - the Session header rules: PLAY, PAUSE and TEARDOWN name the session
//!   (else 454); SETUPs sent before the first one's answer are bound to
//!   its session by `Pipelined-Requests` (echoed in the answers); one
//!   session per connection (a SETUP outside it gets 459); answers to
//!   requests within the session carry `Session: id;timeout=N` (others,
//!   and TEARDOWN's, none); keep-alive is any request naming the
//!   session (GET_PARAMETER, OPTIONS...) or RTCP, not a PLAY;
//! - `Transport` over UDP by `dest_addr` (`":port"` or `"host:port"`, the
//!   client's own host unless foreign destinations are allowed), answered
//!   with `dest_addr` and the server's ports as `src_addr`; a 2.0 client
//!   that asks with 1.0's `client_port` (rtspsrc does) gets
//!   `client_port`/`server_port` beside them; interleaved TCP as in 1.0;
//! - `Media-Properties` in SETUP and PLAY answers (a file: `Random-Access,
//!   Immutable, Unlimited`; live: `No-Seeking, Dynamic, Time-Progressing,
//!   Time-Duration=0.0`), `Accept-Ranges: npt` and, for a file,
//!   `Media-Range` in SETUP answers;
//! - PLAY: `Range` of what plays, RTP-Info in 2.0's form
//!   (`url="..." ssrc=XXXXXXXX:seq=N;rtptime=N`), `Seek-Style` (RAP by
//!   default; Next is honoured by the caller through
//!   [`ServerEvent::Play`](server::ServerEvent::Play); CoRAP and
//!   First-Prior start at a random access point and are answered as
//!   RAP), a live Range start other than `now` refused with 456; PLAY in
//!   Play state without Range answers where it plays and changes
//!   nothing; PAUSE answers the `Range` it paused at and PLAY resumes
//!   there;
//! - PLAY_NOTIFY `end-of-stream` (with `Request-Status` of the PLAY,
//!   `Range` and `Session`) once the sender handed out its last packet
//!   and BYE; the client's answer is read and dropped.
//!
//! Typed headers parse and write: `Media-Properties`, `Accept-Ranges`,
//! `Seek-Style`, `Notify-Reason`, `Request-Status`, `Pipelined-Requests`,
//! feature tags, `Transport`'s `dest_addr`/`src_addr`, and RTP-Info in
//! both forms.
//!
//! Not supported (yet): `play.scale` and `play.speed` (`Scale`, `Speed`), PLAY_NOTIFY reasons
//! other than end-of-stream, REDIRECT and the server-to-client
//! GET/SET_PARAMETER, `Media-Range` and `Range` in units other than npt,
//! `Accept-Credentials`/`Connection-Credentials` (RTSPS proxies),
//! `Terminate-Reason`, `Notify-Reason` on TEARDOWN, several sessions per
//! connection, and multicast. RTSP 2.0 has no RECORD, so publishing
//! stays RTSP 1.0.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod dts;
pub mod error;
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod header;
pub mod message;
mod sdp_tracks;
pub mod server;
pub mod tunnel;
