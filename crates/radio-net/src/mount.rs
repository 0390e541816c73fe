//! Mounts: one stream each, its chunk ring, its source and its listener counts.
//!
//! A mount keeps what its source sent as a ring of [`Chunk`]s (refcounted `Bytes`), bounded
//! by the mount's queue size. Chunks start on frame/page boundaries (see
//! [`crate::framing`]). The source appends chunks and *publishes* them in batches; every
//! listener has its own cursor (a sequence number) into the ring and is woken by a
//! `watch` channel when a batch is published. A listener whose cursor falls off the
//! ring's tail has fallen further behind than the queue size allows and is dropped.
//!
//! Each chunk carries the title that was current when it arrived, so a title change
//! reaches each listener at the point in the audio where it happened, whatever its lag;
//! and (for Ogg) the header pages of its chain, so a listener can start anywhere.

use crate::config::{MountConfig, MountDefaults, StreamInfo};
use crate::framing::{Framer, StreamFormat, Unit};
use crate::icy::Meta;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::watch;

/// A piece of a mount's stream.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// The stream bytes.
    pub data: Bytes,
    /// Whether a decoder can start at `data[0]`.
    pub sync: bool,
    /// Ogg header pages of a new chain (never where a burst starts).
    pub header: bool,
    /// The title in effect when this chunk arrived.
    pub meta: Arc<Meta>,
    /// The Ogg chain's header pages, replayed to listeners starting here.
    pub ogg_headers: Option<Bytes>,
}

/// Where a listener is in a mount's ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The next chunk to send.
    pub seq: u64,
    /// The source generation the cursor belongs to.
    pub generation: u64,
}

/// The result of [`Mount::read`].
#[derive(Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Chunks were appended (possibly none: nothing new yet).
    Data {
        /// Whether the cursor jumped to a new source generation (resend Ogg headers).
        jumped: bool,
    },
    /// The listener fell behind the queue and must be dropped.
    FellBehind,
}

/// Who is feeding a mount.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// `Content-Type` of the stream.
    pub content_type: String,
    /// Properties sent by the source (`ice-*` / `icy-*` headers).
    pub info: StreamInfo,
    /// The raw `ice-audio-info` value.
    pub audio_info: Option<String>,
    /// The source's address (or `relay`/`local`).
    pub ip: String,
    /// The source's `User-Agent`.
    pub user_agent: String,
}

impl SourceInfo {
    /// A source with only a content type (relays, embedders).
    pub fn new(content_type: impl Into<String>) -> SourceInfo {
        SourceInfo {
            content_type: content_type.into(),
            info: StreamInfo::default(),
            audio_info: None,
            ip: "local".into(),
            user_agent: String::new(),
        }
    }
}

#[derive(Debug)]
struct Ring {
    chunks: VecDeque<Chunk>,
    /// Sequence number of `chunks[0]`.
    first_seq: u64,
    /// Sequence number one past the last published chunk.
    published: u64,
    bytes: usize,
    generation: u64,
    /// First sequence number of the current generation.
    generation_start: u64,
}

impl Ring {
    fn end(&self) -> u64 {
        self.first_seq + self.chunks.len() as u64
    }

    fn get(&self, seq: u64) -> Option<&Chunk> {
        self.chunks.get(seq.checked_sub(self.first_seq)? as usize)
    }
}

#[derive(Debug)]
struct State {
    ring: Ring,
    source: Option<SourceInfo>,
    format: StreamFormat,
    meta: Arc<Meta>,
    ogg_headers: Option<Bytes>,
    started: Option<DateTime<Utc>>,
    started_at: Option<Instant>,
    /// When the mount last had no source (for listeners' empty-buffer timeout).
    idle_since: Option<Instant>,
    /// Cancels the connected source (`/admin/killsource`).
    kill: Option<tokio_util::sync::CancellationToken>,
}

