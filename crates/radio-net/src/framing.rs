//! Cutting a source's byte stream into chunks that start on frame or page boundaries.
//!
//! A mount stores what its source sends as a sequence of chunks. A new listener's burst
//! must start where a decoder can start: on an MPEG audio frame, an ADTS frame or an Ogg
//! page. The [`Framer`] finds those boundaries without decoding anything and cuts the
//! stream there. It never drops or alters a byte: junk between frames stays in the chunk
//! before the next boundary, so what listeners get is a contiguous slice of what the
//! source sent.
//!
//! For Ogg it also separates each chain's header pages (identification, comment and setup
//! headers of every logical stream) into one [`Unit::OggHeaders`], which the mount caches
//! and replays to every new listener, and reads the comment header's title and artist.

use bytes::{Bytes, BytesMut};

/// The container/codec family of a stream, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// MPEG-1/2/2.5 audio layers I–III (`audio/mpeg`).
    Mpeg,
    /// AAC in ADTS frames (`audio/aac`, `audio/aacp`).
    Adts,
    /// Ogg (Vorbis, Opus, FLAC, Speex, Theora).
    Ogg,
    /// Anything else: passed through, cut at arbitrary points.
    Other,
}

impl StreamFormat {
    /// The format for a `Content-Type` value.
    pub fn from_content_type(ct: &str) -> StreamFormat {
        let ct = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match ct.as_str() {
            "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg" => StreamFormat::Mpeg,
            "audio/aac" | "audio/aacp" | "audio/x-aac" | "audio/x-aacp" => StreamFormat::Adts,
            "application/ogg" | "application/x-ogg" | "audio/ogg" | "video/ogg" | "audio/opus"
            | "audio/x-ogg" | "audio/vorbis" | "audio/flac+ogg" => StreamFormat::Ogg,
            _ => StreamFormat::Other,
        }
    }

    /// `true` for formats that carry ICY metadata interleaved (everything but Ogg).
    pub fn supports_icy(self) -> bool {
        self != StreamFormat::Ogg
    }
}

/// Title and artist read from an Ogg comment header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// `TITLE=`
    pub title: Option<String>,
    /// `ARTIST=`
    pub artist: Option<String>,
}

/// What the framer produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// Stream bytes; `sync` is true when the first byte starts a frame or page.
    Audio {
        /// The bytes, in source order.
        data: Bytes,
        /// Whether a decoder can start at `data[0]`.
        sync: bool,
    },
    /// The header pages of a new Ogg chain, complete, and the tags they carry.
    OggHeaders {
        /// The pages, concatenated.
        pages: Bytes,
        /// Title and artist from the comment header, when present.
        tags: Tags,
    },
}

/// Largest Ogg page (27 + 255 + 255 × 255).
const MAX_OGG_PAGE: usize = 27 + 255 + 255 * 255;
/// Largest amount of unparseable data held before it is passed on unsynced.
const MAX_UNSYNCED: usize = 2 * MAX_OGG_PAGE;
/// Largest Ogg header set kept (Vorbis setup headers are a few KiB; artwork can be big).
const MAX_OGG_HEADERS: usize = 1024 * 1024;

/// Finds frame or page boundaries in a byte stream and cuts it into [`Unit`]s.
#[derive(Debug)]
pub struct Framer {
    format: StreamFormat,
    buf: BytesMut,
    /// Bytes of `buf` already examined (may run past `buf.len()` while a frame completes).
    parsed: usize,
    /// The most recent frame/page start in `buf`.
    last_boundary: Option<usize>,
    /// Whether `buf[0]` is a boundary.
    start_synced: bool,
    /// MPEG/ADTS: whether we are locked onto frames.
    locked: bool,
    ogg: OggState,
}

impl Framer {
    /// A framer for one source connection.
    pub fn new(format: StreamFormat) -> Framer {
        Framer {
            format,
            buf: BytesMut::with_capacity(16 * 1024),
            parsed: 0,
            last_boundary: None,
            start_synced: false,
            locked: false,
            ogg: OggState::default(),
        }
    }

