//! A live input fed arbitrary bytes in arbitrary chunks: the decoder thread must never
//! panic, `pull` must never block or panic, the queue of decoded audio stays bounded, and
//! closing the input always ends it.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use radio_core::live::LiveInput;
use radio_core::{Block, Pull, Source};

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    // Byte 0 sets the chunk size (as a network read would cut the stream).
    let piece = usize::from(split).max(1) * 7;
    let mut input = LiveInput::new("fuzz").expect("thread");
    let (mut block, mut events) = (Block::silence(), Vec::new());
    for chunk in rest.chunks(piece) {
        input.push(Bytes::copy_from_slice(chunk));
        // Pulling while bytes arrive, as the station does.
        let _ = input.pull(&mut block, &mut events);
        events.clear();
    }
    input.join();
    // Everything decoded is now queued; it is bounded, and the input then ends.
    let mut pulls = 0;
    while input.pull(&mut block, &mut events) == Pull::Audio {
        events.clear();
        pulls += 1;
        assert!(pulls <= 600, "more audio queued than the live input's bound");
        assert!(block.samples().iter().all(|s| s.is_finite()), "non-finite sample");
    }
});
