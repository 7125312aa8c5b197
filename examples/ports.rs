//! What the ports registry knows about a port, service, URL scheme or
//! streaming protocol.
//!
//! ```text
//! cargo run --example ports -- 21
//! cargo run --example ports -- rtmps
//! cargo run --example ports -- rtsp
//! ```
//!
//! Exits with status 1 when the registry knows nothing about a query, and 2
//! when no query is given.

use std::process::ExitCode;

use streamkit::ports::lookup;

fn main() -> ExitCode {
    let queries: Vec<String> = std::env::args().skip(1).collect();
    if queries.is_empty() {
        eprintln!("usage: ports <port | service | scheme | protocol>...");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    for (i, query) in queries.iter().enumerate() {
        if i > 0 {
            println!();
        }
        match lookup(query) {
            Some(answer) => print!("{answer}"),
            None => {
                eprintln!(
                    "{query}: not a port, service, URL scheme or protocol the registry knows"
                );
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
