//! A file as a [`Source`]: decode, resample to 48 kHz, cut into blocks.

use crate::block::{BLOCK_SAMPLES, Block};
use crate::decode::{FileDecoder, MediaInfo};
use crate::error::Result;
use crate::resample::Resampler;
use crate::source::{Event, Pull, Source};
use std::path::Path;

/// A file played from its start (or from an offset) to its end.
#[derive(Debug)]
pub struct FileSource {
    decoder: FileDecoder,
    resampler: Resampler,
    decoded: Vec<f32>,
    /// 48 kHz stereo waiting to be cut into blocks, from `pos`.
    ready: Vec<f32>,
    pos: usize,
    decoder_done: bool,
    started: bool,
    ended: bool,
}

impl FileSource {
    /// Opens a file to play from its start.
    pub fn open(path: &Path) -> Result<FileSource> {
        FileSource::open_at(path, 0.0)
    }

    /// Opens a file to play from `offset` seconds (a show that starts late joins there).
    pub fn open_at(path: &Path, offset: f64) -> Result<FileSource> {
        let mut decoder = FileDecoder::open(path)?;
        if offset > 0.0 {
            decoder.seek(offset)?;
        }
        let resampler = Resampler::new(decoder.info().rate)?;
        Ok(FileSource {
            decoder,
            resampler,
            decoded: Vec::new(),
            ready: Vec::new(),
            pos: 0,
            decoder_done: false,
            started: false,
            ended: false,
        })
    }

    /// Rate, channels, duration and tags of the file.
    pub fn info(&self) -> &MediaInfo {
        self.decoder.info()
    }

    /// Decodes until a block is ready or the file has ended.
    fn fill(&mut self) {
        while self.ready.len() - self.pos < BLOCK_SAMPLES && !self.decoder_done {
            self.decoded.clear();
            // A damaged file ends the track where it stops making sense; the station
            // moves on to the next one.
            let more = self.decoder.decode_next(&mut self.decoded).unwrap_or(false);
            if self.pos > 0 {
                self.ready.drain(..self.pos);
                self.pos = 0;
            }
            let ok = if more {
                self.resampler.process(&self.decoded, &mut self.ready)
            } else {
                self.decoder_done = true;
                self.resampler.finish(&mut self.ready)
            };
            if ok.is_err() {
                self.decoder_done = true;
            }
        }
    }
}

impl Source for FileSource {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        if self.ended {
            return Pull::End;
        }
        self.fill();
        let available = self.ready.len() - self.pos;
        if available == 0 {
            self.ended = true;
            return Pull::End;
        }
        if !self.started {
            self.started = true;
            events.push(Event::TrackStart(self.decoder.info().metadata.clone()));
        }
        let n = available.min(BLOCK_SAMPLES);
        let out = block.samples_mut();
        out[..n].copy_from_slice(&self.ready[self.pos..self.pos + n]);
        out[n..].fill(0.0);
        self.pos += n;
        Pull::Audio
    }
}
