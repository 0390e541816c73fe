//! Fuzzes the incremental `Transfer-Encoding: chunked` decoder used on source bodies.
//!
//! Input: byte 0 picks where the rest is split into two feeds. Decoding in two feeds must
//! give exactly what decoding in one call gives: same result, same output, same state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radio_net::chunked::ChunkedDecoder;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let at = if body.is_empty() {
        0
    } else {
        usize::from(sel) % (body.len() + 1)
    };
    let (a, b) = body.split_at(at);

    let mut whole = ChunkedDecoder::new();
    let mut whole_out = Vec::new();
    let whole_res = whole.decode(body, &mut whole_out);

    let mut split = ChunkedDecoder::new();
    let mut split_out = Vec::new();
    let split_res = split
        .decode(a, &mut split_out)
        .and_then(|()| split.decode(b, &mut split_out));

    assert!(whole_out.len() <= body.len());
    assert!(split_out.len() <= body.len());
    assert_eq!(whole_res, split_res, "split at {at}");
    if whole_res.is_ok() {
        assert_eq!(whole_out, split_out, "split at {at}");
        assert_eq!(whole.is_done(), split.is_done(), "split at {at}");
    }
});
