//! Query strings, percent-decoding, text charsets and HTTP Basic credentials.
//!
//! Metadata arrives as `/admin/metadata?mode=updinfo&song=Caf%E9&charset=ISO-8859-1`;
//! the bytes of `song` are in whatever charset the encoder names (or none). Titles are
//! stored as Rust strings, decoded exactly once here, so the JSON status and the ICY
//! stream can each encode them properly (no mojibake).

use base64::Engine as _;
use std::borrow::Cow;

/// Decoded `key=value` pairs of a query string; values stay bytes until a charset is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, Vec<u8>)>,
}

impl Query {
    /// Parses `a=b&c=d` (`+` is a space, `%XX` a byte). Malformed escapes are kept as-is.
    pub fn parse(q: &str) -> Query {
        let pairs = q
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (
                    String::from_utf8_lossy(&percent_decode(k)).into_owned(),
                    percent_decode(v),
                )
            })
            .collect();
        Query { pairs }
    }

    /// The raw bytes of the first value named `key`.
    pub fn bytes(&self, key: &str) -> Option<&[u8]> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// The first value named `key`, decoded as UTF-8 (or Latin-1 if it is not UTF-8).
    pub fn get(&self, key: &str) -> Option<String> {
        self.bytes(key).map(|b| decode_text(b, None))
    }

    /// The first value named `key`, decoded from `charset`.
    pub fn get_in(&self, key: &str, charset: Option<&str>) -> Option<String> {
        self.bytes(key).map(|b| decode_text(b, charset))
    }
}

/// Percent-decodes a query component (`+` → space).
pub fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Decodes text bytes from the named charset.
///
/// With no charset (or an unknown one) the bytes are taken as UTF-8 when they are valid
/// UTF-8, otherwise as Latin-1 — which is what encoders that do not say mean in practice.
pub fn decode_text(bytes: &[u8], charset: Option<&str>) -> String {
    if let Some(enc) = charset.and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes())) {
        let (text, _, _) = enc.decode(bytes);
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Encodes text into the named charset for the ICY stream (UTF-8 unless named).
///
/// Characters the charset cannot hold become `?`, never HTML entities.
pub fn encode_text<'a>(text: &'a str, charset: &str) -> Cow<'a, [u8]> {
    let label = charset.trim().to_ascii_lowercase();
    if label.is_empty() || label == "utf-8" || label == "utf8" {
        return Cow::Borrowed(text.as_bytes());
    }
    if matches!(
        label.as_str(),
        "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1"
    ) {
        // encoding_rs maps ISO-8859-1 to windows-1252; true Latin-1 is a plain cast.
        return Cow::Owned(
            text.chars()
                .map(|c| if (c as u32) < 256 { c as u8 } else { b'?' })
                .collect(),
        );
    }
    match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(enc) if enc != encoding_rs::UTF_8 => {
            let mut out = Vec::with_capacity(text.len());
            for c in text.chars() {
                let mut buf = [0u8; 4];
                let (bytes, _, unmappable) = enc.encode(c.encode_utf8(&mut buf));
                if unmappable {
                    out.push(b'?');
                } else {
                    out.extend_from_slice(&bytes);
                }
            }
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(text.as_bytes()),
    }
}

/// Whether titles can be encoded into this charset (a WHATWG label, or Latin-1).
pub fn charset_known(label: &str) -> bool {
    encoding_rs::Encoding::for_label(label.trim().as_bytes()).is_some()
}

/// User and password from an `Authorization: Basic ...` header value.
pub fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = decode_text(&raw, None);
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// The value of an `Authorization: Basic` header for these credentials.
pub fn basic_header(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Escapes text for HTML and XML bodies.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding_and_charsets() {
        let q = Query::parse("mode=updinfo&song=Caf%E9+%26+O%27Neil&charset=ISO-8859-1&bad=%G1%");
        assert_eq!(q.get("mode").as_deref(), Some("updinfo"));
        assert_eq!(q.bytes("song"), Some(&b"Caf\xe9 & O'Neil"[..]));
        assert_eq!(
            q.get_in("song", Some("ISO-8859-1")).as_deref(),
            Some("Café & O'Neil")
        );
        // Without a charset, invalid UTF-8 falls back to Latin-1.
        assert_eq!(q.get("song").as_deref(), Some("Café & O'Neil"));
        assert_eq!(q.bytes("bad"), Some(&b"%G1%"[..]));
        let utf8 = Query::parse("song=Caf%C3%A9");
        assert_eq!(utf8.get("song").as_deref(), Some("Café"));
    }

    #[test]
    fn icy_encoding() {
        assert_eq!(&*encode_text("Café", "UTF-8"), "Café".as_bytes());
        assert_eq!(&*encode_text("Café €", "ISO-8859-1"), b"Caf\xe9 ?");
    }

    #[test]
    fn basic_auth() {
        let h = basic_header("source", "hack:me");
        assert_eq!(
            parse_basic(&h),
            Some(("source".to_string(), "hack:me".to_string()))
        );
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }
}
