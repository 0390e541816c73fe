//! Decoding files with symphonia: any format, any rate, any channel count, to stereo.
//!
//! [`FileDecoder`] yields interleaved stereo `f32` at the file's own sample rate (the
//! resampler makes it 48 kHz). Mono is duplicated to both channels; more than two
//! channels are folded down (even-numbered channels to the left, odd to the right, each
//! side averaged, so nothing clips). A damaged packet is skipped; the decoder goes on.

use crate::error::{Error, Result};
use crate::source::Metadata;
use crate::units::SampleRate;
use std::path::Path;
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, MetadataRevision, StandardTag};
use symphonia::core::units::Time;

/// What is known about a file before decoding it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// The file's sample rate.
    pub rate: SampleRate,
    /// The file's channel count (before mapping to stereo).
    pub channels: usize,
    /// The codec's short name (`mp3`, `flac`, `vorbis`, `opus`, `aac`, `pcm_s16le`, ...).
    pub codec: String,
    /// Its duration in seconds, when the container says.
    pub duration: Option<f64>,
    /// Its tags.
    pub metadata: Metadata,
}

/// A file being decoded.
pub struct FileDecoder {
    what: String,
    format: Box<dyn FormatReader>,
    decoder: Codec,
    track_id: u32,
    info: MediaInfo,
    scratch: Vec<f32>,
    /// Frames still to drop after an accurate seek.
    skip_frames: u64,
    /// Packets skipped because they would not decode.
    damaged: u64,
    /// MP4 edit: frames of priming before the audio (kept across seeks).
    priming: u64,
    /// MP4 edit: frames of audio in all (the rest is padding).
    length: Option<u64>,
    /// Frames of audio given out so far (from the start of the audio).
    position: u64,
}

impl std::fmt::Debug for FileDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDecoder")
            .field("file", &self.what)
            .field("info", &self.info)
            .finish()
    }
}

/// symphonia decodes everything but Opus; Opus packets (demuxed by symphonia's Ogg
/// reader, with pre-skip and end trimming) go to libopus.
enum Codec {
    Symphonia(Box<dyn AudioDecoder>),
    Opus {
        decoder: opus::Decoder,
        channels: usize,
    },
}

impl Codec {
    fn new(
        what: &str,
        params: &symphonia::core::codecs::audio::AudioCodecParameters,
    ) -> Result<Codec> {
        if params.codec == symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS {
            let head = params.extra_data.as_deref().unwrap_or(&[]);
            let channels = head.get(9).copied().unwrap_or(2).clamp(1, 2) as usize;
            let ch = if channels == 1 {
                opus::Channels::Mono
            } else {
                opus::Channels::Stereo
            };
            let mut decoder = opus::Decoder::new(48_000, ch).map_err(|e| unsupported(what, e))?;
            if let Some(gain) = head.get(16..18) {
                let q8 = i16::from_le_bytes([gain[0], gain[1]]);
                decoder
                    .set_gain(i32::from(q8))
                    .map_err(|e| unsupported(what, e))?;
            }
            return Ok(Codec::Opus { decoder, channels });
        }
        symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map(Codec::Symphonia)
            .map_err(|e| unsupported(what, e))
    }

    fn reset(&mut self) {
        match self {
            Codec::Symphonia(d) => d.reset(),
            Codec::Opus { decoder, .. } => {
                let _ = decoder.reset_state();
            }
        }
    }
}

fn unsupported(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Unsupported {
        what: what.to_string(),
        reason: e.to_string(),
    }
}

impl FileDecoder {
    /// Opens and probes a file (MP3, FLAC, Ogg Vorbis, WAV, AAC/M4A, AIFF, ...).
    pub fn open(path: &Path) -> Result<FileDecoder> {
        let what = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let mut file = file;
        // AAC in MP4: symphonia ignores the edit list, so trim the encoder's priming and
        // padding here (the header is read before symphonia takes the file).
        let mut head = [0u8; 8];
        let is_mp4 =
            std::io::Read::read_exact(&mut file, &mut head).is_ok() && &head[4..] == b"ftyp";
        let edit = if is_mp4 {
            crate::mp4edit::sound_edit(&mut file)
        } else {
            None
        };
        std::io::Seek::rewind(&mut file).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut dec = FileDecoder::from_source(what, Box::new(file), hint)?;
        if let Some(edit) = edit.filter(|_| dec.info.codec == "aac") {
            dec.priming = edit.start;
            dec.skip_frames += edit.start;
            dec.length = edit.length;
            if let Some(n) = edit.length {
                dec.info.duration = Some(n as f64 / f64::from(dec.info.rate.0));
            }
        }
        Ok(dec)
    }

