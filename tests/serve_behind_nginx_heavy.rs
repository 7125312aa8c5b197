//! Heavy: examples/serve behind Debian's nginx as a caching reverse proxy
//! (`proxy_cache`, `proxy_cache_lock on`; the configuration README's
//! "Behind a CDN or nginx" gives), with 200 LL-HLS clients following the
//! live channel's video and audio playlists through it for 20 s (400
//! followers: blocking playlist reloads for the part the playlist hints,
//! then that part).
//!
//! Asserts that every follower advances part by part, with no gap and no
//! error, and that serve sees one request per follower to join (a playlist
//! without delivery directives is fresh for less than a part, so nginx
//! passes it on) and then at most a few per new part: the cache answers the
//! rest, keyed by the query of each blocking reload. The measured numbers
//! are printed.
//!
//! It starts 400 threads and runs about 25 s; its hang guards are
//! generous, and no assertion bounds a time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests measure real time

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "serve_support/server.rs"]
mod server;
use server::Server;
#[path = "serve_support/ll_hls.rs"]
mod ll_hls;
use ll_hls::{Followed, follow};

const CLIENTS: usize = 200;
const RUN: Duration = Duration::from_secs(20);
const LIVE: &str = "/live/h264_aac";

/// nginx as a caching reverse proxy in front of `upstream`, in `dir`.
struct Nginx {
    child: Child,
    addr: SocketAddr,
}

impl Nginx {
    fn start(dir: &Path, upstream: SocketAddr) -> Nginx {
        let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .expect("nginx is needed (scripts/test installs nginx-light)");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let d = dir.display();
        let config = format!(
            r#"daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{}
    upstream serve {{
        server {upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://serve;
{}
        }}
    }}
}}
"#,
            cache_config_http(&format!("{d}/cache")),
            cache_config_location()
        );
        std::fs::write(dir.join("nginx.conf"), config).unwrap();
        let child = Command::new(bin)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        // nginx listens once it has read its configuration (a hang guard).
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not listen: {}",
                std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Nginx { child, addr }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `http` part of README's configuration.
fn cache_config_http(cache_dir: &str) -> String {
    format!(
        r#"    proxy_cache_path {cache_dir} levels=1:2 keys_zone=live:10m max_size=1g inactive=1m use_temp_path=off;
    # Media playlists asked for without delivery directives are fresh for
    # less than a part: pass them on (nginx keeps whole seconds, and its
    # lock would make such requests wait for each other).
    map "$uri:$arg__HLS_msn" $playlist_without_directives {{
        "~\.m3u8:$" 1;
        default 0;
    }}"#
    )
}

/// The `location` part of README's configuration.
fn cache_config_location() -> &'static str {
    r#"            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache live;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 10s;
            proxy_cache_lock_age 10s;
            proxy_cache_bypass $playlist_without_directives;
            proxy_no_cache $playlist_without_directives;
            proxy_read_timeout 30s;
            add_header X-Cache-Status $upstream_cache_status;"#
}

#[test]
fn heavy_200_ll_hls_clients_through_nginx_proxy_cache() {
    let serve = Server::start_logged(&["--log", "debug"]);
    let log = serve.log.clone().unwrap();
    let dir = std::env::temp_dir().join(format!("serve-nginx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let nginx = Nginx::start(&dir, serve.addr);

    let until = Instant::now() + RUN;
    let followers: Vec<_> = (0..CLIENTS)
        .flat_map(|_| ["video", "audio"])
        .map(|rendition| {
            let edge = nginx.addr;
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || (rendition, follow(edge, LIVE, rendition, until)))
                .unwrap()
        })
        .collect();
    let results: Vec<(&str, Followed)> = followers.into_iter().map(|f| f.join().unwrap()).collect();
    drop(nginx);

    // Every follower advanced part by part, with no error and no gap.
    let mut made = std::collections::BTreeSet::new();
    let mut fewest = usize::MAX;
    for (i, (rendition, f)) in results.iter().enumerate() {
        assert!(
            f.errors.is_empty(),
            "follower {i} ({rendition}): {:?}",
            f.errors
        );
        assert!(
            f.parts.len() >= 2,
            "follower {i} ({rendition}) did not advance: {:?}",
            f.parts
        );
        for pair in f.parts.windows(2) {
            let ((m0, p0), (m1, p1)) = (pair[0], pair[1]);
            assert!(
                (m1 == m0 && p1 == p0 + 1) || (m1 == m0 + 1 && p1 == 0),
                "follower {i} ({rendition}): {m0}.{p0} then {m1}.{p1}"
            );
        }
        fewest = fewest.min(f.parts.len());
        made.extend(f.parts.iter().map(|p| (*rendition, *p)));
    }
    // Parts made while the clients followed, over both renditions: every
    // one was fetched by some follower.
    let new_parts = made.len();

    // What reached serve (its request log at debug).
    let lines = log.lines();
    let requests: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(" request ") && l.contains(&format!("path=\"{LIVE}/")))
        .collect();
    let joins = requests
        .iter()
        .filter(|l| l.contains("index.m3u8") && l.contains("query=\"\""))
        .count();
    let reloads = requests.iter().filter(|l| l.contains("_HLS_msn=")).count();
    let media = requests
        .iter()
        .filter(|l| l.contains(".m4s") || l.contains(".mp4"))
        .count();
    let not_ok = requests
        .iter()
        .filter(|l| !l.contains("status=200"))
        .count();
    let per_part = (reloads + media) as f64 / new_parts as f64;
    eprintln!(
        "{} followers; fewest parts followed {fewest}; {new_parts} new parts; serve saw {} requests: \
         {joins} joins, {reloads} blocking reloads, {media} parts and init segments, {not_ok} not 200: \
         {per_part:.2} per new part after the joins",
        results.len(),
        requests.len()
    );
    assert_eq!(not_ok, 0);
    assert_eq!(
        joins,
        2 * CLIENTS,
        "one plain playlist request per follower"
    );
    assert!(
        per_part <= 3.0,
        "{per_part:.2} requests per new part reached serve"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
