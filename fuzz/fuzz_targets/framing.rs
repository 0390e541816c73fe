//! Fuzzes the framer that cuts a source's stream at MPEG/ADTS frame and Ogg page
//! boundaries. Whatever the input, the units must hold exactly the input bytes, in order.
//!
//! Input: byte 0 selects the format (bits 0-1) and whether Ogg page CRCs are fixed up
//! before feeding (bit 2; random bytes almost never carry a valid CRC, so without this
//! the page and header paths would stay out of reach); byte 1 sets the piece size the
//! rest is pushed in, and byte 2 the `min_chunk`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radio_net::framing::{Framer, StreamFormat, Unit};

fuzz_target!(|data: &[u8]| {
    let [sel, piece, min, rest @ ..] = data else {
        return;
    };
    let format = match sel & 3 {
        0 => StreamFormat::Mpeg,
        1 => StreamFormat::Adts,
        2 => StreamFormat::Ogg,
        _ => StreamFormat::Other,
    };
    let mut input = rest.to_vec();
    if sel & 4 != 0 {
        fix_ogg_crcs(&mut input);
    }
    let piece = usize::from(*piece).max(1);
    let min_chunk = usize::from(*min) * 16;

    let mut framer = Framer::new(format);
    let mut out = Vec::new();
    for part in input.chunks(piece) {
        framer.push(part, min_chunk, false, &mut out);
    }
    framer.finish(&mut out);

    let mut got = Vec::with_capacity(input.len());
    for unit in &out {
        match unit {
            Unit::Audio { data, .. } => got.extend_from_slice(data),
            Unit::OggHeaders { pages, .. } => got.extend_from_slice(pages),
        }
    }
    assert!(
        got == input,
        "framer changed the stream: {} bytes in, {} bytes out ({format:?}, piece {piece}, min_chunk {min_chunk})",
        input.len(),
        got.len()
    );
});

/// Writes the right CRC into every complete `OggS` page found scanning from the front
/// (pages do not overlap: the scan resumes after each page it fixes).
fn fix_ogg_crcs(b: &mut [u8]) {
    let mut i = 0;
    while i + 27 <= b.len() {
        if &b[i..i + 4] != b"OggS" || b[i + 4] != 0 {
            i += 1;
            continue;
        }
        let nsegs = usize::from(b[i + 26]);
        if i + 27 + nsegs > b.len() {
            return;
        }
        let body: usize = b[i + 27..i + 27 + nsegs]
            .iter()
            .map(|&l| usize::from(l))
            .sum();
        let len = 27 + nsegs + body;
        if i + len > b.len() {
            return;
        }
        let crc = ogg_crc(&b[i..i + len]);
        b[i + 22..i + 26].copy_from_slice(&crc.to_le_bytes());
        i += len;
    }
}

/// Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected), the CRC field read as zero.
fn ogg_crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (i, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&i) { 0 } else { byte };
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}
