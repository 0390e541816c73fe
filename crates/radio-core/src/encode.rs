//! Encoders: MP3 (LAME) and Opus in Ogg, block in, `Bytes` chunks out.
//!
//! Every chunk an encoder emits starts on an MP3 frame or an Ogg page boundary, so the
//! network side can start a listener's burst on any of them. Ogg header pages (OpusHead,
//! OpusTags) come as their own chunks. A title change in Opus starts a new chained
//! stream with new OpusTags, which is how Ogg players learn titles.

use crate::block::{BLOCK_FRAMES, Block, CHANNELS, RATE};
use crate::error::{Error, Result};
use crate::source::Metadata;
use bytes::Bytes;

/// A chunk of encoded stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The bytes, starting on a frame/page boundary.
    pub data: Bytes,
    /// Ogg header pages of a new chain (the network side caches and replays them).
    pub header: bool,
}

/// An encoder for the output bus.
///
/// # For implementations
/// Chunks MUST start on a frame/page boundary. `finish` flushes everything and the
/// encoder is not used afterwards.
pub trait Encoder: Send {
    /// The `Content-Type` of the stream.
    fn content_type(&self) -> &'static str;
    /// Encodes one block, appending whatever complete output it produced.
    fn encode(&mut self, block: &Block, out: &mut Vec<Chunk>) -> Result<()>;
    /// A new title (Opus starts a new chain; MP3 carries titles out of band, via ICY).
    fn set_metadata(&mut self, meta: &Metadata, out: &mut Vec<Chunk>) -> Result<()>;
    /// Flushes the encoder's tail.
    fn finish(&mut self, out: &mut Vec<Chunk>) -> Result<()>;
}

fn enc_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Encode(format!("{what}: {e}"))
}

/// MP3 bitrate mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mp3Mode {
    /// Constant bitrate, kbps (32–320, a standard MPEG-1 rate).
    Cbr(u32),
    /// Variable bitrate, LAME's `-V` quality 0 (best) – 9.
    Vbr(u8),
}

/// MP3 settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp3Settings {
    /// Bitrate mode.
    pub mode: Mp3Mode,
    /// LAME's `-q` algorithm quality, 0 (slowest) – 9; 5 is LAME's default (`-q 5`).
    pub quality: u8,
}

impl Default for Mp3Settings {
    fn default() -> Self {
        Mp3Settings {
            mode: Mp3Mode::Cbr(128),
            quality: 5,
        }
    }
}

/// MP3 via LAME, 48 kHz joint stereo, no Xing/Info tag (a live stream has no length).
pub struct Mp3Encoder {
    lame: mp3lame_encoder::Encoder,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Mp3Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mp3Encoder")
    }
}

fn lame_quality(q: u8) -> mp3lame_encoder::Quality {
    use mp3lame_encoder::Quality::*;
    [
        Best,
        SecondBest,
        NearBest,
        VeryNice,
        Nice,
        Good,
        Decent,
        Ok,
        SecondWorst,
        Worst,
    ][usize::from(q.min(9))]
}

impl Mp3Encoder {
    /// An encoder with these settings.
    pub fn new(settings: Mp3Settings) -> Result<Mp3Encoder> {
        use mp3lame_encoder::{Bitrate::*, Builder, Mode, VbrMode};
        let e = |x| enc_err("mp3", x);
        let b = Builder::new()
            .ok_or_else(|| Error::Encode("mp3: LAME could not start".into()))?
            .with_num_channels(CHANNELS as u8)
            .map_err(e)?
            .with_sample_rate(RATE.0)
            .map_err(e)?
            // Without this LAME may pick a lower output rate for low VBR qualities.
            .with_output_sample_rate(std::num::NonZeroU32::new(RATE.0))
            .map_err(e)?
            .with_mode(Mode::JointStereo)
            .map_err(e)?
            .with_quality(lame_quality(settings.quality))
            .map_err(e)?
            .with_to_write_vbr_tag(false)
            .map_err(e)?;
        let b = match settings.mode {
            Mp3Mode::Cbr(kbps) => {
                let rate = match kbps {
                    32 => Kbps32,
                    40 => Kbps40,
                    48 => Kbps48,
                    64 => Kbps64,
                    80 => Kbps80,
                    96 => Kbps96,
                    112 => Kbps112,
                    128 => Kbps128,
                    160 => Kbps160,
                    192 => Kbps192,
                    224 => Kbps224,
                    256 => Kbps256,
                    320 => Kbps320,
                    other => {
                        return Err(Error::Encode(format!(
                            "mp3: {other} kbps is not an MPEG-1 bitrate (32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)"
                        )));
                    }
                };
                b.with_brate(rate).map_err(e)?
            }
            Mp3Mode::Vbr(q) => b
                .with_vbr_mode(VbrMode::Mtrh)
                .map_err(e)?
                .with_vbr_quality(lame_quality(q))
                .map_err(e)?,
        };
        Ok(Mp3Encoder {
            lame: b.build().map_err(e)?,
            buf: Vec::new(),
        })
    }

