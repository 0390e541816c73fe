//! The request head: the first bytes of every connection on the main port.
//!
//! Real encoders are sloppy, so this parser is lenient where Icecast is: header lines may
//! end in `\r\n` or a bare `\n`, the head may end in `\r\n\r\n`, `\n\n` or `\r\r\n\r\r\n`,
//! header names are matched case-insensitively, and the protocol token may be `HTTP/x.y`
//! or `ICE/1.0`. Bytes after the head (audio sent in the same packet) are left to the
//! caller. The head is bounded in bytes and in lines, so a stranger cannot make us
//! allocate without limit.

/// Largest request head accepted, in bytes (Icecast allows 4096; browsers send more).
pub const DEFAULT_MAX_HEAD: usize = 8192;
/// Most header lines accepted.
pub const MAX_HEADER_LINES: usize = 64;

/// Why a request head was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeadError {
    /// The head did not end within the size limit.
    #[error("request head larger than {0} bytes")]
    TooLarge(usize),
    /// More header lines than [`MAX_HEADER_LINES`].
    #[error("more than {MAX_HEADER_LINES} header lines")]
    TooManyHeaders,
    /// The request line is not `METHOD TARGET PROTOCOL`.
    #[error("malformed request line")]
    BadRequestLine,
    /// The protocol token is neither `HTTP/x.y` nor `ICE/1.0`.
    #[error("unsupported protocol {0:?}")]
    BadProtocol(String),
    /// The head is not valid UTF-8 or Latin-1 text (contains control bytes).
    #[error("request head contains control bytes")]
    Binary,
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, as sent (`GET`, `SOURCE`, `PUT`, ...), upper-cased.
    pub method: String,
    /// The request target as sent, with its query string.
    pub target: String,
    /// The protocol token (`HTTP/1.1`, `ICE/1.0`).
    pub protocol: String,
    /// Header lines in order; names as sent.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first of several header names that is present and not empty.
    pub fn first_header(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .filter_map(|n| self.header(n))
            .find(|v| !v.is_empty())
    }

    /// The path part of the target (no query string), with a full URL reduced to its path.
    pub fn path(&self) -> &str {
        let mut t = self.target.as_str();
        if let Some(rest) = t
            .strip_prefix("http://")
            .or_else(|| t.strip_prefix("https://"))
        {
            t = rest.find('/').map_or("/", |i| &rest[i..]);
        }
        t.split(['?', '#']).next().unwrap_or("")
    }

    /// The raw query string (after `?`), empty when there is none.
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// `true` when the client asked for a `100 Continue` before sending its body.
    pub fn expects_continue(&self) -> bool {
        self.header("expect")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
    }

    /// `true` when the body is sent with `Transfer-Encoding: chunked`.
    pub fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }
}

/// Finds the end of a request head in `buf`.
///
/// Returns the length of the head including its terminator, or `None` when the head is
/// not complete yet. This is the cheap completeness check run on every read.
pub fn head_len(buf: &[u8]) -> Option<usize> {
    // A blank line is "\n" followed by optional "\r"s and "\n"; this covers "\r\n\r\n",
    // "\n\n", "\n\r\n" and the NSV "\r\r\n\r\r\n".
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            let mut j = i + 1;
            while j < buf.len() && buf[j] == b'\r' {
                j += 1;
            }
            if j < buf.len() && buf[j] == b'\n' {
                return Some(j + 1);
            }
        }
        i += 1;
    }
    None
}

/// Parses a request head from the start of `buf`.
///
/// `Ok(None)` means more bytes are needed (and `buf` is still within `max_head`);
/// `Ok(Some((head, n)))` means the head took `n` bytes and `buf[n..]` is body.
pub fn parse_head(buf: &[u8], max_head: usize) -> Result<Option<(RequestHead, usize)>, HeadError> {
    let Some(len) = head_len(&buf[..buf.len().min(max_head)]) else {
        return if buf.len() >= max_head {
            Err(HeadError::TooLarge(max_head))
        } else {
            Ok(None)
        };
    };
    let text = &buf[..len];
    let mut lines = text
        .split(|&b| b == b'\n')
        .map(trim_cr)
        .skip_while(|l| l.is_empty());
    let request_line = lines.next().ok_or(HeadError::BadRequestLine)?;
    let request_line = decode_text(request_line)?;
    let mut parts = request_line.split_ascii_whitespace();
    let method = parts
        .next()
        .ok_or(HeadError::BadRequestLine)?
        .to_ascii_uppercase();
    let target = parts.next().ok_or(HeadError::BadRequestLine)?.to_string();
    // HTTP/0.9-style "GET /x" with no protocol is treated as HTTP/1.0.
    let protocol = parts.next().unwrap_or("HTTP/1.0").to_string();
    if parts.next().is_some() {
        return Err(HeadError::BadRequestLine);
    }
    let upper = protocol.to_ascii_uppercase();
    if !(upper.starts_with("HTTP/") || upper.starts_with("ICE/")) {
        return Err(HeadError::BadProtocol(protocol));
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADER_LINES {
            return Err(HeadError::TooManyHeaders);
        }
        let line = decode_text(line)?;
        // A line without a colon is ignored, as Icecast's httpp does.
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() {
                headers.push((name.to_string(), value.trim().to_string()));
            }
        }
    }
    Ok(Some((
        RequestHead {
            method,
            target,
            protocol,
            headers,
        },
        len,
    )))
}

