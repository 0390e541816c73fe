//! The `Source` trait: anything that produces blocks (a file, a live input, a mix).
//!
//! The graph is pulled: the station asks its source for the next block, 50 times a
//! second of audio. Track metadata travels with the audio as [`Event`]s attached to the
//! block where they take effect, so a title change reaches listeners when the track
//! actually starts.

use crate::block::Block;

/// Title, artist and album of a track.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Track title.
    pub title: Option<String>,
    /// Artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
}

impl Metadata {
    /// `Artist - Title`, or whichever of them is known.
    pub fn display(&self) -> String {
        match (&self.artist, &self.title) {
            (Some(a), Some(t)) => format!("{a} - {t}"),
            (None, Some(t)) => t.clone(),
            (Some(a), None) => a.clone(),
            (None, None) => String::new(),
        }
    }
}

/// Something that happens at a block boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A track starts with this block.
    TrackStart(Metadata),
}

/// What a [`Source::pull`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pull {
    /// The block holds audio (the last block of a track is padded with silence).
    Audio,
    /// The source has ended; the block was not written.
    End,
}

/// A producer of audio blocks.
///
/// # For implementations
/// - `pull` MUST either fill the whole block and return [`Pull::Audio`], or leave it and
///   return [`Pull::End`]; after `End` it MUST keep returning `End`.
/// - Events MUST be pushed in the call that returns the block they apply to.
/// - `pull` must not block for long: a live input that has no audio yet reports
///   `is_ready() == false` instead of waiting.
/// - Errors inside the source (a damaged file, a dropped connection) are handled inside:
///   skip, resynchronise, or end. Nothing here returns an error to the station.
pub trait Source: Send {
    /// Fills `block` with the next 20 ms and pushes the events that start with it.
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull;

    /// Whether the source has audio to give now (live inputs may not).
    fn is_ready(&self) -> bool {
        true
    }
}

/// Audio held in memory, played once (tests, jingles generated on the fly, examples).
#[derive(Debug, Clone)]
pub struct MemorySource {
    samples: std::sync::Arc<[f32]>,
    pos: usize,
    metadata: Option<Metadata>,
}

impl MemorySource {
    /// Interleaved 48 kHz stereo samples, announced with `metadata` when they start.
    pub fn new(samples: impl Into<std::sync::Arc<[f32]>>, metadata: Metadata) -> MemorySource {
        MemorySource {
            samples: samples.into(),
            pos: 0,
            metadata: Some(metadata),
        }
    }
}

impl Source for MemorySource {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if self.pos >= self.samples.len() {
            return Pull::End;
        }
        if let Some(m) = self.metadata.take() {
            events.push(Event::TrackStart(m));
        }
        let out = block.samples_mut();
        let n = (self.samples.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.samples[self.pos..self.pos + n]);
        out[n..].fill(0.0);
        self.pos += n;
        Pull::Audio
    }
}