    /// Decodes a stream that can only be read forwards (a live input): MP3, AAC (ADTS),
    /// Ogg Vorbis, Ogg Opus.
    pub fn from_reader(
        what: &str,
        reader: impl std::io::Read + Send + Sync + 'static,
    ) -> Result<FileDecoder> {
        let source = symphonia::core::io::ReadOnlySource::new(reader);
        FileDecoder::from_source(what.to_string(), Box::new(source), Hint::new())
    }

    fn from_source(
        what: String,
        source: Box<dyn symphonia::core::io::MediaSource>,
        hint: Hint,
    ) -> Result<FileDecoder> {
        // symphonia wants a power of two above 32 KiB.
        let mss = MediaSourceStream::new(
            source,
            MediaSourceStreamOptions {
                buffer_len: 64 * 1024,
            },
        );
        let mut format = symphonia::default::get_probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| unsupported(&what, e))?;
        let track = format
            .default_track(TrackType::Audio)
            .cloned()
            .ok_or_else(|| unsupported(&what, "no audio track"))?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| unsupported(&what, "no audio codec parameters"))?;
        let decoder = Codec::new(&what, params)?;
        let decoder_kind_is_opus = matches!(decoder, Codec::Opus { .. });
        let rate = params
            .sample_rate
            .ok_or_else(|| unsupported(&what, "unknown sample rate"))?;
        let channels = params.channels.as_ref().map_or(2, |c| c.count()).max(1);
        let duration = track
            .time_base
            .zip(track.duration)
            .and_then(|(tb, d)| tb.calc_duration(d))
            .map(|t| t.as_secs_f64())
            .or_else(|| track.num_frames.map(|n| n as f64 / f64::from(rate)));
        let metadata = read_tags(&mut *format);
        let codec = if decoder_kind_is_opus {
            "opus".to_string()
        } else {
            symphonia::default::get_codecs()
                .get_audio_decoder(params.codec)
                .map_or_else(
                    || "unknown".to_string(),
                    |r| r.codec.info.short_name.to_string(),
                )
        };
        Ok(FileDecoder {
            what,
            info: MediaInfo {
                rate: SampleRate(rate),
                channels,
                codec,
                duration,
                metadata,
            },
            format,
            decoder,
            track_id: track.id,
            scratch: Vec::new(),
            skip_frames: opus_pre_skip(decoder_kind_is_opus, &track),
            damaged: 0,
            priming: 0,
            length: None,
            position: 0,
        })
    }

    /// Rate, channels, duration and tags.
    pub fn info(&self) -> &MediaInfo {
        &self.info
    }

    /// How many packets were skipped so far because they would not decode (a damaged
    /// file plays on; a library indexer tells the user).
    pub fn damaged_packets(&self) -> u64 {
        self.damaged
    }

    /// Jumps to `seconds` from the start (accurately: the next audio starts there).
    pub fn seek(&mut self, seconds: f64) -> Result<()> {
        let rate = f64::from(self.info.rate.0);
        let target = seconds.max(0.0) + self.priming as f64 / rate;
        let time = Time::try_from_secs_f64(target)
            .ok_or_else(|| unsupported(&self.what, format!("cannot seek to {seconds} s")))?;
        let to = self
            .format
            .seek(
                SeekMode::Accurate,
                SeekTo::Time {
                    time,
                    track_id: Some(self.track_id),
                },
            )
            .map_err(|e| Error::Decode {
                what: self.what.clone(),
                reason: format!("seek to {seconds} s: {e}"),
            })?;
        self.decoder.reset();
        self.skip_frames = (to.required_ts.get() - to.actual_ts.get()).max(0) as u64;
        self.position = (seconds.max(0.0) * rate).round() as u64;
        Ok(())
    }

    /// Appends the next decoded stretch as interleaved stereo to `out`. Returns `false` at
    /// the end of the file.
    pub fn decode_next(&mut self, out: &mut Vec<f32>) -> Result<bool> {
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(false),
                // Truncated files (and MKV/Ogg) end with an unexpected EOF.
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(false);
                }
                Err(SymError::ResetRequired) => {
                    // A chained Ogg file: the next logical stream.
                    let track = self
                        .format
                        .default_track(TrackType::Audio)
                        .cloned()
                        .ok_or_else(|| unsupported(&self.what, "no audio track after chain"))?;
                    let params = track
                        .codec_params
                        .as_ref()
                        .and_then(|p| p.audio())
                        .ok_or_else(|| {
                            unsupported(&self.what, "no codec parameters after chain")
                        })?;
                    self.decoder = Codec::new(&self.what, params)?;
                    self.track_id = track.id;
                    self.skip_frames =
                        opus_pre_skip(matches!(self.decoder, Codec::Opus { .. }), &track);
                    continue;
                }
                Err(e) => {
                    return Err(Error::Decode {
                        what: self.what.clone(),
                        reason: e.to_string(),
                    });
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let (frames, channels) = match &mut self.decoder {
                Codec::Symphonia(d) => match d.decode(&packet) {
                    Ok(buf) => {
                        let channels = buf.spec().channels().count().max(1);
                        buf.copy_to_vec_interleaved::<f32>(&mut self.scratch);
                        (buf.frames(), channels)
                    }
                    // A damaged packet: skip it, the next one resynchronises.
                    Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                        self.damaged += 1;
                        continue;
                    }
                    Err(e) => {
                        return Err(Error::Decode {
                            what: self.what.clone(),
                            reason: e.to_string(),
                        });
                    }
                },
                Codec::Opus { decoder, channels } => {
                    let ch = *channels;
                    self.scratch.resize(5760 * ch, 0.0);
                    let Ok(n) = decoder.decode_float(&packet.data, &mut self.scratch, false) else {
                        self.damaged += 1;
                        continue;
                    };
                    // The Ogg reader says how much of this packet is pre-skip or padding.
                    let start = (packet.trim_start.get() as usize).min(n);
                    let end = n.saturating_sub(packet.trim_end.get() as usize).max(start);
                    self.scratch.truncate(end * ch);
                    self.scratch.drain(..start * ch);
                    (end - start, ch)
                }
            };
            if frames == 0 {
                continue;
            }
            let skip = (self.skip_frames as usize).min(frames);
            self.skip_frames -= skip as u64;
            if skip == frames {
                continue;
            }
            let mut end = frames;
            if let Some(length) = self.length {
                let left = length.saturating_sub(self.position);
                if left == 0 {
                    return Ok(false);
                }
                end = end.min(skip + left as usize);
            }
            self.position += (end - skip) as u64;
            to_stereo(
                &self.scratch[skip * channels..end * channels],
                channels,
                out,
            );
            return Ok(true);
        }
    }
}

