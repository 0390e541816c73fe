//! ICY (Shoutcast) in-band metadata.
//!
//! A listener that sends `Icy-MetaData: 1` gets, after every `metaint` audio bytes, one
//! length byte `L` and `L × 16` bytes of text, `StreamTitle='...';` padded with NULs.
//! `L = 0` means "unchanged". Apostrophes are not escaped (Icecast does not either, and
//! players split on `';`). The longest block is 255 × 16 = 4080 bytes.

use bytes::Bytes;

/// Largest metadata text in bytes.
pub const MAX_META: usize = 255 * 16;

/// A title as listeners see it: the text for status pages and the encoded ICY block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The title text (`Artist - Title`), for status pages.
    pub title: String,
    /// The artist, when known separately (Ogg comments, `artist=`).
    pub artist: Option<String>,
    /// The complete ICY block: length byte, text, NUL padding.
    pub icy_block: Bytes,
}

/// Why a metadata update was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetaError {
    /// The encoded block would exceed [`MAX_META`] bytes.
    #[error("metadata longer than {MAX_META} bytes")]
    TooLong,
}

impl Meta {
    /// The empty title (`StreamTitle='';`).
    pub fn empty() -> Meta {
        Meta::new(String::new(), None, None, "UTF-8").expect("the empty title fits")
    }

    /// Builds a title, its ICY block encoded in `charset`.
    pub fn new(
        title: String,
        artist: Option<String>,
        url: Option<&str>,
        charset: &str,
    ) -> Result<Meta, MetaError> {
        let mut text = b"StreamTitle='".to_vec();
        text.extend_from_slice(&crate::query::encode_text(&title, charset));
        text.extend_from_slice(b"';");
        if let Some(url) = url {
            text.extend_from_slice(b"StreamUrl='");
            text.extend_from_slice(&crate::query::encode_text(url, charset));
            text.extend_from_slice(b"';");
        }
        // Icecast's length: the text plus a terminating NUL, rounded up to 16.
        let blocks = text.len() / 16 + 1;
        if blocks > 255 {
            return Err(MetaError::TooLong);
        }
        let mut block = Vec::with_capacity(1 + blocks * 16);
        block.push(blocks as u8);
        block.extend_from_slice(&text);
        block.resize(1 + blocks * 16, 0);
        Ok(Meta {
            title,
            artist,
            icy_block: Bytes::from(block),
        })
    }
}

/// Reads `StreamTitle` out of an ICY block's text (used by relays).
pub fn parse_stream_title(text: &[u8]) -> Option<Vec<u8>> {
    let text = &text[..text.iter().position(|&b| b == 0).unwrap_or(text.len())];
    let start = text.windows(13).position(|w| w == b"StreamTitle='")? + 13;
    let rest = &text[start..];
    let end = rest
        .windows(2)
        .position(|w| w == b"';")
        .unwrap_or(rest.len());
    Some(rest[..end].to_vec())
}

/// Strips interleaved ICY metadata from a stream (the relay side of [`Meta`]).
#[derive(Debug, Clone)]
pub struct IcyReader {
    metaint: usize,
    /// Audio bytes left before the next length byte.
    until_meta: usize,
    /// Metadata bytes still to read, and what was read so far.
    meta_left: usize,
    meta: Vec<u8>,
    in_meta: bool,
}

impl IcyReader {
    /// A reader for a stream with this `icy-metaint`.
    pub fn new(metaint: usize) -> IcyReader {
        IcyReader {
            metaint,
            until_meta: metaint,
            meta_left: 0,
            meta: Vec::new(),
            in_meta: false,
        }
    }

    /// Splits `input` into audio (appended to `audio`) and complete metadata blocks
    /// (their text appended to `titles`).
    pub fn feed(&mut self, mut input: &[u8], audio: &mut Vec<u8>, titles: &mut Vec<Vec<u8>>) {
        while !input.is_empty() {
            if self.in_meta {
                let n = self.meta_left.min(input.len());
                self.meta.extend_from_slice(&input[..n]);
                input = &input[n..];
                self.meta_left -= n;
                if self.meta_left == 0 {
                    self.in_meta = false;
                    self.until_meta = self.metaint;
                    titles.push(std::mem::take(&mut self.meta));
                }
            } else if self.until_meta == 0 {
                let len = input[0] as usize * 16;
                input = &input[1..];
                if len == 0 {
                    self.until_meta = self.metaint;
                } else {
                    self.in_meta = true;
                    self.meta_left = len;
                }
            } else {
                let n = self.until_meta.min(input.len());
                audio.extend_from_slice(&input[..n]);
                input = &input[n..];
                self.until_meta -= n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_layout() {
        let m = Meta::new("Artist O'Neil - Café".into(), None, None, "UTF-8").unwrap();
        let b = &m.icy_block;
        assert_eq!((b.len() - 1) % 16, 0);
        assert_eq!(b[0] as usize * 16, b.len() - 1);
        assert!(b[1..].starts_with("StreamTitle='Artist O'Neil - Café';".as_bytes()));
        assert_eq!(*b.last().unwrap(), 0);
        assert_eq!(&Meta::empty().icy_block[..], b"\x01StreamTitle='';\0");
    }

    #[test]
    fn length_limit() {
        assert!(Meta::new("x".repeat(4000), None, None, "UTF-8").is_ok());
        assert_eq!(
            Meta::new("x".repeat(4080), None, None, "UTF-8"),
            Err(MetaError::TooLong)
        );
    }

    #[test]
    fn reader_roundtrip() {
        let m = Meta::new("Hello".into(), None, None, "UTF-8").unwrap();
        let mut stream = Vec::new();
        for i in 0..3u8 {
            stream.extend(std::iter::repeat_n(i, 10));
            if i == 0 {
                stream.extend_from_slice(&m.icy_block);
            } else {
                stream.push(0);
            }
        }
        for step in 1..stream.len() {
            let mut r = IcyReader::new(10);
            let (mut audio, mut titles) = (Vec::new(), Vec::new());
            for part in stream.chunks(step) {
                r.feed(part, &mut audio, &mut titles);
            }
            assert_eq!(audio.len(), 30);
            assert_eq!(titles.len(), 1);
            assert_eq!(parse_stream_title(&titles[0]).unwrap(), b"Hello");
        }
    }
}
