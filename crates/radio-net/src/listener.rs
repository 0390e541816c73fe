//! A listener: one task that streams a mount to one socket.
//!
//! The task keeps a cursor into its mount's ring. When woken (a batch was published) it
//! takes every pending chunk, interleaves ICY metadata if asked, and writes it all with
//! vectored writes: the number of syscalls grows with listeners × batches per second,
//! not with encoder frames. A write that cannot make progress for `write_timeout`, or a
//! cursor that falls off the ring, ends the listener; it never slows anyone else.
//!
//! When the mount's source leaves, the listener plays out what is queued, then moves to
//! the fallback mount (if any, and live) or waits up to `empty_buffer_timeout` for the
//! source to return. With `fallback_override` it goes back home when the source returns.

use crate::framing::StreamFormat;
use crate::icy::Meta;
use crate::mount::{Chunk, Cursor, Mount, ReadOutcome};
use crate::server::{Control, Mailbox, Shared};
use bytes::{Buf, Bytes};
use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpStream;
use tokio::sync::watch;

/// Most bytes taken from the ring per wake-up.
const MAX_BATCH: usize = 256 * 1024;
/// Most slices per vectored write.
const MAX_IOV: usize = 64;

/// Why a listener ended (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndReason {
    ClientGone,
    FellBehind,
    WriteTimeout,
    NoSource,
    Killed,
    Shutdown,
}

struct Icy {
    metaint: usize,
    until_meta: usize,
    last: Option<Arc<Meta>>,
}

pub(crate) struct Listener {
    pub stream: TcpStream,
    pub mount: Arc<Mount>,
    /// The mount the listener asked for (fallback-override brings it back there).
    pub home: Arc<Mount>,
    pub icy: bool,
    pub id: u64,
    pub ctrl: Arc<Mailbox>,
}

struct State {
    cursor: Cursor,
    rx: watch::Receiver<u64>,
    home_rx: Option<watch::Receiver<u64>>,
    out: VecDeque<Bytes>,
    icy: Option<Icy>,
    chunks: Vec<Chunk>,
    sent: u64,
}

impl Listener {
    /// Streams until the client leaves or is dropped. Returns bytes sent and why it ended.
    pub async fn run(mut self, shared: &Shared) -> (u64, EndReason, Arc<Mount>) {
        let mut st = State {
            cursor: Cursor {
                seq: 0,
                generation: 0,
            },
            rx: self.mount.subscribe(),
            home_rx: None,
            out: VecDeque::new(),
            icy: None,
            chunks: Vec::new(),
            sent: 0,
        };
        if self.icy && self.mount.format().supports_icy() {
            st.icy = Some(Icy {
                metaint: self.mount.metaint,
                until_meta: self.mount.metaint,
                last: None,
            });
        }
        self.start_on(&mut st, None);
        let reason = self.stream_loop(shared, &mut st).await;
        (st.sent, reason, self.mount)
    }

    /// Positions the listener at `self.mount`'s burst start and queues Ogg headers.
    fn start_on(&mut self, st: &mut State, previous: Option<&Arc<Mount>>) {
        st.rx = self.mount.subscribe();
        st.rx.mark_unchanged();
        let (cursor, headers) = self.mount.start_cursor();
        st.cursor = cursor;
        if let Some(h) = headers {
            st.out.push_back(h);
        }
        if let Some(prev) = previous {
            prev.remove_listener();
            self.mount.add_listener();
        }
        st.home_rx = (!Arc::ptr_eq(&self.mount, &self.home) && self.home.config.fallback_override)
            .then(|| {
                let mut rx = self.home.subscribe();
                rx.mark_unchanged();
                rx
            });
    }

