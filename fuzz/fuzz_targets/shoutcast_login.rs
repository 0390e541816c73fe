//! The Shoutcast v1 login: a password line, then `icy-*` header lines, arriving in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radio_net::shoutcast::{MAX_LOGIN, header_block, password_line};

fuzz_target!(|data: &[u8]| {
    // Every prefix is a possible state of the receive buffer.
    for end in [data.len() / 3, data.len() / 2, data.len()] {
        let buf = &data[..end];
        if let Ok(Some((_, n))) = password_line(buf) {
            assert!(n <= buf.len() && n <= MAX_LOGIN);
            if let Ok(Some((headers, m))) = header_block(&buf[n..]) {
                assert!(m <= buf.len() - n && m <= MAX_LOGIN);
                assert!(headers.len() <= 64);
            }
        }
    }
});