    /// The format this framer cuts.
    pub fn format(&self) -> StreamFormat {
        self.format
    }

    /// Adds source bytes and appends the units they complete to `out`.
    ///
    /// Audio is cut at the latest boundary once at least `min_chunk` bytes are pending;
    /// with `flush`, at the latest boundary whatever the size.
    pub fn push(&mut self, data: &[u8], min_chunk: usize, flush: bool, out: &mut Vec<Unit>) {
        // Feed at most `min_chunk` bytes at a time so chunks stay near `min_chunk` even
        // when the source delivers large reads: a burst can then start close to the
        // requested size.
        let step = min_chunk.max(512);
        let mut parts = data.chunks(step).peekable();
        while let Some(part) = parts.next() {
            self.buf.extend_from_slice(part);
            match self.format {
                StreamFormat::Mpeg | StreamFormat::Adts => self.scan_frames(),
                StreamFormat::Ogg => self.scan_pages(out),
                StreamFormat::Other => {
                    self.start_synced = true;
                    self.last_boundary = Some(self.buf.len());
                }
            }
            self.cut(min_chunk, flush && parts.peek().is_none(), out);
        }
    }

    /// Cuts whatever is pending at the latest boundary (used on a timer and at the end).
    pub fn flush(&mut self, out: &mut Vec<Unit>) {
        self.cut(0, true, out);
    }

    /// Emits everything still held, boundary or not (the source has ended).
    pub fn finish(&mut self, out: &mut Vec<Unit>) {
        // Header pages held back for a chain that never reached its audio come first.
        if let Some(headers) = self.ogg.take_headers() {
            out.push(headers);
        }
        if !self.buf.is_empty() {
            let data = self.buf.split().freeze();
            out.push(Unit::Audio {
                data,
                sync: self.start_synced,
            });
        }
        self.parsed = 0;
        self.last_boundary = None;
    }

    fn cut(&mut self, min_chunk: usize, flush: bool, out: &mut Vec<Unit>) {
        let at = match self.last_boundary {
            Some(b) if b > 0 && (b >= min_chunk || flush) => b,
            // Garbage with no boundary in sight: pass it on rather than hold it forever.
            _ if self.buf.len() > MAX_UNSYNCED => self.buf.len(),
            _ => return,
        };
        let data = self.buf.split_to(at).freeze();
        let sync = self.start_synced;
        self.parsed = self.parsed.saturating_sub(at);
        self.start_synced = self.last_boundary == Some(at);
        self.last_boundary = if self.start_synced { Some(0) } else { None };
        out.push(Unit::Audio { data, sync });
    }

    fn scan_frames(&mut self) {
        let need = if self.format == StreamFormat::Mpeg {
            4
        } else {
            7
        };
        let frame_len = if self.format == StreamFormat::Mpeg {
            mpeg_frame_len
        } else {
            adts_frame_len
        };
        if self.locked && self.parsed > 0 && self.parsed <= self.buf.len() {
            // The frame that was incomplete at the last push has arrived: its end is a
            // cut point.
            self.last_boundary = Some(self.parsed);
        }
        while self.parsed + need <= self.buf.len() {
            let pos = self.parsed;
            match frame_len(&self.buf[pos..]) {
                Some((len, _)) if self.locked => {
                    self.mark(pos);
                    if pos + len <= self.buf.len() {
                        // A complete frame: its end is a cut point too (no latency).
                        self.last_boundary = Some(pos + len);
                    }
                    self.parsed = pos + len;
                }
                Some((len, key)) => {
                    // Not locked: confirm with the next header before trusting this one.
                    let next = pos + len;
                    if next + need > self.buf.len() {
                        return;
                    }
                    match frame_len(&self.buf[next..]) {
                        Some((_, k2)) if k2 == key => {
                            self.locked = true;
                            self.mark(pos);
                            self.parsed = next;
                        }
                        _ => self.parsed += 1,
                    }
                }
                None => {
                    self.locked = false;
                    // Skip to the next possible sync byte.
                    self.parsed = match self.buf[pos + 1..].iter().position(|&b| b == 0xFF) {
                        Some(i) => pos + 1 + i,
                        None => self.buf.len(),
                    };
                }
            }
        }
    }