/// Frames to drop at the start of an Opus stream: symphonia reports the pre-skip as the
/// track's delay but leaves trimming it to the decoder, and libopus does not.
fn opus_pre_skip(is_opus: bool, track: &symphonia::core::formats::Track) -> u64 {
    if is_opus {
        u64::from(track.delay.unwrap_or(0))
    } else {
        0
    }
}

/// Maps interleaved audio with `channels` channels to interleaved stereo, appending.
pub fn to_stereo(input: &[f32], channels: usize, out: &mut Vec<f32>) {
    match channels {
        1 => {
            out.reserve(input.len() * 2);
            for &s in input {
                out.push(s);
                out.push(s);
            }
        }
        2 => out.extend_from_slice(input),
        n => {
            let left_n = n.div_ceil(2) as f32;
            let right_n = (n / 2) as f32;
            out.reserve(input.len() / n * 2);
            for frame in input.chunks_exact(n) {
                let (mut l, mut r) = (0.0, 0.0);
                for (i, &s) in frame.iter().enumerate() {
                    if i % 2 == 0 {
                        l += s;
                    } else {
                        r += s;
                    }
                }
                out.push(l / left_n);
                out.push(r / right_n);
            }
        }
    }
}

fn apply_revision(out: &mut Metadata, rev: &MetadataRevision) {
    let containers = std::iter::once(&rev.media).chain(rev.per_track.iter().map(|t| &t.metadata));
    for c in containers {
        for tag in &c.tags {
            match &tag.std {
                Some(StandardTag::TrackTitle(v)) => out.title = Some(v.to_string()),
                Some(StandardTag::Artist(v)) => out.artist = Some(v.to_string()),
                Some(StandardTag::Album(v)) => out.album = Some(v.to_string()),
                _ => {}
            }
        }
    }
}

/// Reads every tag revision oldest first, so later tags (ID3v2 over ID3v1) win.
fn read_tags(format: &mut dyn FormatReader) -> Metadata {
    let mut out = Metadata::default();
    let mut meta = format.metadata();
    while let Some(rev) = meta.pop() {
        apply_revision(&mut out, &rev);
    }
    if let Some(rev) = meta.current() {
        apply_revision(&mut out, rev);
    }
    out
}