    fn move_to(&mut self, st: &mut State, shared: &Shared, to: Arc<Mount>) {
        if Arc::ptr_eq(&to, &self.mount) {
            return;
        }
        tracing::debug!(id = self.id, from = %self.mount.path, to = %to.path, "listener moved");
        let prev = std::mem::replace(&mut self.mount, to);
        if let Some(c) = shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&self.id)
        {
            c.mount = self.mount.path.clone();
        }
        self.start_on(st, Some(&prev));
    }

    async fn stream_loop(&mut self, shared: &Shared, st: &mut State) -> EndReason {
        let limits = &shared.config.limits;
        loop {
            if st.out.is_empty() {
                st.rx.mark_unchanged();
                st.chunks.clear();
                // A quarter of the queue at most, so "behind the queue" stays meaningful.
                let batch = MAX_BATCH.min(self.mount.queue_size / 4).max(4096);
                match self.mount.read(&mut st.cursor, batch, &mut st.chunks) {
                    ReadOutcome::FellBehind => return EndReason::FellBehind,
                    ReadOutcome::Data { jumped } => {
                        // A new source: new Ogg headers (unless its first chunk is them).
                        if jumped
                            && self.mount.format() == StreamFormat::Ogg
                            && !st.chunks.first().is_some_and(|c| c.header)
                            && let Some(h) = st.chunks.first().and_then(|c| c.ogg_headers.clone())
                        {
                            st.out.push_back(h);
                        }
                        let mut chunks = std::mem::take(&mut st.chunks);
                        for c in &chunks {
                            enqueue(st, c);
                        }
                        chunks.clear();
                        // After a burst, give back what a steady batch does not need:
                        // thousands of listeners hold these between batches.
                        if chunks.capacity() > 16 {
                            chunks = Vec::new();
                        }
                        st.chunks = chunks;
                    }
                }
            }
            if !st.out.is_empty() {
                match write_some(
                    &self.stream,
                    &self.mount,
                    st,
                    limits.write_timeout,
                    &shared.shutdown,
                )
                .await
                {
                    Ok(n) => {
                        st.sent += n as u64;
                        self.mount
                            .counters
                            .bytes_sent
                            .fetch_add(n as u64, Ordering::Relaxed);
                        continue;
                    }
                    Err(r) => return r,
                }
            }
            if st.out.capacity() > 64 {
                st.out = VecDeque::new();
            }
            // Nothing to send: the source has gone quiet or left.
            let live = self.mount.is_live();
            if !live && let Some(fb) = self.fallback_target(shared) {
                self.move_to(st, shared, fb);
                continue;
            }
            let idle_deadline = (!live).then(|| {
                let since = self
                    .mount
                    .idle_since()
                    .unwrap_or_else(std::time::Instant::now);
                tokio::time::Instant::from_std(since + limits.empty_buffer_timeout)
            });
            tokio::select! {
                r = st.rx.changed() => if r.is_err() { return EndReason::NoSource },
                r = async { st.home_rx.as_mut().expect("guarded").changed().await }, if st.home_rx.is_some() => {
                    if r.is_ok() && self.home.is_live() {
                        let home = self.home.clone();
                        self.move_to(st, shared, home);
                    }
                }
                c = self.ctrl.recv() => match c {
                    Control::Kill => return EndReason::Killed,
                    Control::Move(to) => self.move_to(st, shared, to),
                },
                _ = shared.shutdown.cancelled() => return EndReason::Shutdown,
                _ = sleep_until(idle_deadline), if idle_deadline.is_some() => {
                    if !self.mount.is_live() && self.fallback_target(shared).is_none() {
                        return EndReason::NoSource;
                    }
                }
                r = self.stream.readable() => {
                    // Listeners send nothing after the request; readable means closed.
                    if r.is_err() || peer_closed(&self.stream) {
                        return EndReason::ClientGone;
                    }
                }
            }
        }
    }

    /// The live fallback of the current mount, following a chain of up to 10.
    fn fallback_target(&self, shared: &Shared) -> Option<Arc<Mount>> {
        let mut path = self.mount.config.fallback.clone()?;
        for _ in 0..10 {
            let m = shared.mount(&path)?;
            if m.is_live() {
                return (m.format() == self.mount.format() || !self.mount.is_live()).then_some(m);
            }
            path = m.config.fallback.clone()?;
        }
        None
    }
}

async fn sleep_until(t: Option<tokio::time::Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

fn peer_closed(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match stream.try_read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

/// Queues a chunk, splitting it at ICY metadata boundaries.
fn enqueue(st: &mut State, chunk: &Chunk) {
    let Some(icy) = &mut st.icy else {
        st.out.push_back(chunk.data.clone());
        return;
    };
    let mut data = chunk.data.clone();
    while !data.is_empty() {
        if icy.until_meta == 0 {
            let changed = !icy
                .last
                .as_ref()
                .is_some_and(|m| Arc::ptr_eq(m, &chunk.meta));
            if changed
                && icy
                    .last
                    .as_ref()
                    .is_none_or(|m| m.icy_block != chunk.meta.icy_block)
            {
                st.out.push_back(chunk.meta.icy_block.clone());
            } else {
                st.out.push_back(Bytes::from_static(&[0]));
            }
            icy.last = Some(chunk.meta.clone());
            icy.until_meta = icy.metaint;
        }
        let n = icy.until_meta.min(data.len());
        st.out.push_back(data.split_to(n));
        icy.until_meta -= n;
    }
}

/// Writes as much of `st.out` as the socket takes, waiting (bounded) when it is full.
///
/// While the socket is full, every batch the mount publishes is a chance to notice that
/// the queue has moved past this listener: it is then dropped at once, as Icecast does,
/// rather than when the write timeout expires.
async fn write_some(
    stream: &TcpStream,
    mount: &Mount,
    st: &mut State,
    timeout: std::time::Duration,
    shutdown: &tokio_util::sync::CancellationToken,
) -> Result<usize, EndReason> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let n = {
            let mut slices = [IoSlice::new(&[]); MAX_IOV];
            let mut count = 0;
            for (slot, b) in slices.iter_mut().zip(st.out.iter()) {
                *slot = IoSlice::new(b);
                count += 1;
            }
            stream.try_write_vectored(&slices[..count])
        };
        match n {
            Ok(0) => return Err(EndReason::ClientGone),
            Ok(mut n) => {
                let written = n;
                while n > 0 {
                    let front = st.out.front_mut().expect("wrote from a non-empty queue");
                    if front.len() <= n {
                        n -= front.len();
                        st.out.pop_front();
                    } else {
                        front.advance(n);
                        n = 0;
                    }
                }
                return Ok(written);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                tokio::select! {
                    r = tokio::time::timeout_at(deadline, stream.writable()) => match r {
                        Ok(Ok(())) => continue,
                        Ok(Err(_)) => return Err(EndReason::ClientGone),
                        Err(_) => return Err(EndReason::WriteTimeout),
                    },
                    r = st.rx.changed() => {
                        if r.is_ok() && mount.fell_behind(&st.cursor) {
                            return Err(EndReason::FellBehind);
                        }
                    }
                    _ = shutdown.cancelled() => return Err(EndReason::Shutdown),
                }
            }
            Err(_) => return Err(EndReason::ClientGone),
        }
    }
}