    fn mark(&mut self, pos: usize) {
        if pos == 0 {
            self.start_synced = true;
        }
        self.last_boundary = Some(pos);
    }

    fn scan_pages(&mut self, out: &mut Vec<Unit>) {
        loop {
            let pos = self.parsed;
            let avail = &self.buf[pos..];
            if avail.len() < 27 {
                return;
            }
            match ogg_page_len(avail) {
                PageCheck::Incomplete => return,
                PageCheck::NotAPage => {
                    let from = pos + 1;
                    self.parsed = match find(&self.buf[from..], b"OggS") {
                        Some(i) => from + i,
                        // Keep the last 3 bytes: they may start "OggS".
                        None => self.buf.len().saturating_sub(3).max(from),
                    };
                }
                PageCheck::Page(len) => {
                    let page = &self.buf[pos..pos + len];
                    match self.ogg.classify(page) {
                        PageKind::Audio => {
                            // Header pages held back end here: emit them first.
                            if let Some(headers) = self.ogg.take_headers() {
                                // The headers left `buf` when they were seen, so they
                                // come before whatever `buf` holds now.
                                out.push(headers);
                                self.emit_before(pos, out);
                                // `emit_before` left the page at the front of `buf`.
                                self.parsed = len;
                                self.mark(0);
                                continue;
                            }
                            self.mark(pos);
                            self.last_boundary = Some(pos + len);
                            self.parsed = pos + len;
                        }
                        PageKind::Header => {
                            // Header pages leave the audio flow. What precedes them is
                            // audio of the previous chain, or junk between this chain's
                            // header pages, which stays between them.
                            if self.ogg.holds_headers() {
                                let junk = self.buf.split_to(pos);
                                if let Some(spill) = self.ogg.add_header_bytes(&junk) {
                                    out.push(Unit::Audio {
                                        data: spill,
                                        sync: true,
                                    });
                                }
                            } else {
                                self.emit_before(pos, out);
                            }
                            let page = self.buf.split_to(len);
                            if let Some(spill) = self.ogg.add_header_bytes(&page) {
                                out.push(Unit::Audio {
                                    data: spill,
                                    sync: true,
                                });
                            }
                            self.parsed = 0;
                            self.start_synced = true;
                            self.last_boundary = None;
                        }
                    }
                }
            }
        }
    }

