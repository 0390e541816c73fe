//! # radio-core — the audio pipeline of radiopoint
//!
//! This crate will own radiopoint's audio vocabulary and processing: the PCM block
//! (48 kHz, stereo, `f32`, 20 ms = 960 frames), the `Source` trait, decoding (symphonia),
//! resampling (rubato), EBU R128 loudness and gain, the true-peak limiter, crossfades,
//! silence detection and encoding (MP3 via LAME, Opus in Ogg). It is synchronous and has
//! no async runtime: a station's graph runs on its own thread, paced by a clock.
//!
//! It has no code yet; see issue 3 and `DESIGN.md`. Network code never depends on it:
//! `radio-net` moves encoded bytes only.
#![deny(missing_docs)]
