//! Fuzzes the request-head parser every connection on the main port goes through
//! (and the Shoutcast v1 handshake's `head_len`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use radio_net::request::{DEFAULT_MAX_HEAD, MAX_HEADER_LINES, head_len, parse_head};

fuzz_target!(|data: &[u8]| {
    match parse_head(data, DEFAULT_MAX_HEAD) {
        Ok(Some((head, n))) => {
            assert!(
                n <= data.len(),
                "head length {n} past the input ({})",
                data.len()
            );
            assert!(n <= DEFAULT_MAX_HEAD);
            // The head ends where the cheap completeness check says it does.
            assert_eq!(head_len(&data[..n]), Some(n));
            assert!(head.headers.len() <= MAX_HEADER_LINES);
            let path = head.path();
            assert!(!path.contains('?'));
            let _ = head.query();
            let _ = head.header("x");
            let _ = head.first_header(&["ice-name", "icy-name", "x"]);
            let _ = head.is_chunked();
            let _ = head.expects_continue();
        }
        Ok(None) => assert!(data.len() < DEFAULT_MAX_HEAD),
        Err(_) => {}
    }
});
