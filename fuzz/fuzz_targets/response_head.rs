//! Fuzzes the response-head parser relays and the push client run on upstream replies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radio_net::request::{MAX_HEADER_LINES, parse_response_head};

const MAX_HEAD: usize = 8192;

fuzz_target!(|data: &[u8]| {
    match parse_response_head(data, MAX_HEAD) {
        Ok(Some((head, n))) => {
            assert!(
                n <= data.len(),
                "head length {n} past the input ({})",
                data.len()
            );
            assert!(n <= MAX_HEAD);
            assert!(head.headers.len() <= MAX_HEADER_LINES);
            let _ = head.header("icy-metaint");
            let _ = head.header("content-type");
        }
        Ok(None) => assert!(data.len() < MAX_HEAD),
        Err(_) => {}
    }
});
