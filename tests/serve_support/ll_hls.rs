//! A minimal LL-HLS follower over HTTP/1.1 keep-alive, as players follow a
//! live playlist: join with a plain playlist request, then for each hinted
//! part a blocking playlist reload (which must list it) and the part.
#![allow(dead_code)] // each test file uses its own part
#![allow(clippy::disallowed_methods)] // followers stop at a wall-clock instant

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One HTTP/1.1 keep-alive connection: GET, status and body
/// (Content-Length or chunked).
pub(crate) struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    pub(crate) fn open(addr: SocketAddr) -> Connection {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).unwrap();
        // A hang guard: a held reload lasts at most three target durations.
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Connection {
            reader: BufReader::new(stream),
        }
    }

    pub(crate) fn get(&mut self, target: &str) -> Result<(u16, Vec<u8>), String> {
        let request = format!("GET {target} HTTP/1.1\r\nHost: edge\r\n\r\n");
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .map_err(|e| format!("{target}: send: {e}"))?;
        let mut line = String::new();
        let read_line = |r: &mut BufReader<TcpStream>, line: &mut String| {
            line.clear();
            r.read_line(line).map_err(|e| format!("{target}: {e}"))?;
            if line.is_empty() {
                return Err(format!("{target}: connection closed"));
            }
            Ok::<(), String>(())
        };
        read_line(&mut self.reader, &mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or(format!("{target}: bad status line {line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            read_line(&mut self.reader, &mut line)?;
            let l = line.trim_end().to_ascii_lowercase();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            }
            if l.starts_with("transfer-encoding:") && l.contains("chunked") {
                chunked = true;
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                read_line(&mut self.reader, &mut line)?;
                let size = usize::from_str_radix(line.trim_end(), 16)
                    .map_err(|e| format!("{target}: chunk size {line:?}: {e}"))?;
                let mut chunk = vec![0; size + 2];
                self.reader
                    .read_exact(&mut chunk)
                    .map_err(|e| format!("{target}: {e}"))?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            let n = length.ok_or(format!("{target}: no length"))?;
            body.resize(n, 0);
            self.reader
                .read_exact(&mut body)
                .map_err(|e| format!("{target}: {e}"))?;
        }
        Ok((status, body))
    }
}

/// A part by `(segment, part)`.
pub(crate) type PartName = (u64, u64);

/// `(segment, part)` of a part name `seg-M.P.m4s`.
pub(crate) fn part_of(uri: &str) -> Option<PartName> {
    let rest = uri.strip_prefix("seg-")?.strip_suffix(".m4s")?;
    let (m, p) = rest.split_once('.')?;
    Some((m.parse().ok()?, p.parse().ok()?))
}

/// The parts a media playlist lists (in order) and the part it hints.
pub(crate) fn parts_and_hint(playlist: &str) -> (Vec<PartName>, Option<PartName>) {
    let uri = |l: &str| {
        let start = l.find("URI=\"")? + 5;
        let end = start + l[start..].find('"')?;
        part_of(&l[start..end])
    };
    let parts = playlist
        .lines()
        .filter(|l| l.starts_with("#EXT-X-PART:"))
        .filter_map(uri)
        .collect();
    let hint = playlist
        .lines()
        .find(|l| l.starts_with("#EXT-X-PRELOAD-HINT:") && l.contains("TYPE=PART"))
        .and_then(uri);
    (parts, hint)
}

/// What one follower did.
#[derive(Debug, Default)]
pub(crate) struct Followed {
    /// Parts fetched, in order.
    pub(crate) parts: Vec<(u64, u64)>,
    pub(crate) errors: Vec<String>,
}

/// Follows `rendition`'s playlist through `edge` until `until`: joins
/// with a plain request, then for each hinted part a blocking reload
/// (which must list it) and the part itself (which must be a non-empty
/// 200).
pub(crate) fn follow(edge: SocketAddr, live: &str, rendition: &str, until: Instant) -> Followed {
    let mut out = Followed::default();
    let dir = format!("{live}/{rendition}");
    let mut c = Connection::open(edge);
    let fail = |out: &mut Followed, e: String| {
        out.errors.push(e);
    };
    let playlist = match c.get(&format!("{dir}/index.m3u8")) {
        Ok((200, body)) => String::from_utf8(body).unwrap(),
        Ok((status, _)) => {
            fail(&mut out, format!("join: {status}"));
            return out;
        }
        Err(e) => {
            fail(&mut out, e);
            return out;
        }
    };
    match c.get(&format!("{dir}/init.mp4")) {
        Ok((200, body)) if !body.is_empty() => {}
        other => fail(&mut out, format!("init: {other:?}")),
    }
    let (_, mut hint) = parts_and_hint(&playlist);
    while Instant::now() < until {
        let Some((msn, part)) = hint else {
            fail(&mut out, "no preload hint".into());
            break;
        };
        let playlist = match c.get(&format!("{dir}/index.m3u8?_HLS_msn={msn}&_HLS_part={part}")) {
            Ok((200, body)) => String::from_utf8(body).unwrap(),
            other => {
                fail(&mut out, format!("reload for {msn}.{part}: {other:?}"));
                break;
            }
        };
        let (parts, next) = parts_and_hint(&playlist);
        if !parts.contains(&(msn, part)) {
            fail(
                &mut out,
                format!("reload for {msn}.{part} does not list it"),
            );
            break;
        }
        match c.get(&format!("{dir}/seg-{msn}.{part}.m4s")) {
            Ok((200, body)) if !body.is_empty() => out.parts.push((msn, part)),
            other => {
                fail(
                    &mut out,
                    format!("part {msn}.{part}: {:?}", other.map(|o| o.0)),
                );
                break;
            }
        }
        hint = next;
    }
    out
}
