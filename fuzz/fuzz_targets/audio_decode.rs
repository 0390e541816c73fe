//! Decoding arbitrary bytes as a live stream or a file: probing (every container
//! symphonia knows, Ogg with Opus included), demuxing and decoding must never panic, and
//! memory stays bounded by the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radio_core::decode::FileDecoder;

fuzz_target!(|data: &[u8]| {
    let reader = std::io::Cursor::new(data.to_vec());
    let Ok(mut dec) = FileDecoder::from_reader("fuzz", reader) else {
        return;
    };
    let _ = dec.info();
    let mut out = Vec::new();
    // Bounded: a tiny input cannot legitimately decode to more than this many packets.
    for _ in 0..10_000 {
        out.clear();
        match dec.decode_next(&mut out) {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
    }
});
