//! Live inputs: compressed bytes arriving in chunks from a source connection, decoded on
//! their own thread, resampled, and offered as blocks.
//!
//! The network side [`LiveInput::push`]es what it receives and never waits; the station
//! [`Source::pull`]s blocks and never waits either: with nothing decoded yet it gets
//! silence and `is_ready()` is false. Garbage and truncated frames are skipped by the
//! decoder's resynchronisation; when the stream becomes undecodable (a new format, a
//! broken header) the decoder starts over on the bytes that follow. The queue of decoded
//! audio is bounded: an input nobody listens to is still drained, never grows.

use crate::block::{BLOCK_SAMPLES, Block};
use crate::decode::FileDecoder;
use crate::resample::Resampler;
use crate::source::{Event, Metadata, Pull, Source};
use bytes::Bytes;
use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

/// Chunks queued for the decoder thread before pushes are refused.
const INPUT_QUEUE: usize = 1024;
/// Decoded blocks kept (10 s); older ones are dropped.
const OUTPUT_BLOCKS: usize = 500;

/// What the decoder thread shares with the station.
#[derive(Default)]
struct Shared {
    blocks: Mutex<VecDeque<Block>>,
    events: Mutex<Vec<Event>>,
    ended: AtomicBool,
    dropped_chunks: AtomicU64,
    restarts: AtomicU64,
}

/// A live input (a DJ's stream) as a [`Source`].
pub struct LiveInput {
    tx: Option<SyncSender<Bytes>>,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for LiveInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveInput")
            .field("ready", &self.is_ready())
            .finish()
    }
}

