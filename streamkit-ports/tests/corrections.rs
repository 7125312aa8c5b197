//! The table the project started from said `21: SFTP`. These tests pin the
//! corrected facts so that they cannot quietly regress.

use streamkit_ports::{Registration, Transport, lookup, scheme, service, services_at};

fn names_at(port: u16, transport: Transport) -> Vec<&'static str> {
    services_at(port, transport).map(|s| s.name()).collect()
}

#[test]
fn port_21_is_ftp_control_not_sftp() {
    assert_eq!(names_at(21, Transport::Tcp), ["ftp"]);
    let ftp = service("ftp").unwrap();
    assert_eq!(ftp.ports().first(), 21);
    assert!(ftp.description().contains("control connection"));
    assert_eq!(ftp.reference(), Some("RFC 959"));
    assert_eq!(ftp.registration(), Registration::Iana);
    // 20 is FTP's data connection in active mode.
    assert_eq!(names_at(20, Transport::Tcp), ["ftp-data"]);
    // Nothing at 21, on any transport, is SFTP.
    for t in Transport::ALL {
        assert!(services_at(21, t).all(|s| !s.is_named("sftp")), "{t}");
    }
}

#[test]
fn sftp_runs_inside_ssh_on_22() {
    assert_eq!(names_at(22, Transport::Tcp), ["ssh", "sftp"]);
    let sftp = service("SFTP").unwrap();
    assert_eq!(sftp.ports().first(), 22);
    // SFTP has no port of its own: it is a subsystem of SSH.
    assert_eq!(sftp.registration(), Registration::Convention);
    assert_eq!(service("ssh").unwrap().registration(), Registration::Iana);
    assert_eq!(scheme("sftp").unwrap().default_port, Some(22));
    assert_eq!(scheme("ftp").unwrap().default_port, Some(21));
}

#[test]
fn port_465_is_submissions() {
    assert_eq!(names_at(465, Transport::Tcp), ["submissions"]);
    let s = service("submissions").unwrap();
    assert_eq!(s.reference(), Some("RFC 8314"));
    assert!(s.description().contains("implicit TLS"));
    assert!(std::ptr::eq(service("smtps").unwrap(), s));
    // 587 is plain submission (STARTTLS); 25 is relay.
    assert_eq!(names_at(587, Transport::Tcp), ["submission"]);
    assert_eq!(names_at(25, Transport::Tcp), ["smtp"]);
}

#[test]
fn the_starting_table_and_the_media_ports() {
    let expect: [(u16, &str); 21] = [
        (20, "ftp-data"),
        (21, "ftp"),
        (22, "ssh"),
        (25, "smtp"),
        (80, "http"),
        (110, "pop3"),
        (143, "imap"),
        (194, "irc"),
        (443, "https"),
        (465, "submissions"),
        (554, "rtsp"),
        (322, "rtsps"),
        (1935, "macromedia-fcs"),
        (1755, "ms-streaming"),
        (5004, "avt-profile-1"),
        (5005, "avt-profile-2"),
        (3478, "stun"),
        (5349, "stuns"),
        (5060, "sip"),
        (5061, "sips"),
        (8554, "rtsp-alt"),
    ];
    for (port, name) in expect {
        assert_eq!(
            names_at(port, Transport::Tcp).first(),
            Some(&name),
            "{port}"
        );
    }
    for (port, name) in [
        (554, "rtsp"),
        (1755, "ms-streaming"),
        (5004, "avt-profile-1"),
    ] {
        assert_eq!(
            names_at(port, Transport::Udp).first(),
            Some(&name),
            "{port}/udp"
        );
    }
    assert_eq!(names_at(5004, Transport::Dccp), ["avt-profile-1"]);
    assert_eq!(names_at(3478, Transport::Udp), ["stun", "turn"]);
    assert_eq!(names_at(5349, Transport::Tcp), ["stuns", "turns"]);
    assert_eq!(service("rtmp").unwrap().ports().first(), 1935);
    assert_eq!(service("mms").unwrap().ports().first(), 1755);
}

#[test]
fn the_example_queries() {
    let l = lookup("21").unwrap();
    assert_eq!(l.services().len(), 1);
    assert!(
        l.to_string()
            .contains("ftp 21/tcp/udp/sctp — File Transfer Protocol, control")
    );
    let l = lookup("rtmps").unwrap();
    let text = l.to_string();
    assert!(text.contains("rtmps:// default port 443/tcp"), "{text}");
    assert!(text.contains("RTMPS (RTMP over TLS)"), "{text}");
    let l = lookup("rtsp").unwrap();
    let text = l.to_string();
    assert!(text.contains("rtsp 554/tcp/udp"), "{text}");
    assert!(text.contains("rtsp:// default port 554/tcp"), "{text}");
    assert!(text.contains("RFC 7826 (RTSP 2.0, 2016)"), "{text}");
    assert!(lookup("sftp-on-21").is_none());
}