    /// Emits the complete frames in `buf` (LAME's output does not end on frames), or
    /// everything with `all`.
    fn take(&mut self, all: bool, out: &mut Vec<Chunk>) {
        let end = if all {
            self.buf.len()
        } else {
            complete_frames(&self.buf)
        };
        if end > 0 {
            out.push(Chunk {
                data: Bytes::copy_from_slice(&self.buf[..end]),
                header: false,
            });
            self.buf.drain(..end);
        }
    }
}

impl Encoder for Mp3Encoder {
    fn content_type(&self) -> &'static str {
        "audio/mpeg"
    }

    fn encode(&mut self, block: &Block, out: &mut Vec<Chunk>) -> Result<()> {
        self.buf
            .reserve(mp3lame_encoder::max_required_buffer_size(BLOCK_FRAMES));
        self.lame
            .encode_to_vec(
                mp3lame_encoder::InterleavedPcm(block.samples()),
                &mut self.buf,
            )
            .map_err(|e| enc_err("mp3", e))?;
        self.take(false, out);
        Ok(())
    }

    fn set_metadata(&mut self, _meta: &Metadata, _out: &mut Vec<Chunk>) -> Result<()> {
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<Chunk>) -> Result<()> {
        self.buf.reserve(7200);
        // FlushGap: FlushNoGap keeps the last partial frame inside the encoder.
        self.lame
            .flush_to_vec::<mp3lame_encoder::FlushGap>(&mut self.buf)
            .map_err(|e| enc_err("mp3", e))?;
        self.take(true, out);
        Ok(())
    }
}

/// The length of the complete MPEG-1 layer III frames at the start of `buf` (what LAME
/// writes at 48 kHz: 144 × bitrate / 48000 bytes, plus padding).
fn complete_frames(buf: &[u8]) -> usize {
    const KBPS: [usize; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    let mut pos = 0;
    while let Some(h) = buf.get(pos..pos + 4) {
        let br = usize::from(h[2] >> 4);
        if h[0] != 0xFF || h[1] & 0xFE != 0xFA || br == 0 || br == 15 || (h[2] >> 2) & 3 != 1 {
            // Not a 48 kHz MPEG-1 layer III header: pass what we have on unaligned.
            return buf.len();
        }
        let len = 3 * KBPS[br] + usize::from((h[2] >> 1) & 1);
        if pos + len > buf.len() {
            break;
        }
        pos += len;
    }
    pos
}

/// Opus settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusSettings {
    /// Bitrate in bits per second.
    pub bitrate: i32,
    /// Encoder complexity 0–10.
    pub complexity: i32,
    /// Packets per Ogg page (10 = 200 ms pages: low latency for live listeners).
    pub packets_per_page: u32,
}

impl Default for OpusSettings {
    fn default() -> Self {
        OpusSettings {
            bitrate: 128_000,
            complexity: 10,
            packets_per_page: 10,
        }
    }
}

/// Opus in Ogg (RFC 7845), 48 kHz stereo, 20 ms packets.
pub struct OpusEncoder {
    settings: OpusSettings,
    opus: opus::Encoder,
    pre_skip: u16,
    serial: u32,
    /// A fresh writer per chain (the `ogg` crate keeps per-serial state forever).
    writer: ogg::PacketWriter<'static, Vec<u8>>,
    /// Samples (per channel) of real input in this chain.
    input_samples: u64,
    /// Samples encoded in this chain (including the pre-skip region).
    granule: u64,
    /// Packets written since the last page was closed.
    in_page: u32,
    packet: Vec<u8>,
    metadata: Metadata,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("serial", &self.serial)
            .finish()
    }
}

impl OpusEncoder {
    /// An encoder; the first chunk out holds the header pages.
    pub fn new(
        settings: OpusSettings,
        metadata: &Metadata,
        out: &mut Vec<Chunk>,
    ) -> Result<OpusEncoder> {
        let (opus, pre_skip) = Self::make_opus(&settings)?;
        let mut e = OpusEncoder {
            settings,
            opus,
            pre_skip,
            serial: 0x5241_4430,
            writer: ogg::PacketWriter::new(Vec::new()),
            input_samples: 0,
            granule: 0,
            in_page: 0,
            packet: vec![0; 4000],
            metadata: metadata.clone(),
        };
        e.headers(out)?;
        Ok(e)
    }

    fn make_opus(settings: &OpusSettings) -> Result<(opus::Encoder, u16)> {
        let e = |x| enc_err("opus", x);
        let mut opus = opus::Encoder::new(RATE.0, opus::Channels::Stereo, opus::Application::Audio)
            .map_err(e)?;
        opus.set_bitrate(opus::Bitrate::Bits(settings.bitrate))
            .map_err(e)?;
        opus.set_complexity(settings.complexity).map_err(e)?;
        let pre_skip = opus.get_lookahead().map_err(e)? as u16;
        Ok((opus, pre_skip))
    }