    /// Emits `buf[..pos]` as audio (if any), leaving `buf` starting at `pos`.
    fn emit_before(&mut self, pos: usize, out: &mut Vec<Unit>) {
        if pos > 0 {
            let data = self.buf.split_to(pos).freeze();
            out.push(Unit::Audio {
                data,
                sync: self.start_synced,
            });
        }
        self.parsed = 0;
        self.start_synced = true;
        self.last_boundary = Some(0);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Frame length and a key (version, layer, sample rate) that consecutive frames share.
fn mpeg_frame_len(h: &[u8]) -> Option<(usize, u32)> {
    if h.len() < 4 || h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 0 = 2.5, 1 reserved, 2 = 2, 3 = 1
    let layer = (h[1] >> 1) & 3; // 1 = III, 2 = II, 3 = I
    let br_idx = (h[2] >> 4) as usize;
    let sr_idx = ((h[2] >> 2) & 3) as usize;
    let pad = ((h[2] >> 1) & 1) as usize;
    if version == 1 || layer == 0 || br_idx == 0 || br_idx == 15 || sr_idx == 3 {
        return None;
    }
    const BR_V1: [[u32; 15]; 3] = [
        [
            0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
        ],
        [
            0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ],
        [
            0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ],
    ];
    const BR_V2: [[u32; 15]; 2] = [
        [
            0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
        ],
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ];
    const SR: [u32; 3] = [44100, 48000, 32000];
    let sr = SR[sr_idx]
        >> match version {
            3 => 0,
            2 => 1,
            _ => 2,
        };
    let layer_i = layer == 3;
    let br = if version == 3 {
        BR_V1[(3 - layer) as usize][br_idx]
    } else if layer_i {
        BR_V2[0][br_idx]
    } else {
        BR_V2[1][br_idx]
    } * 1000;
    let len = if layer_i {
        (12 * br / sr) as usize * 4 + pad * 4
    } else if layer == 1 && version != 3 {
        (72 * br / sr) as usize + pad
    } else {
        (144 * br / sr) as usize + pad
    };
    if len < 4 {
        return None;
    }
    Some((len, u32::from(h[1] & 0xFE) << 8 | u32::from(h[2] & 0x0C)))
}

fn adts_frame_len(h: &[u8]) -> Option<(usize, u32)> {
    if h.len() < 7 || h[0] != 0xFF || h[1] & 0xF6 != 0xF0 {
        return None;
    }
    let sr_idx = (h[2] >> 2) & 0x0F;
    if sr_idx > 12 {
        return None;
    }
    let len = (usize::from(h[3] & 3) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
    let header = if h[1] & 1 == 0 { 9 } else { 7 };
    if len < header {
        return None;
    }
    Some((len, u32::from(h[2] & 0xFC)))
}

enum PageCheck {
    Incomplete,
    NotAPage,
    Page(usize),
}

fn ogg_page_len(b: &[u8]) -> PageCheck {
    if &b[..4] != b"OggS" || b[4] != 0 {
        return PageCheck::NotAPage;
    }
    let nsegs = b[26] as usize;
    if b.len() < 27 + nsegs {
        return PageCheck::Incomplete;
    }
    let body: usize = b[27..27 + nsegs].iter().map(|&l| l as usize).sum();
    let len = 27 + nsegs + body;
    if b.len() < len {
        return PageCheck::Incomplete;
    }
    let stored = u32::from_le_bytes([b[22], b[23], b[24], b[25]]);
    if ogg_crc(&b[..len]) != stored {
        return PageCheck::NotAPage;
    }
    PageCheck::Page(len)
}

/// Ogg's CRC-32 (polynomial 0x04C11DB7, no reflection), with the CRC field read as zero.
fn ogg_crc(page: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut r = (i as u32) << 24;
            for _ in 0..8 {
                r = if r & 0x8000_0000 != 0 {
                    (r << 1) ^ 0x04C1_1DB7
                } else {
                    r << 1
                };
            }
            *e = r;
        }
        t
    });
    let mut crc = 0u32;
    for (i, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&i) { 0 } else { byte };
        crc = (crc << 8) ^ table[((crc >> 24) as u8 ^ byte) as usize];
    }
    crc
}

#[derive(Debug, PartialEq, Eq)]
enum PageKind {
    Header,
    Audio,
}

/// One logical stream's header progress.
#[derive(Debug)]
struct LogicalStream {
    serial: u32,
    /// How many header packets this codec has (`None`: unknown codec, BOS page only).
    header_packets: Option<usize>,
    /// Header packets completed so far.
    done_packets: usize,
    /// The packet being reassembled.
    partial: Vec<u8>,
    codec: Codec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Vorbis,
    Opus,
    Flac,
    Other,
}

#[derive(Debug, Default)]
struct OggState {
    /// Streams of the chain whose headers are being collected.
    streams: Vec<LogicalStream>,
    /// Header pages collected so far for the current chain.
    headers: BytesMut,
    /// Whether the collected headers have been emitted.
    collecting: bool,
    tags: Tags,
    /// Whether a header set was too big and is being passed through as audio.
    oversized: bool,
}