/// A blocking reader over the chunk channel (`Ok(0)` only once the sender is gone).
struct ChunkReader {
    rx: Mutex<Receiver<Bytes>>,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.current.is_empty() {
            let next = self.rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
            match next {
                Ok(b) => self.current = b,
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

impl LiveInput {
    /// Starts the decoder thread for an input named `what` (for messages).
    pub fn new(what: &str) -> std::io::Result<LiveInput> {
        let (tx, rx) = sync_channel::<Bytes>(INPUT_QUEUE);
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let name = what.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("live-{what}"))
            .spawn(move || decode_thread(name, rx, s))?;
        Ok(LiveInput {
            tx: Some(tx),
            shared,
            thread: Some(thread),
        })
    }

    /// Hands over received bytes; never waits. `false` when the decoder is so far behind
    /// that the bytes were dropped.
    pub fn push(&self, data: Bytes) -> bool {
        let Some(tx) = &self.tx else { return false };
        match tx.try_send(data) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.shared.dropped_chunks.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// A handle for the network side, to push bytes and titles from another thread. The
    /// stream ends once the input is [`LiveInput::close`]d and every feeder is dropped.
    pub fn feeder(&self) -> Option<LiveFeeder> {
        Some(LiveFeeder {
            tx: self.tx.clone()?,
            shared: self.shared.clone(),
        })
    }

    /// The connection has ended: decode what is queued, then end.
    pub fn close(&mut self) {
        self.tx = None;
    }

    /// Times the decoder had to start over on undecodable input.
    pub fn restarts(&self) -> u64 {
        self.shared.restarts.load(Ordering::Relaxed)
    }

    /// Waits for the decoder thread after [`LiveInput::close`] (tests, shutdown).
    pub fn join(&mut self) {
        self.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The network side of a [`LiveInput`] (see [`LiveInput::feeder`]).
#[derive(Clone)]
pub struct LiveFeeder {
    tx: SyncSender<Bytes>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LiveFeeder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveFeeder").finish()
    }
}

impl LiveFeeder {
    /// Hands over received bytes; never waits. `false` when they were dropped (the
    /// decoder is far behind, or gone).
    pub fn push(&self, data: Bytes) -> bool {
        match self.tx.try_send(data) {
            Ok(()) => true,
            Err(_) => {
                self.shared.dropped_chunks.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// A new title (a DJ's metadata update): announced with the next block.
    pub fn set_title(&self, meta: Metadata) {
        self.shared
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Event::TrackStart(meta));
    }
}

impl Drop for LiveInput {
    fn drop(&mut self) {
        // Closing the channel ends the thread; it is not joined here so a drop never blocks.
        self.tx = None;
    }
}

impl Source for LiveInput {
    fn pull(&mut self, block: &mut Block, events: &mut Vec<Event>) -> Pull {
        events.append(&mut self.shared.events.lock().unwrap_or_else(|p| p.into_inner()));
        let next = self
            .shared
            .blocks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front();
        match next {
            Some(b) => {
                *block = b;
                Pull::Audio
            }
            None if self.shared.ended.load(Ordering::Acquire) => Pull::End,
            None => {
                block.clear();
                Pull::Audio
            }
        }
    }

    fn is_ready(&self) -> bool {
        !self
            .shared
            .blocks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }
}

fn decode_thread(what: String, rx: Receiver<Bytes>, shared: Arc<Shared>) {
    let mut reader = Some(ChunkReader {
        rx: Mutex::new(rx),
        current: Bytes::new(),
    });
    let mut decoded = Vec::new();
    let mut resampled = Vec::new();
    let mut pending: Vec<f32> = Vec::new();
    // One decoder per stretch of decodable stream; start over after a failure.
    while let Some(r) = reader.take() {
        let shared_reader = Arc::new(Mutex::new(r));
        let handle = SharedReader(shared_reader.clone());
        let attempt = FileDecoder::from_reader(&what, handle);
        let Ok(mut dec) = attempt else {
            shared.restarts.fetch_add(1, Ordering::Relaxed);
            reader = take_back(shared_reader);
            if reader.as_mut().is_some_and(|r| r.is_closed()) {
                break;
            }
            continue;
        };
        let meta: Metadata = dec.info().metadata.clone();
        shared
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Event::TrackStart(meta));
        let Ok(mut resampler) = Resampler::new(dec.info().rate) else {
            break;
        };
        loop {
            decoded.clear();
            match dec.decode_next(&mut decoded) {
                Ok(true) => {
                    resampled.clear();
                    if resampler.process(&decoded, &mut resampled).is_err() {
                        break;
                    }
                    pending.extend_from_slice(&resampled);
                    publish(&shared, &mut pending);
                }
                Ok(false) => break,
                Err(_) => {
                    shared.restarts.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
        drop(dec);
        reader = take_back(shared_reader);
        if reader.as_mut().is_some_and(|r| r.is_closed()) {
            break;
        }
    }
    if !pending.is_empty() {
        pending.resize(pending.len().div_ceil(BLOCK_SAMPLES) * BLOCK_SAMPLES, 0.0);
        publish(&shared, &mut pending);
    }
    shared.ended.store(true, Ordering::Release);
}

/// Cuts whole blocks off `pending` into the bounded output queue.
fn publish(shared: &Shared, pending: &mut Vec<f32>) {
    let whole = pending.len() / BLOCK_SAMPLES * BLOCK_SAMPLES;
    if whole == 0 {
        return;
    }
    let mut q = shared.blocks.lock().unwrap_or_else(|p| p.into_inner());
    for c in pending[..whole].chunks_exact(BLOCK_SAMPLES) {
        let mut b = Block::silence();
        b.samples_mut().copy_from_slice(c);
        if q.len() == OUTPUT_BLOCKS {
            q.pop_front();
        }
        q.push_back(b);
    }
    drop(q);
    pending.drain(..whole);
}

impl ChunkReader {
    /// Whether the sender is gone and nothing is left (a chunk found is kept).
    fn is_closed(&mut self) -> bool {
        if !self.current.is_empty() {
            return false;
        }
        let next = self.rx.lock().unwrap_or_else(|p| p.into_inner()).try_recv();
        match next {
            Ok(b) => {
                self.current = b;
                false
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => false,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => true,
        }
    }
}

/// The chunk reader shared between a decoder and the thread, so the thread gets the
/// reader (and its unread bytes) back when a decoder gives up.
struct SharedReader(Arc<Mutex<ChunkReader>>);

impl Read for SharedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).read(buf)
    }
}

fn take_back(r: Arc<Mutex<ChunkReader>>) -> Option<ChunkReader> {
    Arc::try_unwrap(r)
        .ok()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
}
