//! De-chunking of `Transfer-Encoding: chunked` source bodies.
//!
//! Icecast never de-chunks, but Liquidsoap (`chunked=true`) and `curl -T -` send chunked
//! bodies, so we do. The decoder is incremental: feed it whatever the socket returned and
//! it appends the payload bytes to an output buffer. Size lines and trailers are bounded.

/// Longest chunk-size line (with extensions) accepted.
const MAX_LINE: usize = 1024;

/// A malformed chunked body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkedError {
    /// A chunk-size line is not hexadecimal.
    #[error("chunk size is not hexadecimal")]
    BadSize,
    /// A chunk-size line or trailer line is longer than allowed.
    #[error("chunk size line longer than {MAX_LINE} bytes")]
    LineTooLong,
    /// Chunk data was not followed by CRLF.
    #[error("chunk data not followed by a line end")]
    MissingLineEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a size line; the value so far and the line length so far.
    Size {
        value: u64,
        digits: usize,
        ext: bool,
        len: usize,
    },
    /// Copying this many payload bytes.
    Data(u64),
    /// Expecting the CR (optional) and LF after chunk data.
    DataEnd { seen_cr: bool },
    /// After the last chunk: trailer lines until an empty one.
    Trailer { len: usize },
    /// The body has ended.
    Done,
}

/// An incremental chunked-body decoder.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        ChunkedDecoder {
            state: State::Size {
                value: 0,
                digits: 0,
                ext: false,
                len: 0,
            },
        }
    }

    /// `true` once the terminating zero-size chunk (and trailer) has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes `input`, appending payload bytes to `out`. Bytes after the end of the body
    /// are ignored.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkedError> {
        let mut i = 0;
        while i < input.len() {
            match &mut self.state {
                State::Done => return Ok(()),
                State::Data(remaining) => {
                    let n = (*remaining).min((input.len() - i) as u64) as usize;
                    out.extend_from_slice(&input[i..i + n]);
                    i += n;
                    *remaining -= n as u64;
                    if *remaining == 0 {
                        self.state = State::DataEnd { seen_cr: false };
                    }
                }
                State::DataEnd { seen_cr } => {
                    match input[i] {
                        b'\r' if !*seen_cr => *seen_cr = true,
                        b'\n' => {
                            self.state = State::Size {
                                value: 0,
                                digits: 0,
                                ext: false,
                                len: 0,
                            }
                        }
                        _ => return Err(ChunkedError::MissingLineEnd),
                    }
                    i += 1;
                }
                State::Size {
                    value,
                    digits,
                    ext,
                    len,
                } => {
                    let b = input[i];
                    i += 1;
                    *len += 1;
                    if *len > MAX_LINE {
                        return Err(ChunkedError::LineTooLong);
                    }
                    match b {
                        b'\n' => {
                            if *digits == 0 {
                                return Err(ChunkedError::BadSize);
                            }
                            self.state = if *value == 0 {
                                State::Trailer { len: 0 }
                            } else {
                                State::Data(*value)
                            };
                        }
                        _ if *ext || b == b'\r' => {}
                        b';' => *ext = true,
                        b' ' | b'\t' if *digits > 0 => *ext = true,
                        b' ' | b'\t' => {}
                        _ => {
                            let d = (b as char).to_digit(16).ok_or(ChunkedError::BadSize)?;
                            if *digits == 15 {
                                return Err(ChunkedError::BadSize);
                            }
                            *value = *value * 16 + d as u64;
                            *digits += 1;
                        }
                    }
                }
                State::Trailer { len } => {
                    let b = input[i];
                    i += 1;
                    match b {
                        b'\n' if *len == 0 => self.state = State::Done,
                        b'\n' => *len = 0,
                        b'\r' => {}
                        _ => {
                            *len += 1;
                            if *len > MAX_LINE {
                                return Err(ChunkedError::LineTooLong);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], step: usize) -> Result<(Vec<u8>, bool), ChunkedError> {
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        for part in input.chunks(step) {
            d.decode(part, &mut out)?;
        }
        Ok((out, d.is_done()))
    }

    #[test]
    fn decodes_at_every_split() {
        let body = b"5\r\nhello\r\nA;ext=1\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nignored";
        for step in 1..body.len() {
            let (out, done) = decode_all(body, step).unwrap();
            assert_eq!(out, b"hello0123456789");
            assert!(done);
        }
    }

    #[test]
    fn bare_lf_accepted() {
        let (out, _) = decode_all(b"3\nabc\n0\n\n", 4).unwrap();
        assert_eq!(out, b"abc");
    }

    #[test]
    fn errors() {
        assert_eq!(decode_all(b"zz\r\n", 1), Err(ChunkedError::BadSize));
        assert_eq!(
            decode_all(b"3\r\nabcX", 1),
            Err(ChunkedError::MissingLineEnd)
        );
        assert_eq!(
            decode_all(b"ffffffffffffffffff\r\n", 1),
            Err(ChunkedError::BadSize)
        );
        assert_eq!(decode_all(&[b' '; 2000], 7), Err(ChunkedError::LineTooLong));
    }
}