impl OggState {
    fn classify(&mut self, page: &[u8]) -> PageKind {
        let flags = page[5];
        let serial = u32::from_le_bytes([page[14], page[15], page[16], page[17]]);
        let bos = flags & 0x02 != 0;
        if bos {
            if !self.collecting {
                // A new chain starts: forget the previous chain's streams.
                self.streams.clear();
                self.headers.clear();
                self.tags = Tags::default();
                self.collecting = true;
                self.oversized = false;
            }
            let first_packet = first_packet(page);
            let (codec, count) = identify(first_packet);
            self.streams.push(LogicalStream {
                serial,
                header_packets: count,
                done_packets: 0,
                partial: Vec::new(),
                codec,
            });
        }
        if !self.collecting || self.oversized {
            return PageKind::Audio;
        }
        let Some(stream) = self.streams.iter_mut().find(|s| s.serial == serial) else {
            return PageKind::Audio;
        };
        let wanted = stream.header_packets.unwrap_or(1);
        if stream.done_packets >= wanted {
            return PageKind::Audio;
        }
        // Walk the page's packets, reassembling header packets to read the tags.
        let nsegs = page[26] as usize;
        let mut off = 27 + nsegs;
        for &lace in &page[27..27 + nsegs] {
            let seg = &page[off..off + lace as usize];
            off += lace as usize;
            if stream.partial.len() + seg.len() <= MAX_OGG_HEADERS {
                stream.partial.extend_from_slice(seg);
            }
            if lace < 255 {
                if (stream.done_packets == 1 || stream.codec == Codec::Flac)
                    && let Some(tags) = parse_comment(stream.codec, &stream.partial)
                {
                    self.tags = tags;
                }
                stream.partial.clear();
                stream.done_packets += 1;
                if stream.done_packets >= wanted {
                    break;
                }
            }
        }
        PageKind::Header
    }

    /// Whether header pages of the current chain are held back.
    fn holds_headers(&self) -> bool {
        self.collecting && !self.headers.is_empty()
    }

    /// Holds header bytes back. Past [`MAX_OGG_HEADERS`] the chain's headers stop being
    /// cached: what was held comes back to be passed on as plain stream bytes, so nothing
    /// is lost (listeners joining this chain then start without a header replay).
    fn add_header_bytes(&mut self, bytes: &[u8]) -> Option<Bytes> {
        if self.oversized {
            return Some(Bytes::copy_from_slice(bytes));
        }
        if self.headers.len() + bytes.len() > MAX_OGG_HEADERS {
            self.oversized = true;
            let mut all = self.headers.split();
            all.extend_from_slice(bytes);
            return Some(all.freeze());
        }
        self.headers.extend_from_slice(bytes);
        None
    }

    /// The header unit, once the first audio page of the chain arrives.
    fn take_headers(&mut self) -> Option<Unit> {
        if !self.collecting {
            return None;
        }
        self.collecting = false;
        if self.headers.is_empty() {
            return None;
        }
        Some(Unit::OggHeaders {
            pages: self.headers.split().freeze(),
            tags: std::mem::take(&mut self.tags),
        })
    }
}

fn first_packet(page: &[u8]) -> &[u8] {
    let nsegs = page[26] as usize;
    let mut len = 0;
    for &lace in &page[27..27 + nsegs] {
        len += lace as usize;
        if lace < 255 {
            break;
        }
    }
    let start = 27 + nsegs;
    &page[start..start + len]
}

fn identify(packet: &[u8]) -> (Codec, Option<usize>) {
    if packet.starts_with(b"\x01vorbis") {
        (Codec::Vorbis, Some(3))
    } else if packet.starts_with(b"OpusHead") {
        (Codec::Opus, Some(2))
    } else if packet.starts_with(b"\x7FFLAC") && packet.len() >= 9 {
        let n = u16::from_be_bytes([packet[7], packet[8]]) as usize;
        (Codec::Flac, Some(1 + n.max(1)))
    } else if packet.starts_with(b"Speex   ") && packet.len() >= 72 {
        let extra = u32::from_le_bytes([packet[68], packet[69], packet[70], packet[71]]);
        (Codec::Other, Some(2 + extra.min(16) as usize))
    } else if packet.starts_with(b"\x80theora") {
        (Codec::Other, Some(3))
    } else {
        (Codec::Other, None)
    }
}