/// Counters, readable without the lock.
#[derive(Debug, Default)]
pub struct MountCounters {
    /// Connected listeners.
    pub listeners: AtomicUsize,
    /// Most listeners at once since the source connected.
    pub peak: AtomicUsize,
    /// Listeners dropped for falling behind.
    pub slow_listeners: AtomicU64,
    /// Bytes received from sources.
    pub bytes_read: AtomicU64,
    /// Bytes sent to listeners.
    pub bytes_sent: AtomicU64,
    /// Bytes of the current source made visible to listeners.
    pub bytes_published: AtomicU64,
}

/// One mount point.
#[derive(Debug)]
pub struct Mount {
    /// The mount path (`/live.mp3`).
    pub path: String,
    /// Its configuration (a default one for unconfigured mounts).
    pub config: MountConfig,
    /// Burst size in bytes.
    pub burst_size: usize,
    /// Queue size in bytes.
    pub queue_size: usize,
    /// ICY metadata interval.
    pub metaint: usize,
    /// Listener and byte counters.
    pub counters: MountCounters,
    state: Mutex<State>,
    signal: watch::Sender<u64>,
    /// Whether the mount is fed by an on-demand relay (listeners wait for it).
    pub on_demand: bool,
    /// Woken when a listener joins an on-demand mount.
    pub demand: tokio::sync::Notify,
    /// The oldest chunk a listener still needs (`u64::MAX`: none); older chunks beyond
    /// the burst are released early instead of waiting for the queue limit.
    low_water: AtomicU64,
    /// The task writing to this mount's listeners, while it has any.
    pub(crate) driver: Mutex<Option<tokio::sync::mpsc::Sender<crate::listener::DriverCmd>>>,
    /// A problem its source reports (a station's silence watchdog), shown on status pages.
    warning: Mutex<Option<String>>,
}

/// A consistent snapshot of a mount for status pages.
#[derive(Debug, Clone)]
pub struct MountStatus {
    /// Mount path.
    pub path: String,
    /// Whether a source is connected.
    pub live: bool,
    /// The source's `Content-Type` (or empty).
    pub content_type: String,
    /// Properties after applying the mount's overrides and defaults.
    pub info: StreamInfo,
    /// `ice-audio-info`, raw.
    pub audio_info: Option<String>,
    /// Current title.
    pub title: String,
    /// Current artist (Ogg comments or `artist=`).
    pub artist: Option<String>,
    /// Listeners now.
    pub listeners: usize,
    /// Peak listeners.
    pub peak: usize,
    /// Slow listeners dropped.
    pub slow_listeners: u64,
    /// When the source connected.
    pub started: Option<DateTime<Utc>>,
    /// Seconds since the source connected.
    pub uptime_secs: u64,
    /// Source address.
    pub source_ip: Option<String>,
    /// Source user agent.
    pub user_agent: Option<String>,
    /// Bytes from the source.
    pub bytes_read: u64,
    /// Bytes to listeners.
    pub bytes_sent: u64,
    /// Bytes of the current source visible to listeners.
    pub bytes_published: u64,
    /// Chunks held in the ring.
    pub queued_chunks: usize,
    /// Bytes held in the ring.
    pub queued_bytes: usize,
    /// The fallback mount.
    pub fallback: Option<String>,
    /// Hidden from public status pages.
    pub hidden: bool,
    /// Listener cap.
    pub max_listeners: Option<usize>,
    /// Ogg subtype (`Vorbis`, `Opus`), when Ogg.
    pub format: StreamFormat,
    /// A problem the source reports ("silent for 35 s").
    pub warning: Option<String>,
}

