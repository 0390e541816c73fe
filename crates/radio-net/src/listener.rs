//! Listener fan-out: one driver task per mount writes to all of that mount's listeners.
//!
//! Icecast serves each mount's listeners from one loop; so do we. A listener, once
//! admitted and sent its headers, becomes a [`Sink`]: its socket, its cursor into the
//! mount's ring and its ICY state — a few hundred bytes, no task of its own. When the
//! mount publishes a batch, the driver wakes once and, for every sink, takes the pending
//! chunks and writes them in one vectored write. The syscalls grow with listeners ×
//! batches per second; the wake-ups with mounts × batches per second.
//!
//! A socket that cannot take a whole batch keeps the rest and is watched for
//! writability; it gets no new data until it has drained. It is dropped when it has made
//! no progress for `write_timeout`, or as soon as the ring has moved past its cursor
//! ("fallen too far behind", as Icecast says). It never slows anyone else.
//!
//! When the mount's source leaves, sinks play out what is queued, then move to the
//! fallback mount (if any, and live) or wait up to `empty_buffer_timeout` for the source
//! to return. With `fallback_override` they go back home when the source returns.

use crate::framing::StreamFormat;
use crate::icy::Meta;
use crate::mount::{Chunk, Cursor, Mount, ReadOutcome};
use crate::server::Shared;
use bytes::{Buf, Bytes};
use std::collections::VecDeque;
use std::io::IoSlice;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

/// Most bytes taken from the ring for one sink per batch.
const MAX_BATCH: usize = 256 * 1024;
/// Most slices per vectored write.
const MAX_IOV: usize = 64;
/// How often drivers check timeouts, fallbacks and blocked sockets.
const TICK: Duration = Duration::from_millis(100);
/// Ticks between checks of sinks that received nothing (see [`Driver::housekeeping`]).
const IDLE_CHECK_TICKS: u32 = 10;
/// Commands queued for one driver. Admissions are bounded by the accept rate and moves
/// by the listener count; past this, a listener that cannot be handed over is closed
/// (and logged) rather than queued without bound.
const DRIVER_QUEUE: usize = 65_536;

/// Why a listener ended (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndReason {
    ClientGone,
    FellBehind,
    WriteTimeout,
    NoSource,
    Killed,
    Shutdown,
    Overloaded,
}

/// What the access log needs when the listener leaves.
#[derive(Debug)]
pub(crate) struct LogInfo {
    pub peer: SocketAddr,
    pub started: Instant,
    pub started_wall: chrono::DateTime<chrono::Utc>,
    pub user_agent: String,
    pub referer: String,
    pub request: String,
    pub header_len: u64,
}

#[derive(Debug)]
struct Icy {
    metaint: usize,
    until_meta: usize,
    last: Option<Arc<Meta>>,
}