/// Reads `TITLE` and `ARTIST` from a Vorbis-comment style packet.
fn parse_comment(codec: Codec, packet: &[u8]) -> Option<Tags> {
    let body = match codec {
        Codec::Vorbis => packet.strip_prefix(b"\x03vorbis")?,
        Codec::Opus => packet.strip_prefix(b"OpusTags")?,
        // FLAC-in-Ogg: metadata block header (type 4 = VORBIS_COMMENT) then the comment.
        Codec::Flac if packet.len() > 4 && packet[0] & 0x7F == 4 => &packet[4..],
        _ => return None,
    };
    let mut r = body;
    let take_u32 = |r: &mut &[u8]| -> Option<usize> {
        let (n, rest) = r.split_first_chunk::<4>()?;
        *r = rest;
        Some(u32::from_le_bytes(*n) as usize)
    };
    let vendor = take_u32(&mut r)?;
    r = r.get(vendor..)?;
    let count = take_u32(&mut r)?;
    let mut tags = Tags::default();
    for _ in 0..count.min(1024) {
        let len = take_u32(&mut r)?;
        let field = r.get(..len)?;
        r = &r[len..];
        let text = String::from_utf8_lossy(field);
        if let Some((k, v)) = text.split_once('=') {
            if k.eq_ignore_ascii_case("title") && tags.title.is_none() {
                tags.title = Some(v.to_string());
            } else if k.eq_ignore_ascii_case("artist") && tags.artist.is_none() {
                tags.artist = Some(v.to_string());
            }
        }
    }
    Some(tags)
}