impl Mount {
    /// A mount with the given configuration and defaults.
    pub fn new(config: MountConfig, defaults: &MountDefaults, on_demand: bool) -> Mount {
        let queue_size = config.queue_size.unwrap_or(defaults.queue_size);
        let burst_size = config
            .burst_size
            .unwrap_or(defaults.burst_size)
            .min(queue_size);
        let (signal, _) = watch::channel(0);
        Mount {
            path: config.path.clone(),
            burst_size,
            queue_size,
            metaint: config.metaint.unwrap_or(defaults.metaint),
            counters: MountCounters::default(),
            state: Mutex::new(State {
                ring: Ring {
                    chunks: VecDeque::new(),
                    first_seq: 0,
                    published: 0,
                    bytes: 0,
                    generation: 0,
                    generation_start: 0,
                },
                source: None,
                format: StreamFormat::Other,
                meta: Arc::new(Meta::empty()),
                ogg_headers: None,
                started: None,
                started_at: None,
                idle_since: Some(Instant::now()),
                kill: None,
            }),
            signal,
            config,
            on_demand,
            demand: tokio::sync::Notify::new(),
            driver: Mutex::new(None),
            warning: Mutex::new(None),
            low_water: AtomicU64::new(u64::MAX),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the ring inconsistent (every
        // mutation is a single push/pop), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes listeners (new data or a state change).
    fn notify(&self) {
        self.signal.send_modify(|v| *v += 1);
    }

    /// A receiver that changes whenever data is published or the source changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.signal.subscribe()
    }

    /// Whether a source is connected.
    pub fn is_live(&self) -> bool {
        self.lock().source.is_some()
    }

    /// The stream format (of the current or last source).
    pub fn format(&self) -> StreamFormat {
        self.lock().format
    }

    /// The current source's content type, if live.
    pub fn content_type(&self) -> Option<String> {
        self.lock().source.as_ref().map(|s| s.content_type.clone())
    }

    /// Since when the mount has had no source (`None` while live).
    pub fn idle_since(&self) -> Option<Instant> {
        self.lock().idle_since
    }

    /// Properties after the mount's overrides and defaults.
    pub fn stream_info(&self) -> StreamInfo {
        let st = self.lock();
        self.resolve_info(st.source.as_ref().map(|s| &s.info))
    }

    fn resolve_info(&self, from_source: Option<&StreamInfo>) -> StreamInfo {
        let o = &self.config.overrides;
        let d = &self.config.defaults;
        let s = from_source.cloned().unwrap_or_default();
        let pick_s = |o: &Option<String>, s: Option<String>, d: &Option<String>| {
            o.clone()
                .or(s.filter(|v| !v.is_empty()))
                .or_else(|| d.clone())
        };
        StreamInfo {
            name: pick_s(&o.name, s.name, &d.name),
            genre: pick_s(&o.genre, s.genre, &d.genre),
            description: pick_s(&o.description, s.description, &d.description),
            url: pick_s(&o.url, s.url, &d.url),
            public: o.public.or(s.public).or(d.public),
            bitrate: o.bitrate.or(s.bitrate).or(d.bitrate),
        }
    }

    /// The source's `ice-audio-info`, if any.
    pub fn audio_info(&self) -> Option<String> {
        self.lock()
            .source
            .as_ref()
            .and_then(|s| s.audio_info.clone())
    }

    /// The current title.
    pub fn meta(&self) -> Arc<Meta> {
        self.lock().meta.clone()
    }

    /// Starts a new source generation. Fails when a source is already connected.
    pub(crate) fn attach(&self, source: SourceInfo) -> Option<StreamFormat> {
        let mut st = self.lock();
        if st.source.is_some() {
            return None;
        }
        let format = StreamFormat::from_content_type(&source.content_type);
        let ring = &mut st.ring;
        // Listeners still draining the previous source jump to the new one.
        let end = ring.end();
        ring.generation += 1;
        ring.generation_start = end;
        ring.first_seq = end;
        ring.published = end;
        ring.chunks.clear();
        ring.bytes = 0;
        st.format = format;
        st.source = Some(source);
        st.ogg_headers = None;
        st.meta = Arc::new(Meta::empty());
        st.started = Some(Utc::now());
        st.started_at = Some(Instant::now());
        st.idle_since = None;
        self.counters.bytes_published.store(0, Ordering::Relaxed);
        self.counters.peak.store(
            self.counters.listeners.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        drop(st);
        self.notify();
        Some(format)
    }

    /// Ends the current source; listeners drain what is queued, then wait or move.
    pub(crate) fn detach(&self) {
        let mut st = self.lock();
        st.source = None;
        st.started = None;
        st.started_at = None;
        st.idle_since = Some(Instant::now());
        st.kill = None;
        // Whatever was appended but not yet published goes out now.
        st.ring.published = st.ring.end();
        drop(st);
        self.notify();
    }

    pub(crate) fn set_kill(&self, token: tokio_util::sync::CancellationToken) {
        self.lock().kill = Some(token);
    }

    /// Disconnects the current source. Returns false when there is none.
    pub fn kill_source(&self) -> bool {
        match self.lock().kill.take() {
            Some(k) => {
                k.cancel();
                true
            }
            None => false,
        }
    }

    /// Appends framed units; publishes when `publish` is true.
    pub(crate) fn append(&self, units: &mut Vec<Unit>, publish: bool) {
        if units.is_empty() && !publish {
            return;
        }
        let mut st = self.lock();
        for unit in units.drain(..) {
            let chunk = match unit {
                Unit::Audio { data, sync } => Chunk {
                    data,
                    sync,
                    header: false,
                    meta: st.meta.clone(),
                    ogg_headers: st.ogg_headers.clone(),
                },
                Unit::OggHeaders { pages, tags } => {
                    st.ogg_headers = Some(pages.clone());
                    if tags.title.is_some() || tags.artist.is_some() {
                        let title = match (&tags.artist, &tags.title) {
                            (Some(a), Some(t)) => format!("{a} - {t}"),
                            (None, Some(t)) => t.clone(),
                            (Some(a), None) => a.clone(),
                            (None, None) => String::new(),
                        };
                        let artist = tags.artist.clone();
                        if let Ok(m) = Meta::new(title, artist, None, &self.config.charset) {
                            st.meta = Arc::new(m);
                        }
                    }
                    Chunk {
                        data: pages,
                        sync: true,
                        header: true,
                        meta: st.meta.clone(),
                        ogg_headers: st.ogg_headers.clone(),
                    }
                }
            };
            st.ring.bytes += chunk.data.len();
            st.ring.chunks.push_back(chunk);
        }
        if publish {
            let ring = &mut st.ring;
            let fresh: usize = ring
                .chunks
                .iter()
                .skip(ring.published.saturating_sub(ring.first_seq) as usize)
                .map(|c| c.data.len())
                .sum();
            self.counters
                .bytes_published
                .fetch_add(fresh as u64, Ordering::Relaxed);
            ring.published = ring.end();
            // Keep what the burst needs and what a listener still needs, but never more
            // than the queue size: a listener that far behind is dropped.
            let low_water = self.low_water.load(Ordering::Relaxed);
            while let Some(front) = ring.chunks.front()
                && ring.chunks.len() > 1
            {
                let over_queue = ring.bytes > self.queue_size;
                let unneeded =
                    ring.bytes - front.data.len() >= self.burst_size && ring.first_seq < low_water;
                if !(over_queue || unneeded) {
                    break;
                }
                ring.bytes -= front.data.len();
                ring.chunks.pop_front();
                ring.first_seq += 1;
            }
            drop(st);
            self.notify();
        }
    }

    /// Sets the title for audio that arrives from now on.
    pub fn set_meta(&self, meta: Meta) {
        self.lock().meta = Arc::new(meta);
    }

    /// Where a new listener starts: `burst_size` bytes back, on a boundary.
    ///
    /// Returns the cursor and, for Ogg, the header pages to send first.
    pub fn start_cursor(&self) -> (Cursor, Option<Bytes>) {
        let st = self.lock();
        let ring = &st.ring;
        let mut seq = ring.published;
        let mut bytes = 0;
        while seq > ring.first_seq.max(ring.generation_start) && bytes < self.burst_size {
            seq -= 1;
            bytes += ring.get(seq).map_or(0, |c| c.data.len());
        }
        // Move forward to a chunk a decoder can start on.
        while seq < ring.published {
            match ring.get(seq) {
                Some(c) if c.sync && !c.header => break,
                _ => seq += 1,
            }
        }
        let headers = ring
            .get(seq)
            .and_then(|c| c.ogg_headers.clone())
            .or_else(|| st.ogg_headers.clone());
        (
            Cursor {
                seq,
                generation: ring.generation,
            },
            headers,
        )
    }

    /// Copies published chunks from `cursor` into `out`, up to about `max_bytes`.
    pub fn read(&self, cursor: &mut Cursor, max_bytes: usize, out: &mut Vec<Chunk>) -> ReadOutcome {
        let st = self.lock();
        let ring = &st.ring;
        let mut jumped = false;
        if cursor.generation != ring.generation {
            cursor.generation = ring.generation;
            cursor.seq = ring.generation_start.max(ring.first_seq);
            jumped = true;
        }
        if cursor.seq < ring.first_seq {
            drop(st);
            self.counters.slow_listeners.fetch_add(1, Ordering::Relaxed);
            return ReadOutcome::FellBehind;
        }
        let mut taken = 0;
        while cursor.seq < ring.published && taken < max_bytes {
            let Some(c) = ring.get(cursor.seq) else { break };
            // After a jump, start at a decodable chunk (a new chain's headers are one).
            if jumped && taken == 0 && !c.header && !c.sync {
                cursor.seq += 1;
                continue;
            }
            taken += c.data.len();
            out.push(c.clone());
            cursor.seq += 1;
        }
        ReadOutcome::Data { jumped }
    }

    /// Records the oldest chunk the mount's listeners still need (`u64::MAX`: none).
    pub(crate) fn set_low_water(&self, seq: u64) {
        self.low_water.store(seq, Ordering::Relaxed);
    }

    /// Whether the queue has moved past `cursor` (counted as a slow listener if so).
    pub fn fell_behind(&self, cursor: &Cursor) -> bool {
        let st = self.lock();
        let behind = cursor.generation == st.ring.generation && cursor.seq < st.ring.first_seq;
        drop(st);
        if behind {
            self.counters.slow_listeners.fetch_add(1, Ordering::Relaxed);
        }
        behind
    }

    /// The Ogg headers of the current chain.
    pub fn ogg_headers(&self) -> Option<Bytes> {
        self.lock().ogg_headers.clone()
    }

    /// Adds a listener if the mount's cap allows. Returns false when full.
    pub fn try_add_listener(&self) -> bool {
        let max = self.config.max_listeners.unwrap_or(usize::MAX);
        let c = &self.counters.listeners;
        let mut n = c.load(Ordering::Relaxed);
        loop {
            if n >= max {
                return false;
            }
            match c.compare_exchange_weak(n, n + 1, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => {
                    self.counters.peak.fetch_max(n + 1, Ordering::Relaxed);
                    return true;
                }
                Err(now) => n = now,
            }
        }
    }

    /// Removes a listener added with [`Mount::try_add_listener`] or [`Mount::add_listener`].
    pub fn remove_listener(&self) {
        self.counters.listeners.fetch_sub(1, Ordering::AcqRel);
    }

    /// Adds a listener regardless of the cap (moves and fallbacks never drop listeners).
    pub fn add_listener(&self) {
        let n = self.counters.listeners.fetch_add(1, Ordering::AcqRel) + 1;
        self.counters.peak.fetch_max(n, Ordering::Relaxed);
    }

    /// Listeners now.
    pub fn listeners(&self) -> usize {
        self.counters.listeners.load(Ordering::Relaxed)
    }

    /// A snapshot for status pages.
    pub fn status(&self) -> MountStatus {
        let st = self.lock();
        let c = &self.counters;
        MountStatus {
            path: self.path.clone(),
            live: st.source.is_some(),
            content_type: st
                .source
                .as_ref()
                .map(|s| s.content_type.clone())
                .unwrap_or_default(),
            info: self.resolve_info(st.source.as_ref().map(|s| &s.info)),
            audio_info: st.source.as_ref().and_then(|s| s.audio_info.clone()),
            title: st.meta.title.clone(),
            artist: st.meta.artist.clone(),
            listeners: c.listeners.load(Ordering::Relaxed),
            peak: c.peak.load(Ordering::Relaxed),
            slow_listeners: c.slow_listeners.load(Ordering::Relaxed),
            started: st.started,
            uptime_secs: st.started_at.map_or(0, |t| t.elapsed().as_secs()),
            source_ip: st.source.as_ref().map(|s| s.ip.clone()),
            user_agent: st.source.as_ref().map(|s| s.user_agent.clone()),
            bytes_read: c.bytes_read.load(Ordering::Relaxed),
            bytes_sent: c.bytes_sent.load(Ordering::Relaxed),
            bytes_published: c.bytes_published.load(Ordering::Relaxed),
            queued_chunks: st.ring.chunks.len(),
            queued_bytes: st.ring.bytes,
            fallback: self.config.fallback.clone(),
            hidden: self.config.hidden,
            max_listeners: self.config.max_listeners,
            format: st.format,
            warning: self
                .warning
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

/// Frames and publishes a source's bytes into its mount.
///
/// Used by source connections, relays and embedders (a station's encoder). Dropping it
/// ends the source: listeners drain what is queued, then wait or move to the fallback.
pub struct SourceFeed {
    pub(crate) mount: Arc<Mount>,
    framer: Framer,
    units: Vec<Unit>,
    pending_bytes: usize,
    pending_since: Option<Instant>,
    fanout: crate::config::FanoutConfig,
    dump: Option<crate::dump::DumpFile>,
    pub(crate) on_end: Option<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for SourceFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFeed")
            .field("mount", &self.mount.path)
            .finish()
    }
}

impl SourceFeed {
    pub(crate) fn new(
        mount: Arc<Mount>,
        format: StreamFormat,
        fanout: crate::config::FanoutConfig,
        dump: Option<crate::dump::DumpFile>,
    ) -> SourceFeed {
        SourceFeed {
            mount,
            framer: Framer::new(format),
            units: Vec::new(),
            pending_bytes: 0,
            pending_since: None,
            fanout,
            dump,
            on_end: None,
        }
    }

    /// The mount path this feed writes to.
    pub fn mount_path(&self) -> &str {
        &self.mount.path
    }

    /// Adds stream bytes, exactly as the source sent them.
    pub fn write(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if let Some(d) = &mut self.dump {
            d.write(data);
        }
        self.mount
            .counters
            .bytes_read
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        self.framer
            .push(data, self.fanout.min_chunk, false, &mut self.units);
        self.pending_bytes += data.len();
        let since = *self.pending_since.get_or_insert_with(Instant::now);
        if self.pending_bytes >= self.fanout.publish_bytes
            || since.elapsed() >= self.fanout.publish_interval
        {
            self.publish();
        } else if !self.units.is_empty() {
            self.mount.append(&mut self.units, false);
        }
    }

    /// When pending data must be published at the latest (`None`: nothing pending).
    pub fn publish_deadline(&self) -> Option<Instant> {
        self.pending_since.map(|t| t + self.fanout.publish_interval)
    }

    /// Publishes everything pending now.
    pub fn publish(&mut self) {
        self.framer.flush(&mut self.units);
        self.mount.append(&mut self.units, true);
        self.pending_bytes = 0;
        self.pending_since = None;
    }

    /// Sets the stream title (ICY listeners see it with the next audio).
    pub fn set_title(&self, meta: Meta) {
        self.mount.set_meta(meta);
    }

    /// Reports a problem of the source on the status pages (`None`: all well).
    pub fn set_warning(&self, warning: Option<String>) {
        *self.mount.warning.lock().unwrap_or_else(|p| p.into_inner()) = warning;
    }
}

impl Drop for SourceFeed {
    fn drop(&mut self) {
        self.framer.finish(&mut self.units);
        self.mount.append(&mut self.units, true);
        self.mount.detach();
        if let Some(f) = self.on_end.take() {
            f();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::mp3_frame;

    fn mount(burst: usize, queue: usize) -> Arc<Mount> {
        let mut c = MountConfig::new("/m");
        c.burst_size = Some(burst);
        c.queue_size = Some(queue);
        Arc::new(Mount::new(c, &MountDefaults::default(), false))
    }

    fn feed(m: &Arc<Mount>) -> SourceFeed {
        let format = m.attach(SourceInfo::new("audio/mpeg")).unwrap();
        let fanout = crate::config::FanoutConfig {
            publish_bytes: 4096,
            min_chunk: 1000,
            ..Default::default()
        };
        SourceFeed::new(m.clone(), format, fanout, None)
    }

    #[test]
    fn burst_starts_on_frame_and_queue_is_bounded() {
        let m = mount(8192, 32 * 1024);
        let mut f = feed(&m);
        for _ in 0..500 {
            f.write(&mp3_frame(false));
        }
        f.publish();
        let (mut cur, _) = m.start_cursor();
        let mut out = Vec::new();
        assert_eq!(
            m.read(&mut cur, usize::MAX, &mut out),
            ReadOutcome::Data { jumped: false }
        );
        let total: usize = out.iter().map(|c| c.data.len()).sum();
        assert!((8192..8192 + 4096).contains(&total), "burst {total}");
        assert!(out[0].sync && out[0].data[0] == 0xFF);
        let st = m.status();
        assert!(st.queued_bytes <= 32 * 1024, "{}", st.queued_bytes);
        // A cursor left behind while the ring moves on is told so.
        for _ in 0..200 {
            f.write(&mp3_frame(false));
        }
        f.publish();
        let mut old = Cursor {
            seq: 0,
            generation: cur.generation,
        };
        assert_eq!(
            m.read(&mut old, usize::MAX, &mut out),
            ReadOutcome::FellBehind
        );
        assert_eq!(m.status().slow_listeners, 1);
    }

    #[test]
    fn second_source_refused_and_new_generation_jumps() {
        let m = mount(4096, 65536);
        let mut f = feed(&m);
        assert!(m.attach(SourceInfo::new("audio/mpeg")).is_none());
        f.write(&mp3_frame(false).repeat(20));
        f.publish();
        let (mut cur, _) = m.start_cursor();
        drop(f);
        assert!(!m.is_live());
        let mut f2 = feed(&m);
        f2.write(&mp3_frame(true).repeat(20));
        f2.publish();
        let mut out = Vec::new();
        assert_eq!(
            m.read(&mut cur, usize::MAX, &mut out),
            ReadOutcome::Data { jumped: true }
        );
        assert!(out.iter().all(|c| c.data.len() % 418 == 0));
    }

    #[test]
    fn ring_keeps_burst_and_what_listeners_need() {
        let m = mount(8192, 64 * 1024);
        let mut f = feed(&m);
        f.write(&mp3_frame(false).repeat(50));
        f.publish();
        // A listener still needs everything from here on.
        let (cur, _) = m.start_cursor();
        m.set_low_water(cur.seq);
        f.write(&mp3_frame(false).repeat(100));
        f.publish();
        let st = m.status();
        assert!(
            st.queued_bytes >= 100 * 417,
            "kept for the listener: {}",
            st.queued_bytes
        );
        // Nobody behind: only the burst (and the chunk straddling it) is kept.
        m.set_low_water(u64::MAX);
        f.write(&mp3_frame(false).repeat(10));
        f.publish();
        let st = m.status();
        assert!(
            (8192..8192 + 4096).contains(&st.queued_bytes),
            "{}",
            st.queued_bytes
        );
    }

    #[test]
    fn listener_cap_is_exact() {
        let mut c = MountConfig::new("/m");
        c.max_listeners = Some(3);
        let m = Mount::new(c, &MountDefaults::default(), false);
        assert!((0..3).all(|_| m.try_add_listener()));
        assert!(!m.try_add_listener());
        m.remove_listener();
        assert!(m.try_add_listener());
        assert_eq!(m.listeners(), 3);
    }
}
