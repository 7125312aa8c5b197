//! Writing SDP: canonical lines with CRLF ends, after checking that no
//! field breaks the syntax.

use core::fmt::Write as _;

use super::*;

impl SessionDescription {
    /// Writes the description with CRLF line ends, in the order of RFC 8866
    /// section 5. An empty session name is written as `s= `.
    pub fn write(&self) -> Result<String, SdpError> {
        let mut out = String::new();
        self.write_to(&mut out)?;
        Ok(out)
    }

    /// Appends the written description to `out` (see [`write`]); on error
    /// `out` may hold part of it.
    ///
    /// [`write`]: SessionDescription::write
    pub fn write_to(&self, out: &mut String) -> Result<(), SdpError> {
        if self.times.is_empty() {
            return Err(SdpError::Unwritable {
                field: "t=",
                what: "a description needs at least one time description",
            });
        }
        line(out, 'v', &[Field::Num(u64::from(self.version))])?;
        let o = &self.origin;
        line(
            out,
            'o',
            &[
                Field::Token("o= username", &o.username),
                Field::Token("o= sess-id", &o.session_id),
                Field::Token("o= sess-version", &o.session_version),
                Field::Token("o= nettype", &o.net_type),
                Field::Token("o= addrtype", &o.addr_type),
                Field::Token("o= unicast-address", &o.unicast_address),
            ],
        )?;
        if self.session_name.is_empty() {
            out.push_str("s= \r\n");
        } else {
            line(out, 's', &[Field::Text("s=", &self.session_name)])?;
        }
        if let Some(i) = &self.information {
            line(out, 'i', &[Field::Text("i=", i)])?;
        }
        if let Some(u) = &self.uri {
            line(out, 'u', &[Field::Text("u=", u)])?;
        }
        for e in &self.emails {
            line(out, 'e', &[Field::Text("e=", e)])?;
        }
        for p in &self.phones {
            line(out, 'p', &[Field::Text("p=", p)])?;
        }
        if let Some(c) = &self.connection {
            write_connection(out, c)?;
        }
        for b in &self.bandwidths {
            write_bandwidth(out, b)?;
        }
        for t in &self.times {
            line(out, 't', &[Field::Num(t.start), Field::Num(t.stop)])?;
            for r in &t.repeats {
                line(out, 'r', &[Field::Text("r=", r)])?;
            }
        }
        if let Some(z) = &self.time_zones {
            line(out, 'z', &[Field::Text("z=", z)])?;
        }
        if let Some(k) = &self.key {
            line(out, 'k', &[Field::Text("k=", k)])?;
        }
        for a in self.attributes.iter() {
            write_attribute(out, a)?;
        }
        for m in &self.media {
            write_media(out, m)?;
        }
        Ok(())
    }
}

enum Field<'a> {
    /// A single token: non-empty, no space, no control characters.
    Token(&'static str, &'a str),
    /// Free text: no CR, LF or NUL, no trailing space or tab, not empty.
    Text(&'static str, &'a str),
    Num(u64),
}

fn check_text(field: &'static str, s: &str) -> Result<(), SdpError> {
    if s.contains(['\r', '\n', '\0']) {
        return Err(SdpError::Unwritable {
            field,
            what: "contains CR, LF or NUL",
        });
    }
    if s.ends_with([' ', '\t']) {
        return Err(SdpError::Unwritable {
            field,
            what: "ends with a space or tab, which readers strip",
        });
    }
    Ok(())
}

fn check_token(field: &'static str, s: &str) -> Result<(), SdpError> {
    if s.is_empty() {
        return Err(SdpError::Unwritable {
            field,
            what: "is empty",
        });
    }
    if s.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(SdpError::Unwritable {
            field,
            what: "contains a space or control character",
        });
    }
    Ok(())
}

fn line(out: &mut String, kind: char, fields: &[Field<'_>]) -> Result<(), SdpError> {
    out.push(kind);
    out.push('=');
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match f {
            Field::Token(name, s) => {
                check_token(name, s)?;
                out.push_str(s);
            }
            Field::Text(name, s) => {
                check_text(name, s)?;
                if s.is_empty() {
                    return Err(SdpError::Unwritable {
                        field: name,
                        what: "is empty",
                    });
                }
                out.push_str(s);
            }
            Field::Num(n) => {
                let _ = write!(out, "{n}");
            }
        }
    }
    out.push_str("\r\n");
    Ok(())
}

fn write_connection(out: &mut String, c: &Connection) -> Result<(), SdpError> {
    line(
        out,
        'c',
        &[
            Field::Token("c= nettype", &c.net_type),
            Field::Token("c= addrtype", &c.addr_type),
            Field::Token("c= connection-address", &c.address),
        ],
    )
}

fn write_bandwidth(out: &mut String, b: &Bandwidth) -> Result<(), SdpError> {
    check_token("b= bwtype", &b.bw_type)?;
    if b.bw_type.contains(':') {
        return Err(SdpError::Unwritable {
            field: "b= bwtype",
            what: "contains `:`",
        });
    }
    let _ = write!(out, "b={}:{}\r\n", b.bw_type, b.bandwidth);
    Ok(())
}

fn write_attribute(out: &mut String, a: &Attribute) -> Result<(), SdpError> {
    check_token("a= name", &a.name)?;
    if a.name.contains(':') {
        return Err(SdpError::Unwritable {
            field: "a= name",
            what: "contains `:`",
        });
    }
    out.push_str("a=");
    out.push_str(&a.name);
    if let Some(v) = &a.value {
        check_text("a= value", v)?;
        out.push(':');
        out.push_str(v);
    }
    out.push_str("\r\n");
    Ok(())
}

fn write_media(out: &mut String, m: &MediaDescription) -> Result<(), SdpError> {
    check_token("m= media", &m.media)?;
    check_token("m= proto", &m.protocol)?;
    let _ = write!(out, "m={} {}", m.media, m.port);
    if let Some(n) = m.num_ports {
        let _ = write!(out, "/{n}");
    }
    out.push(' ');
    out.push_str(&m.protocol);
    for f in &m.formats {
        check_token("m= fmt", f)?;
        out.push(' ');
        out.push_str(f);
    }
    out.push_str("\r\n");
    if let Some(i) = &m.information {
        line(out, 'i', &[Field::Text("i=", i)])?;
    }
    for c in &m.connections {
        write_connection(out, c)?;
    }
    for b in &m.bandwidths {
        write_bandwidth(out, b)?;
    }
    if let Some(k) = &m.key {
        line(out, 'k', &[Field::Text("k=", k)])?;
    }
    for a in m.attributes.iter() {
        write_attribute(out, a)?;
    }
    Ok(())
}