/// A parsed response head (what relays and the push client read from upstream servers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code (`ICY 200 OK` gives 200).
    pub status: u16,
    /// Header lines in order.
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `HTTP/1.x NNN reason` or `ICY NNN reason` and its headers.
pub fn parse_response_head(
    buf: &[u8],
    max_head: usize,
) -> Result<Option<(ResponseHead, usize)>, HeadError> {
    let Some(len) = head_len(&buf[..buf.len().min(max_head)]) else {
        return if buf.len() >= max_head {
            Err(HeadError::TooLarge(max_head))
        } else {
            Ok(None)
        };
    };
    let mut lines = buf[..len].split(|&b| b == b'\n').map(trim_cr);
    let status_line = decode_text(lines.next().ok_or(HeadError::BadRequestLine)?)?;
    let mut parts = status_line.split_ascii_whitespace();
    let proto = parts.next().ok_or(HeadError::BadRequestLine)?;
    if !(proto.starts_with("HTTP/") || proto == "ICY") {
        return Err(HeadError::BadProtocol(proto.to_string()));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(HeadError::BadRequestLine)?;
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADER_LINES {
            return Err(HeadError::TooManyHeaders);
        }
        if let Some((n, v)) = decode_text(line)?.split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Some((ResponseHead { status, headers }, len)))
}

fn trim_cr(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r'] = line {
        line = rest;
    }
    line
}

/// Header text is UTF-8 when valid, otherwise Latin-1 (old encoders send raw 8-bit names).
fn decode_text(line: &[u8]) -> Result<String, HeadError> {
    if line.iter().any(|&b| b < 0x20 && b != b'\t') {
        return Err(HeadError::Binary);
    }
    Ok(match std::str::from_utf8(line) {
        Ok(s) => s.to_string(),
        Err(_) => line.iter().map(|&b| b as char).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_head_with_body() {
        let buf = b"PUT /live HTTP/1.1\r\nContent-Type: audio/mpeg\r\n\r\nAUDIO";
        let (head, n) = parse_head(buf, DEFAULT_MAX_HEAD).unwrap().unwrap();
        assert_eq!(head.method, "PUT");
        assert_eq!(head.path(), "/live");
        assert_eq!(head.header("content-type"), Some("audio/mpeg"));
        assert_eq!(&buf[n..], b"AUDIO");
    }

    #[test]
    fn darkice_bare_lf_lines_and_crlf_end() {
        let buf = b"SOURCE /m ICE/1.0\nice-name: x\nContent-type: audio/mpeg\r\n\r\n\xff\xfb";
        let (head, n) = parse_head(buf, DEFAULT_MAX_HEAD).unwrap().unwrap();
        assert_eq!(head.protocol, "ICE/1.0");
        assert_eq!(head.header("Ice-Name"), Some("x"));
        assert_eq!(head.header("content-type"), Some("audio/mpeg"));
        assert_eq!(&buf[n..], b"\xff\xfb");
    }

    #[test]
    fn nsv_terminator_and_lf_only() {
        assert_eq!(head_len(b"GET / HTTP/1.0\r\r\n\r\r\nx"), Some(20));
        assert_eq!(head_len(b"GET / HTTP/1.0\n\nx"), Some(16));
        assert_eq!(head_len(b"GET / HTTP/1.0\r\n"), None);
    }

    #[test]
    fn partial_then_too_large() {
        assert_eq!(parse_head(b"GET / HTTP/1.0\r\nA: b", 64), Ok(None));
        let big = vec![b'a'; 64];
        assert_eq!(parse_head(&big, 64), Err(HeadError::TooLarge(64)));
    }

    #[test]
    fn bad_protocol_and_request_line() {
        assert!(matches!(
            parse_head(b"GET / FOO/1\r\n\r\n", 64),
            Err(HeadError::BadProtocol(_))
        ));
        assert_eq!(
            parse_head(b"GET\r\n\r\n", 64),
            Err(HeadError::BadRequestLine)
        );
    }

    #[test]
    fn full_url_target_and_query() {
        let (head, _) = parse_head(b"GET http://h:8000/m.mp3?x=1 HTTP/1.1\r\n\r\n", 64)
            .unwrap()
            .unwrap();
        assert_eq!(head.path(), "/m.mp3");
        assert_eq!(head.query(), "x=1");
    }
}
