//! The Ogg demuxer and the Opus/Vorbis decoders behind it, on valid Ogg framing with
//! arbitrary content: the input is cut into packets and written as a real Ogg stream
//! (correct page CRCs, so the demuxer gets past page checks), optionally behind a valid
//! OpusHead/OpusTags, and optionally with a second chained stream. Decoding must never
//! panic, output stays finite, and the amount decoded is bounded by the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ogg::writing::{PacketWriteEndInfo, PacketWriter};
use radio_core::decode::FileDecoder;

fn opus_head() -> Vec<u8> {
    let mut h = b"OpusHead".to_vec();
    h.push(1); // version
    h.push(2); // channels
    h.extend_from_slice(&312u16.to_le_bytes()); // pre-skip
    h.extend_from_slice(&48_000u32.to_le_bytes());
    h.extend_from_slice(&0i16.to_le_bytes()); // output gain
    h.push(0); // channel mapping family
    h
}

fn opus_tags() -> Vec<u8> {
    let mut t = b"OpusTags".to_vec();
    t.extend_from_slice(&4u32.to_le_bytes());
    t.extend_from_slice(b"fuzz");
    t.extend_from_slice(&0u32.to_le_bytes());
    t
}

fn stream(out: &mut Vec<u8>, serial: u32, headers: bool, body: &[u8]) {
    let mut w = PacketWriter::new(&mut *out);
    if headers {
        let _ = w.write_packet(opus_head(), serial, PacketWriteEndInfo::EndPage, 0);
        let _ = w.write_packet(opus_tags(), serial, PacketWriteEndInfo::EndPage, 0);
    }
    // Packets: a length byte, then that many bytes.
    let mut rest = body;
    let mut granule = 0u64;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let (packet, after) = tail.split_at(n);
        rest = after;
        granule += 960;
        let end = if rest.is_empty() {
            PacketWriteEndInfo::EndStream
        } else if granule % (960 * 4) == 0 {
            PacketWriteEndInfo::EndPage
        } else {
            PacketWriteEndInfo::NormalPacket
        };
        let _ = w.write_packet(packet.to_vec(), serial, end, granule);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let mut bytes = Vec::new();
    let headers = mode & 1 == 1;
    if mode & 2 == 2 {
        // Two chained logical streams, as a live source switching songs sends.
        let (a, b) = body.split_at(body.len() / 2);
        stream(&mut bytes, 1, headers, a);
        stream(&mut bytes, 2, headers, b);
    } else {
        stream(&mut bytes, 1, headers, body);
    }
    let Ok(mut dec) = FileDecoder::from_reader("fuzz", std::io::Cursor::new(bytes)) else {
        return;
    };
    let mut out = Vec::new();
    for _ in 0..10_000 {
        out.clear();
        match dec.decode_next(&mut out) {
            Ok(true) => {
                assert!(out.iter().all(|s| s.is_finite()), "non-finite sample");
                // An Opus packet decodes to at most 120 ms of stereo at 48 kHz.
                assert!(out.len() <= 5760 * 2 * 8, "one packet decoded to {} samples", out.len());
            }
            Ok(false) | Err(_) => break,
        }
    }
});