/// One listener inside a driver.
#[derive(Debug)]
pub(crate) struct Sink {
    id: u64,
    stream: TcpStream,
    /// The mount the listener asked for (fallback-override brings it back there).
    home: Arc<Mount>,
    icy: Option<Icy>,
    cursor: Cursor,
    out: VecDeque<Bytes>,
    sent: u64,
    /// `sent` at the previous idle check (a sink that got nothing is checked for a close).
    sent_at_check: u64,
    blocked_since: Option<Instant>,
    info: Box<LogInfo>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Sink {
    /// A sink for an admitted listener; `icy` when it asked for ICY metadata.
    pub fn new(
        id: u64,
        stream: TcpStream,
        home: Arc<Mount>,
        icy: Option<usize>,
        info: LogInfo,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Sink {
        Sink {
            id,
            stream,
            home,
            icy: icy.map(|metaint| Icy {
                metaint,
                until_meta: metaint,
                last: None,
            }),
            cursor: Cursor {
                seq: 0,
                generation: 0,
            },
            out: VecDeque::new(),
            sent: 0,
            sent_at_check: 0,
            blocked_since: None,
            info: Box::new(info),
            _permit: permit,
        }
    }
}

impl Sink {
    /// Keeps the connection permit for as long as the listener stays.
    pub fn with_permit(mut self, permit: OwnedSemaphorePermit) -> Sink {
        self._permit = Some(permit);
        self
    }
}

/// A command for a mount's driver.
#[derive(Debug)]
pub(crate) enum DriverCmd {
    /// Start streaming to this sink (already counted on the mount).
    Add(Box<Sink>),
    /// Disconnect listener `id`.
    Kill(u64),
    /// Move every listener to another mount.
    MoveAll(Arc<Mount>),
}

/// Sends a command to `mount`'s driver, starting the driver if it is not running.
///
/// On failure (the driver's queue is full) an `Add` is handed back.
pub(crate) fn dispatch(
    shared: &Arc<Shared>,
    mount: &Arc<Mount>,
    cmd: DriverCmd,
) -> Result<(), DriverCmd> {
    // The send happens under the slot's lock: a driver only exits under the same lock
    // after seeing an empty queue, so no command is ever sent to a driver that is gone.
    let mut slot = mount.driver.lock().unwrap_or_else(|p| p.into_inner());
    let tx = match slot.as_ref() {
        Some(tx) if !tx.is_closed() => tx.clone(),
        _ => {
            let (tx, rx) = mpsc::channel(DRIVER_QUEUE);
            let s = shared.clone();
            let m = mount.clone();
            shared.tracker.spawn(async move { drive(s, m, rx).await });
            *slot = Some(tx.clone());
            tx
        }
    };
    tx.try_send(cmd).map_err(|e| match e {
        mpsc::error::TrySendError::Full(c) | mpsc::error::TrySendError::Closed(c) => c,
    })
}

/// Hands an admitted listener to its mount's driver.
pub(crate) fn join(shared: &Arc<Shared>, mount: &Arc<Mount>, sink: Sink) {
    if let Err(DriverCmd::Add(sink)) = dispatch(shared, mount, DriverCmd::Add(Box::new(sink))) {
        tracing::error!(mount = %mount.path, "listener dropped: the mount's driver is overloaded");
        finish(shared, mount, *sink, EndReason::Overloaded);
    }
}

struct Driver {
    /// Ticks until the next idle check.
    idle_check_in: u32,
    shared: Arc<Shared>,
    mount: Arc<Mount>,
    sinks: Vec<Sink>,
    /// Scratch space for chunks read from the ring, shared by all sinks.
    chunks: Vec<Chunk>,
    batch: usize,
}

async fn drive(shared: Arc<Shared>, mount: Arc<Mount>, mut rx: mpsc::Receiver<DriverCmd>) {
    let batch = MAX_BATCH.min(mount.queue_size / 4).max(4096);
    let mut d = Driver {
        idle_check_in: IDLE_CHECK_TICKS,
        shared: shared.clone(),
        mount: mount.clone(),
        sinks: Vec::new(),
        chunks: Vec::new(),
        batch,
    };
    let mut signal = mount.subscribe();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = shared.shutdown.cancelled() => {
                for s in std::mem::take(&mut d.sinks) {
                    finish(&d.shared, &d.mount, s, EndReason::Shutdown);
                }
                return;
            }
            cmd = rx.recv() => match cmd {
                Some(cmd) => d.command(cmd),
                None => return,
            },
            r = signal.changed() => {
                if r.is_err() {
                    return;
                }
                signal.mark_unchanged();
                d.service_all(false);
                d.after_source_change();
            }
            _ = std::future::poll_fn(|cx| d.poll_blocked(cx)) => d.service_all(true),
            _ = tick.tick() => d.housekeeping(),
        }
        d.mount.set_low_water(
            d.sinks
                .iter()
                .map(|s| s.cursor.seq)
                .min()
                .unwrap_or(u64::MAX),
        );
        if d.sinks.is_empty() {
            let mut slot = mount.driver.lock().unwrap_or_else(|p| p.into_inner());
            if rx.is_empty() {
                *slot = None;
                return;
            }
        }
    }
}

impl Driver {
    fn command(&mut self, cmd: DriverCmd) {
        match cmd {
            DriverCmd::Add(sink) => {
                let mut sink = *sink;
                start(&self.mount, &mut sink);
                self.sinks.push(sink);
                let i = self.sinks.len() - 1;
                if let Err(r) = self.service(i) {
                    let s = self.sinks.swap_remove(i);
                    finish(&self.shared, &self.mount, s, r);
                }
            }
            DriverCmd::Kill(id) => {
                if let Some(i) = self.sinks.iter().position(|s| s.id == id) {
                    let s = self.sinks.swap_remove(i);
                    finish(&self.shared, &self.mount, s, EndReason::Killed);
                }
            }
            DriverCmd::MoveAll(to) => {
                for s in std::mem::take(&mut self.sinks) {
                    move_sink(&self.shared, &self.mount, s, &to);
                }
            }
        }
    }

