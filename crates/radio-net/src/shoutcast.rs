//! The Shoutcast v1 source login, as bytes: a password line, then `icy-*` header lines
//! and a blank line, then audio.
//!
//! Clients (BUTT, Winamp's DSP, libshout in ICY mode) send all of it without waiting for
//! the server's `OK2`, so these parsers take whatever has arrived and say how much they
//! used. Both are bounded by [`MAX_LOGIN`].

/// Longest password line or header block accepted, in bytes.
pub const MAX_LOGIN: usize = 8192;

/// A malformed Shoutcast v1 login.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The password line or header block did not end within [`MAX_LOGIN`] bytes.
    #[error("login longer than {MAX_LOGIN} bytes")]
    TooLong,
}

/// The password from the first line (`password\r\n`, bare `\n` accepted); `Ok(None)` until
/// the line is complete. DNAS 2's `password:#sid` stream selector is stripped.
pub fn password_line(buf: &[u8]) -> Parsed<String> {
    match buf.iter().take(MAX_LOGIN).position(|&b| b == b'\n') {
        Some(i) => {
            let line = String::from_utf8_lossy(&buf[..i]);
            let line = line.trim_end_matches('\r');
            let password = line.split(":#").next().unwrap_or("").to_string();
            Ok(Some((password, i + 1)))
        }
        None if buf.len() >= MAX_LOGIN => Err(LoginError::TooLong),
        None => Ok(None),
    }
}

/// What a login parser returns: the value and the bytes it took, or `None` until
/// complete.
pub type Parsed<T> = Result<Option<(T, usize)>, LoginError>;

/// Header lines as `(name, value)` pairs, in order.
pub type Headers = Vec<(String, String)>;

/// The `icy-*` header lines up to the blank line, and the bytes they took; `Ok(None)`
/// until the blank line has arrived.
pub fn header_block(buf: &[u8]) -> Parsed<Headers> {
    let window = &buf[..buf.len().min(MAX_LOGIN)];
    let end = if window.starts_with(b"\r\n") {
        Some(2)
    } else if window.starts_with(b"\n") {
        Some(1)
    } else {
        crate::request::head_len(window)
    };
    let Some(end) = end else {
        return if buf.len() >= MAX_LOGIN {
            Err(LoginError::TooLong)
        } else {
            Ok(None)
        };
    };
    let headers = buf[..end]
        .split(|&b| b == b'\n')
        .filter_map(|l| {
            let l = String::from_utf8_lossy(l);
            let (k, v) = l.trim_end_matches('\r').split_once(':')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .filter(|(k, _)| !k.is_empty())
        .take(crate::request::MAX_HEADER_LINES)
        .collect();
    Ok(Some((headers, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelined_login() {
        let buf = b"pw:#1\r\nicy-name:X\r\nicy-br:128\r\n\r\nAUDIO";
        let (pw, n) = password_line(buf).unwrap().unwrap();
        assert_eq!(pw, "pw");
        let (h, m) = header_block(&buf[n..]).unwrap().unwrap();
        assert_eq!(
            h,
            [
                ("icy-name".into(), "X".into()),
                ("icy-br".into(), "128".into())
            ]
        );
        assert_eq!(&buf[n + m..], b"AUDIO");
        assert_eq!(header_block(b"\r\nAUDIO").unwrap().unwrap().1, 2);
        assert_eq!(password_line(b"partial").unwrap(), None);
        assert_eq!(password_line(&[b'a'; MAX_LOGIN]), Err(LoginError::TooLong));
        assert_eq!(header_block(&[b'a'; MAX_LOGIN]), Err(LoginError::TooLong));
    }
}