/// Builds an Ogg page (used by tests and the benches to make streams).
pub fn ogg_page(serial: u32, seq: u32, granule: u64, flags: u8, packets: &[&[u8]]) -> Vec<u8> {
    let mut lacing = Vec::new();
    let mut body = Vec::new();
    for p in packets {
        let mut n = p.len();
        loop {
            let l = n.min(255);
            lacing.push(l as u8);
            n -= l;
            if l < 255 {
                break;
            }
        }
        body.extend_from_slice(p);
    }
    assert!(lacing.len() <= 255, "too many segments for one page");
    let mut page = Vec::with_capacity(27 + lacing.len() + body.len());
    page.extend_from_slice(b"OggS");
    page.push(0);
    page.push(flags);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&serial.to_le_bytes());
    page.extend_from_slice(&seq.to_le_bytes());
    page.extend_from_slice(&[0; 4]);
    page.push(lacing.len() as u8);
    page.extend_from_slice(&lacing);
    page.extend_from_slice(&body);
    let crc = ogg_crc(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

/// Builds an Opus comment packet with the given tags (tests and benches).
pub fn opus_tags_packet(fields: &[&str]) -> Vec<u8> {
    let mut p = b"OpusTags".to_vec();
    p.extend_from_slice(&10u32.to_le_bytes());
    p.extend_from_slice(b"radiopoint");
    p.extend_from_slice(&(fields.len() as u32).to_le_bytes());
    for f in fields {
        p.extend_from_slice(&(f.len() as u32).to_le_bytes());
        p.extend_from_slice(f.as_bytes());
    }
    p
}

/// A valid MPEG-1 layer III frame header at 128 kbps, 44.1 kHz: frames are 417/418 bytes.
pub fn mp3_frame(padding: bool) -> Vec<u8> {
    let len = if padding { 418 } else { 417 };
    let mut f = vec![0u8; len];
    f[0] = 0xFF;
    f[1] = 0xFB;
    f[2] = 0x90 | if padding { 2 } else { 0 };
    f[3] = 0x64;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(format: StreamFormat, input: &[u8], step: usize, min: usize) -> Vec<Unit> {
        let mut f = Framer::new(format);
        let mut out = Vec::new();
        for part in input.chunks(step) {
            f.push(part, min, false, &mut out);
        }
        f.finish(&mut out);
        out
    }

    fn concat(units: &[Unit]) -> Vec<u8> {
        let mut v = Vec::new();
        for u in units {
            match u {
                Unit::Audio { data, .. } => v.extend_from_slice(data),
                Unit::OggHeaders { pages, .. } => v.extend_from_slice(pages),
            }
        }
        v
    }

    #[test]
    fn mp3_chunks_start_on_frames_and_keep_every_byte() {
        let mut input = b"junk\xff\xfbjunk".to_vec();
        let junk_len = input.len();
        for i in 0..40 {
            input.extend(mp3_frame(i % 3 == 0));
        }
        for step in [1, 7, 418, 1000, 5000] {
            let units = run(StreamFormat::Mpeg, &input, step, 1024);
            assert_eq!(concat(&units), input, "step {step}");
            let mut pos = 0;
            for (i, u) in units.iter().enumerate() {
                let Unit::Audio { data, sync } = u else {
                    panic!()
                };
                if i == 0 {
                    assert!(!sync);
                    assert!(data.len() >= junk_len);
                } else if i + 1 < units.len() {
                    assert!(sync, "unit {i} at {pos} step {step}");
                    assert!(mpeg_frame_len(data).is_some());
                }
                pos += data.len();
            }
        }
    }

    #[test]
    fn ogg_headers_separated_and_tags_read() {
        let head = b"OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0".to_vec();
        let tags = opus_tags_packet(&["TITLE=Café", "ARTIST=O'Neil"]);
        let mut input = ogg_page(7, 0, 0, 2, &[&head]);
        input.extend(ogg_page(7, 1, 0, 0, &[&tags]));
        let headers_len = input.len();
        let mut audio = Vec::new();
        for i in 0..20u32 {
            audio.extend(ogg_page(
                7,
                2 + i,
                960 * (i as u64 + 1),
                0,
                &[&[i as u8; 300]],
            ));
        }
        input.extend(&audio);
        for step in [1, 13, 330, 4096] {
            let units = run(StreamFormat::Ogg, &input, step, 1000);
            assert_eq!(concat(&units), input);
            let Unit::OggHeaders { pages, tags } = &units[0] else {
                panic!("{:?}", units[0])
            };
            assert_eq!(pages.len(), headers_len);
            assert_eq!(tags.title.as_deref(), Some("Café"));
            assert_eq!(tags.artist.as_deref(), Some("O'Neil"));
            for u in &units[1..] {
                let Unit::Audio { data, sync } = u else {
                    panic!()
                };
                assert!(sync);
                assert!(data.starts_with(b"OggS"));
            }
        }
    }

    #[test]
    fn ogg_chain_emits_new_headers() {
        let head = b"OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0".to_vec();
        let mut input = Vec::new();
        for (serial, title) in [(1u32, "TITLE=one"), (2, "TITLE=two")] {
            input.extend(ogg_page(serial, 0, 0, 2, &[&head]));
            input.extend(ogg_page(serial, 1, 0, 0, &[&opus_tags_packet(&[title])]));
            for i in 0..3u32 {
                input.extend(ogg_page(serial, 2 + i, 960, 0, &[&[1u8; 100]]));
            }
        }
        let units = run(StreamFormat::Ogg, &input, 50, 0);
        let titles: Vec<_> = units
            .iter()
            .filter_map(|u| match u {
                Unit::OggHeaders { tags, .. } => tags.title.clone(),
                _ => None,
            })
            .collect();
        assert_eq!(titles, ["one", "two"]);
        assert_eq!(concat(&units), input);
    }

    #[test]
    fn issue2_fuzz_headers_kept_at_finish_and_junk_stays_in_order() {
        let head = b"OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0".to_vec();
        let h1 = ogg_page(1, 0, 0, 2, &[&head]);
        let h2 = ogg_page(1, 1, 0, 0, &[&opus_tags_packet(&["TITLE=x"])]);
        // The source ends after its header pages.
        let input = [h1.clone(), h2.clone()].concat();
        assert_eq!(concat(&run(StreamFormat::Ogg, &input, 7, 0)), input);
        // Junk between header pages stays between them.
        let audio = ogg_page(1, 2, 960, 0, &[&[1u8; 50]]);
        let input = [h1, b"JUNKJUNK".to_vec(), h2, audio].concat();
        for step in [1, 5, 255] {
            assert_eq!(concat(&run(StreamFormat::Ogg, &input, step, 0)), input);
        }
    }

    #[test]
    fn vorbis_three_header_packets_across_pages() {
        // Identification alone on the BOS page; comment and a multi-page setup header.
        let ident = b"\x01vorbis\0\0\0\0\x02\x44\xac\0\0".to_vec();
        let mut comment = b"\x03vorbis".to_vec();
        comment.extend_from_slice(&4u32.to_le_bytes());
        comment.extend_from_slice(b"test");
        comment.extend_from_slice(&1u32.to_le_bytes());
        comment.extend_from_slice(&11u32.to_le_bytes());
        comment.extend_from_slice(b"TITLE=Vorb!");
        comment.push(1);
        let setup = [b"\x05vorbis".to_vec(), vec![0x55; 70_000]].concat();
        let mut input = ogg_page(5, 0, 0, 2, &[&ident]);
        // The setup header continues on the next page: drop the 0 lacing value that
        // would end it here.
        let mut page = ogg_page(5, 1, 0, 0, &[&comment, &setup[..255 * 200]]);
        let nsegs = page[26] as usize;
        assert_eq!(page[27 + nsegs - 1], 0);
        page.remove(27 + nsegs - 1);
        page[26] -= 1;
        page[22..26].copy_from_slice(&[0; 4]);
        let crc = ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        input.extend(page);
        input.extend(ogg_page(5, 2, u64::MAX, 1, &[&setup[255 * 200..]]));
        let headers_len = input.len();
        for i in 0..5u32 {
            input.extend(ogg_page(
                5,
                3 + i,
                1024 * u64::from(i + 1),
                0,
                &[&[3u8; 200]],
            ));
        }
        let units = run(StreamFormat::Ogg, &input, 1000, 0);
        assert_eq!(concat(&units), input);
        let Unit::OggHeaders { pages, tags } = &units[0] else {
            panic!("{:?}", units[0])
        };
        assert_eq!(
            pages.len(),
            headers_len,
            "all three header packets, three pages"
        );
        assert_eq!(tags.title.as_deref(), Some("Vorb!"));
    }

    #[test]
    fn oversized_headers_pass_through() {
        // A chain whose header packets exceed the cache limit: passed on, not dropped.
        let head = b"\x01vorbis\0\0\0\0\x02\x44\xac\0\0".to_vec();
        let mut input = ogg_page(3, 0, 0, 2, &[&head]);
        let big = vec![9u8; 255 * 250];
        for i in 0..20u32 {
            // Continued packets (lacing 255 only): the comment header never completes.
            input.extend(ogg_page(
                3,
                1 + i,
                u64::MAX,
                if i == 0 { 0 } else { 1 },
                &[&big[..255 * 250]],
            ));
        }
        let units = run(StreamFormat::Ogg, &input, 4096, 0);
        assert_eq!(concat(&units), input);
    }

    #[test]
    fn crc_rejects_corrupt_page() {
        let mut page = ogg_page(1, 0, 0, 2, &[b"OpusHead"]);
        assert!(matches!(ogg_page_len(&page), PageCheck::Page(_)));
        let last = page.len() - 1;
        page[last] ^= 1;
        assert!(matches!(ogg_page_len(&page), PageCheck::NotAPage));
    }
}