    fn write(&mut self, packet: Vec<u8>, end: ogg::PacketWriteEndInfo, granule: u64) -> Result<()> {
        self.writer
            .write_packet(packet, self.serial, end, granule)
            .map_err(|e| enc_err("ogg", e))
    }

    /// Whatever complete pages the writer holds, as one chunk.
    fn take_pages(&mut self, header: bool, out: &mut Vec<Chunk>) {
        let pages = std::mem::take(self.writer.inner_mut());
        if !pages.is_empty() {
            out.push(Chunk {
                data: Bytes::from(pages),
                header,
            });
        }
    }

    /// The OpusHead and OpusTags pages of the current chain, each alone on its page.
    fn headers(&mut self, out: &mut Vec<Chunk>) -> Result<()> {
        let mut head = b"OpusHead".to_vec();
        head.push(1);
        head.push(CHANNELS as u8);
        head.extend_from_slice(&self.pre_skip.to_le_bytes());
        head.extend_from_slice(&RATE.0.to_le_bytes());
        head.extend_from_slice(&0i16.to_le_bytes());
        head.push(0);
        let mut tags = b"OpusTags".to_vec();
        let vendor = concat!("radiopoint ", env!("CARGO_PKG_VERSION"));
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor.as_bytes());
        let m = &self.metadata;
        let fields: Vec<String> = [
            ("TITLE", &m.title),
            ("ARTIST", &m.artist),
            ("ALBUM", &m.album),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
        tags.extend_from_slice(&(fields.len() as u32).to_le_bytes());
        for f in &fields {
            tags.extend_from_slice(&(f.len() as u32).to_le_bytes());
            tags.extend_from_slice(f.as_bytes());
        }
        self.write(head, ogg::PacketWriteEndInfo::EndPage, 0)?;
        self.write(tags, ogg::PacketWriteEndInfo::EndPage, 0)?;
        self.take_pages(true, out);
        Ok(())
    }

    fn encode_samples(
        &mut self,
        samples: &[f32],
        end_stream_at: Option<u64>,
        out: &mut Vec<Chunk>,
    ) -> Result<()> {
        let n = self
            .opus
            .encode_float(samples, &mut self.packet)
            .map_err(|e| enc_err("opus", e))?;
        self.granule += BLOCK_FRAMES as u64;
        self.in_page += 1;
        let (end, granule) = match end_stream_at {
            Some(g) => (ogg::PacketWriteEndInfo::EndStream, g),
            // Close pages often: a listener hears nothing of a page until it is complete.
            None if self.in_page >= self.settings.packets_per_page => {
                (ogg::PacketWriteEndInfo::EndPage, self.granule)
            }
            None => (ogg::PacketWriteEndInfo::NormalPacket, self.granule),
        };
        if end != ogg::PacketWriteEndInfo::NormalPacket {
            self.in_page = 0;
        }
        let packet = self.packet[..n].to_vec();
        self.write(packet, end, granule)?;
        self.take_pages(false, out);
        Ok(())
    }

    /// Ends the current chain: the lookahead is flushed and the last page's granule marks
    /// where the real audio ends, so decoders trim the padding.
    fn end_chain(&mut self, out: &mut Vec<Chunk>) -> Result<()> {
        let silence = Block::silence();
        let end = u64::from(self.pre_skip) + self.input_samples;
        // Enough packets that everything up to `end` has been encoded.
        let total = end
            .div_ceil(BLOCK_FRAMES as u64)
            .max(self.granule / BLOCK_FRAMES as u64 + 1);
        while self.granule / (BLOCK_FRAMES as u64) + 1 < total {
            self.encode_samples(silence.samples(), None, out)?;
        }
        self.encode_samples(silence.samples(), Some(end), out)
    }
}

impl Encoder for OpusEncoder {
    fn content_type(&self) -> &'static str {
        "audio/ogg"
    }

    fn encode(&mut self, block: &Block, out: &mut Vec<Chunk>) -> Result<()> {
        self.input_samples += BLOCK_FRAMES as u64;
        self.encode_samples(block.samples(), None, out)
    }

    fn set_metadata(&mut self, meta: &Metadata, out: &mut Vec<Chunk>) -> Result<()> {
        if *meta == self.metadata {
            return Ok(());
        }
        self.end_chain(out)?;
        let (opus, pre_skip) = Self::make_opus(&self.settings)?;
        self.opus = opus;
        self.pre_skip = pre_skip;
        self.serial = self.serial.wrapping_add(1);
        self.writer = ogg::PacketWriter::new(Vec::new());
        self.input_samples = 0;
        self.granule = 0;
        self.in_page = 0;
        self.metadata = meta.clone();
        self.headers(out)
    }

    fn finish(&mut self, out: &mut Vec<Chunk>) -> Result<()> {
        self.end_chain(out)
    }
}
