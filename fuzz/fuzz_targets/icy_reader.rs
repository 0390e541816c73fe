//! Fuzzes the ICY metadata stripper relays run on upstream streams.
//!
//! Input: bytes 0..2 are the metaint (big-endian, 0 becomes 1), byte 2 picks where the
//! rest is split into two feeds. Two feeds must give what one feed gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radio_net::icy::{IcyReader, MAX_META, parse_stream_title};

fuzz_target!(|data: &[u8]| {
    let [m0, m1, sel, rest @ ..] = data else {
        return;
    };
    let metaint = usize::from(u16::from_be_bytes([*m0, *m1]).max(1));
    let at = if rest.is_empty() {
        0
    } else {
        usize::from(*sel) % (rest.len() + 1)
    };
    let (a, b) = rest.split_at(at);

    let mut r = IcyReader::new(metaint);
    let (mut audio, mut titles) = (Vec::new(), Vec::new());
    r.feed(a, &mut audio, &mut titles);
    r.feed(b, &mut audio, &mut titles);

    assert!(audio.len() <= rest.len());
    let title_bytes: usize = titles.iter().map(Vec::len).sum();
    assert!(audio.len() + title_bytes <= rest.len());
    for t in &titles {
        assert!(!t.is_empty() && t.len() <= MAX_META && t.len() % 16 == 0);
        if let Some(title) = parse_stream_title(t) {
            assert!(title.len() <= t.len());
        }
    }

    let mut one = IcyReader::new(metaint);
    let (mut audio1, mut titles1) = (Vec::new(), Vec::new());
    one.feed(rest, &mut audio1, &mut titles1);
    assert_eq!(audio, audio1, "split at {at}");
    assert_eq!(titles, titles1, "split at {at}");
});