    /// Writes pending data to every sink (only to blocked ones with `blocked_only`).
    fn service_all(&mut self, blocked_only: bool) {
        let mut i = 0;
        while i < self.sinks.len() {
            if blocked_only && self.sinks[i].blocked_since.is_none() {
                i += 1;
                continue;
            }
            match self.service(i) {
                Ok(()) => i += 1,
                Err(r) => {
                    let s = self.sinks.swap_remove(i);
                    finish(&self.shared, &self.mount, s, r);
                }
            }
        }
    }

    /// Takes pending chunks for sink `i` and writes until done or the socket is full.
    fn service(&mut self, i: usize) -> Result<(), EndReason> {
        let sink = &mut self.sinks[i];
        loop {
            if sink.out.is_empty() {
                self.chunks.clear();
                match self
                    .mount
                    .read(&mut sink.cursor, self.batch, &mut self.chunks)
                {
                    ReadOutcome::FellBehind => return Err(EndReason::FellBehind),
                    ReadOutcome::Data { jumped } => {
                        // A new source: new Ogg headers (unless its first chunk is them).
                        if jumped
                            && self.mount.format() == StreamFormat::Ogg
                            && !self.chunks.first().is_some_and(|c| c.header)
                            && let Some(h) = self.chunks.first().and_then(|c| c.ogg_headers.clone())
                        {
                            sink.out.push_back(h);
                        }
                        for c in &self.chunks {
                            enqueue(sink, c);
                        }
                    }
                }
                if sink.out.is_empty() {
                    sink.blocked_since = None;
                    if sink.out.capacity() > 8 {
                        // After a burst: thousands of sinks hold this between batches.
                        sink.out = VecDeque::new();
                    }
                    return Ok(());
                }
            } else if sink.blocked_since.is_some() && self.mount.fell_behind(&sink.cursor) {
                return Err(EndReason::FellBehind);
            }
            match write_some(sink) {
                Ok(n) => {
                    sink.sent += n as u64;
                    sink.blocked_since = None;
                    self.mount
                        .counters
                        .bytes_sent
                        .fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    sink.blocked_since.get_or_insert_with(Instant::now);
                    return Ok(());
                }
                Err(_) => return Err(EndReason::ClientGone),
            }
        }
    }

