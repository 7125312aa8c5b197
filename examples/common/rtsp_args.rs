//! The command-line options rtsp_pull and rtsp_push share: `--transport
//! udp|tcp`, `--tunnel`, `--insecure`, `--ca ROOTS.pem` and `--help`, and
//! the `rtsph://` URL that means `rtsp://` through the tunnel.

use crate::rtsp_client::{ConnectOptions, rtsph_url};

/// The shared options as given.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientArgs {
    /// `--transport udp` (TCP, interleaved, by default).
    pub(crate) udp: bool,
    /// How to reach the server.
    pub(crate) options: ConnectOptions,
}

/// What [`ClientArgs::take`] did with an argument.
pub(crate) enum Arg {
    /// A shared option, with its value.
    Taken,
    /// Not a shared option: the program's own.
    Other(String),
    /// `--help`, or a shared option without its value: print the usage.
    Usage,
}

impl ClientArgs {
    /// Takes `arg` when it is a shared option (its value from `rest`).
    pub(crate) fn take(&mut self, arg: String, rest: &mut impl Iterator<Item = String>) -> Arg {
        match arg.as_str() {
            "--transport" => match rest.next().as_deref() {
                Some("udp") => self.udp = true,
                Some("tcp") => self.udp = false,
                _ => return Arg::Usage,
            },
            "--tunnel" => self.options.tunnel = true,
            "--insecure" => self.options.insecure = true,
            "--ca" => match rest.next() {
                Some(path) => self.options.roots = Some(path.into()),
                None => return Arg::Usage,
            },
            "--help" | "-h" => return Arg::Usage,
            _ => return Arg::Other(arg),
        }
        Arg::Taken
    }

    /// The URL to request: an `rtsph://` one as `rtsp://`, through the
    /// tunnel.
    pub(crate) fn url(&mut self, url: &str) -> String {
        match rtsph_url(url) {
            Some(rtsp) => {
                self.options.tunnel = true;
                rtsp
            }
            None => url.to_owned(),
        }
    }
}
