//! # radio-core — the audio pipeline of radiopoint
//!
//! Everything a station does to audio, synchronously and without an async runtime: a
//! station's graph runs on its own thread, paced by a clock, and the same graph runs
//! faster than real time for tests and offline rendering.
//!
//! The vocabulary: a [`Block`] is 20 ms of 48 kHz stereo `f32` (960 frames, one Opus
//! frame); a [`Source`] produces blocks and reports [`Event`]s (a track starting) on the
//! block where they happen; units are typed ([`Frames`], [`SampleRate`], [`Db`], [`Lufs`]).
//!
//! ```no_run
//! use radio_core::{Block, FileSource, Pull, Source};
//!
//! let mut track = FileSource::open("song.flac".as_ref())?;
//! let (mut block, mut events) = (Block::silence(), Vec::new());
//! while track.pull(&mut block, &mut events) == Pull::Audio {
//!     // 20 ms of 48 kHz stereo audio, whatever the file's rate and channels
//! }
//! # Ok::<(), radio_core::Error>(())
//! ```
//!
//! So far: decoding files ([`decode`], Opus included), resampling ([`resample`]), file
//! sources and the encoders ([`encode`]: MP3 via LAME, Opus in Ogg). Still to come (issue
//! 3): live-stream decoding, loudness, limiter, crossfades and silence detection.
#![deny(missing_docs)]

pub mod agc;
pub mod block;
pub mod crossfade;
pub mod decode;
pub mod encode;
mod error;
pub mod fade;
pub mod file_source;
pub mod gain;
pub mod limiter;
pub mod live;
pub mod loudness;
pub mod mp4edit;
pub mod resample;
pub mod silence;
pub mod source;
pub mod transition;
pub mod units;
pub mod wav;

pub use block::{BLOCK_FRAMES, Block, CHANNELS, RATE};
pub use error::{Error, Result};
pub use file_source::FileSource;
pub use source::{Event, Metadata, Pull, Source};
pub use units::{Db, Frames, Lufs, SampleRate};