    /// Ready when some blocked socket can take data again.
    fn poll_blocked(&self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let mut ready = false;
        for s in self.sinks.iter().filter(|s| s.blocked_since.is_some()) {
            // Every blocked socket registers this task's waker; any of them wakes it.
            if s.stream.poll_write_ready(cx).is_ready() {
                ready = true;
            }
        }
        if ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// The source left or returned: drained sinks move to the fallback.
    fn after_source_change(&mut self) {
        if self.mount.is_live() || self.sinks.is_empty() {
            return;
        }
        if let Some(fb) = fallback_target(&self.shared, &self.mount) {
            let mut i = 0;
            while i < self.sinks.len() {
                if self.sinks[i].out.is_empty() {
                    let s = self.sinks.swap_remove(i);
                    move_sink(&self.shared, &self.mount, s, &fb);
                } else {
                    i += 1;
                }
            }
        }
    }

    fn housekeeping(&mut self) {
        let shared = self.shared.clone();
        let limits = &shared.config.limits;
        let now = Instant::now();
        // A sink that is written to learns of a closed connection from the write; one
        // that got nothing for a while (no source) is checked with a read, once a second.
        self.idle_check_in -= 1;
        let idle_check = self.idle_check_in == 0;
        if idle_check {
            self.idle_check_in = IDLE_CHECK_TICKS;
        }
        let mut i = 0;
        while i < self.sinks.len() {
            let s = &mut self.sinks[i];
            let end = if s
                .blocked_since
                .is_some_and(|t| now - t >= limits.write_timeout)
            {
                Some(EndReason::WriteTimeout)
            } else if idle_check && s.sent == s.sent_at_check && peer_closed(&s.stream) {
                Some(EndReason::ClientGone)
            } else {
                None
            };
            if idle_check {
                s.sent_at_check = s.sent;
            }
            let go_home = !Arc::ptr_eq(&s.home, &self.mount)
                && s.home.config.fallback_override
                && s.home.is_live();
            if let Some(r) = end {
                let s = self.sinks.swap_remove(i);
                finish(&self.shared, &self.mount, s, r);
            } else if go_home {
                let s = self.sinks.swap_remove(i);
                let home = s.home.clone();
                move_sink(&self.shared, &self.mount, s, &home);
            } else {
                i += 1;
            }
        }
        if !self.mount.is_live() && !self.sinks.is_empty() {
            self.after_source_change();
            let expired = self
                .mount
                .idle_since()
                .is_some_and(|t| now.duration_since(t) >= limits.empty_buffer_timeout);
            if expired {
                for s in std::mem::take(&mut self.sinks) {
                    finish(&self.shared, &self.mount, s, EndReason::NoSource);
                }
            }
        }
    }
}

/// Positions a sink at `mount`'s burst start and queues the Ogg headers.
fn start(mount: &Mount, sink: &mut Sink) {
    let (cursor, headers) = mount.start_cursor();
    sink.cursor = cursor;
    sink.out.clear();
    if let Some(h) = headers {
        sink.out.push_back(h);
    }
}

/// Moves a sink from `from` to `to` without disconnecting it.
fn move_sink(shared: &Arc<Shared>, from: &Arc<Mount>, sink: Sink, to: &Arc<Mount>) {
    tracing::debug!(id = sink.id, from = %from.path, to = %to.path, "listener moved");
    from.remove_listener();
    to.add_listener();
    if let Some(c) = shared
        .clients
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_mut(&sink.id)
    {
        c.mount = to.path.clone();
    }
    if let Err(DriverCmd::Add(sink)) = dispatch(shared, to, DriverCmd::Add(Box::new(sink))) {
        tracing::error!(mount = %to.path, "listener dropped: the mount's driver is overloaded");
        finish(shared, to, *sink, EndReason::Overloaded);
    }
}

/// The live fallback of `mount`, following a chain of up to 10.
fn fallback_target(shared: &Shared, mount: &Mount) -> Option<Arc<Mount>> {
    let mut path = mount.config.fallback.clone()?;
    for _ in 0..10 {
        let m = shared.mount(&path)?;
        if m.is_live() {
            return Some(m);
        }
        path = m.config.fallback.clone()?;
    }
    None
}

/// A listener leaves: counters, the client list, the access log.
fn finish(shared: &Shared, mount: &Mount, sink: Sink, reason: EndReason) {
    // The host hears of it before the counts drop: whoever sees the count drop can rely
    // on the session having been handed over.
    let info = &sink.info;
    if let Some(host) = shared.host() {
        host.listener_left(&crate::host::ListenerSession {
            mount: &mount.path,
            peer: info.peer,
            started: info.started_wall,
            duration: info.started.elapsed(),
            bytes: sink.sent,
            user_agent: &info.user_agent,
            referer: &info.referer,
        });
    }
    shared
        .clients
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&sink.id);
    mount.remove_listener();
    shared.listeners.fetch_sub(1, Ordering::AcqRel);
    let info = sink.info;
    tracing::debug!(peer = %info.peer, mount = %mount.path, ?reason, sent = sink.sent, "listener left");
    if reason == EndReason::FellBehind {
        tracing::info!(peer = %info.peer, mount = %mount.path, "listener dropped: fallen too far behind");
    }
    if let Some(log) = &shared.access_log {
        log.line(crate::accesslog::Entry {
            ip: info.peer.ip().to_string(),
            user: String::new(),
            start: info.started_wall,
            request: info.request,
            status: 200,
            bytes: sink.sent + info.header_len,
            referer: info.referer,
            user_agent: info.user_agent,
            duration: info.started.elapsed(),
        });
    }
}

/// Whether the client has closed its end (listeners send nothing after the request).
fn peer_closed(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 256];
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
fn enqueue(sink: &mut Sink, chunk: &Chunk) {
    let Some(icy) = &mut sink.icy else {
        sink.out.push_back(chunk.data.clone());
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
                sink.out.push_back(chunk.meta.icy_block.clone());
            } else {
                sink.out.push_back(Bytes::from_static(&[0]));
            }
            icy.last = Some(chunk.meta.clone());
            icy.until_meta = icy.metaint;
        }
        let n = icy.until_meta.min(data.len());
        sink.out.push_back(data.split_to(n));
        icy.until_meta -= n;
    }
}

/// One vectored write of what is queued; returns the bytes written.
fn write_some(sink: &mut Sink) -> std::io::Result<usize> {
    let n = {
        let mut slices = [IoSlice::new(&[]); MAX_IOV];
        let mut count = 0;
        for (slot, b) in slices.iter_mut().zip(sink.out.iter()) {
            *slot = IoSlice::new(b);
            count += 1;
        }
        sink.stream.try_write_vectored(&slices[..count])?
    };
    if n == 0 {
        return Err(std::io::ErrorKind::WriteZero.into());
    }
    let mut left = n;
    while left > 0 {
        let front = sink.out.front_mut().expect("wrote from a non-empty queue");
        if front.len() <= left {
            left -= front.len();
            sink.out.pop_front();
        } else {
            front.advance(left);
            left = 0;
        }
    }
    Ok(n)
}
