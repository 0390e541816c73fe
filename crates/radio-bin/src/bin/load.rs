//! `radiopoint-load` — a listener load generator for radiopoint (or any Icecast-compatible
//! server).
//!
//! It opens `--listeners` plain HTTP listener connections to one stream URL, `--ramp` new
//! connections per second, keeps them all reading for `--duration` seconds of steady state
//! once the ramp has completed, and then reports:
//!
//! - listeners requested / connected (answered `200`) / refused (any other status, or closed
//!   before a response head) / connect errors / still pending / disconnected early;
//! - stalls: a listener stalls when no byte has arrived for more than `--stall-ms`; each
//!   stall episode counts once, however long it lasts;
//! - time to first body byte (from the start of the TCP connect): p50, p90, p99, max;
//! - aggregate throughput over the steady window and the per-listener average (and
//!   slowest listener) in kbit/s;
//! - with `--pid`: the server's CPU seconds during the steady window, CPU seconds per
//!   listener-hour, its RSS before the first connection, once the ramp completed and at
//!   the end, and the RSS growth per listener in KiB (read from `/proc`, so Linux only).
//!
//! ```text
//! cargo build --release -p radio-bin --bin radiopoint-load
//! target/release/radiopoint-load --url http://127.0.0.1:8000/live.mp3 \
//!     --listeners 1000 --ramp 500 --duration 60 --pid <SERVER_PID> [--stall-ms 2000] [--icy] [--json]
//! ```
//!
//! Pass the server's PID explicitly (the one your shell printed when you started it, or
//! `$!`); the tool never looks processes up by name.
//!
//! The tool is meant to be cheap next to the server it measures: one thread, one task per
//! listener, and one shared 64 KiB read buffer (a task only borrows it between a readiness
//! wake-up and the non-blocking read that follows, never across an `.await`). At start it
//! raises its own `RLIMIT_NOFILE` soft limit to the hard limit so thousands of sockets fit.
//!
//! The run is bounded: ramp time + at most [`SETTLE_MAX`] waiting for the last responses +
//! `--duration`. Exit status: `0` after a report, `1` on bad arguments or when no listener
//! was accepted at all (the report is still printed), `0` for `--help`/`--version`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

/// How long to wait, after the last connection was started, for every listener to get a
/// response head (or fail) before the steady window begins anyway.
const SETTLE_MAX: Duration = Duration::from_secs(5);
/// Size of the one read buffer all listeners share.
const READ_BUF: usize = 64 * 1024;
/// A response head larger than this is treated as a bad response.
const MAX_HEAD: usize = 16 * 1024;
/// How often the ramp loop wakes up to start the connections that are due.
const RAMP_TICK: Duration = Duration::from_millis(5);

#[derive(Parser, Debug)]
#[command(
    name = "radiopoint-load",
    version,
    about = "Open N HTTP listeners against a stream and report throughput, stalls, TTFB and server CPU/RSS"
)]
struct Args {
    /// Stream URL, e.g. http://127.0.0.1:8000/live.mp3 (plain http only). Repeat it to
    /// spread the listeners over several streams, round-robin (one per station, say).
    #[arg(long, required = true)]
    url: Vec<String>,
    /// Number of listener connections to open.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    listeners: u32,
    /// New connections per second during the ramp.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    ramp: u32,
    /// Seconds of steady state measured after the ramp has completed.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    duration: u64,
    /// PID of the server process, to sample its CPU time and RSS from /proc.
    #[arg(long)]
    pid: Option<u32>,
    /// A gap longer than this many milliseconds without any byte counts as a stall.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    stall_ms: u64,
    /// Ask for ICY metadata (`Icy-MetaData: 1`); metadata bytes count as throughput.
    #[arg(long)]
    icy: bool,
    /// Print the report as one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

// ---------------------------------------------------------------------------------------
// Per-listener state, written by the listener's task and read by the main task.
// ---------------------------------------------------------------------------------------

/// Still connecting or waiting for the response head.
const PENDING: u8 = 0;
/// The TCP connect (or sending the request) failed.
const CONNECT_ERROR: u8 = 1;
/// Answered with a status other than 200, or closed before a response head.
const REFUSED: u8 = 2;
/// Answered 200 and still reading.
const STREAMING: u8 = 3;
/// Answered 200, then the server closed the connection (or it broke) during the test.
const DISCONNECTED: u8 = 4;

#[derive(Default)]
struct ListenerStat {
    state: AtomicU8,
    /// Status code of a refusal; 0 when the server closed before a response head.
    status: AtomicU16,
    /// Body bytes received so far.
    bytes: AtomicU64,
    /// Stall episodes so far.
    stalls: AtomicU32,
    /// Microseconds from connect start to the first body byte; `u64::MAX` until then.
    ttfb_us: AtomicU64,
    /// Why the connection failed, for connect errors.
    error: OnceLock<String>,
}

impl ListenerStat {
    fn new() -> Self {
        Self {
            ttfb_us: AtomicU64::new(u64::MAX),
            ..Self::default()
        }
    }

    fn state(&self) -> u8 {
        self.state.load(Ordering::Relaxed)
    }

    fn set_state(&self, state: u8) {
        self.state.store(state, Ordering::Relaxed);
    }
}

thread_local! {
    /// The read buffer every listener on this thread shares; see the module docs.
    static BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; READ_BUF]);
}

/// What one wait-and-read on a listener socket produced.
enum Chunk<R> {
    Data(R),
    Eof,
    Stalled,
    Failed,
}

/// Waits up to `stall` for the socket to become readable, reads what is there into the
/// shared buffer and hands it to `use_bytes`.
async fn read_chunk<R>(
    stream: &TcpStream,
    stall: Duration,
    mut use_bytes: impl FnMut(&[u8]) -> R,
) -> Chunk<R> {
    let deadline = Instant::now() + stall;
    loop {
        match tokio::time::timeout_at(deadline, stream.readable()).await {
            Err(_) => return Chunk::Stalled,
            Ok(Err(_)) => return Chunk::Failed,
            Ok(Ok(())) => {}
        }
        // The borrow ends before the next `.await`, so tasks never contend for BUF.
        let got = BUF.with_borrow_mut(|buf| match stream.try_read(buf) {
            Ok(0) => Some(Chunk::Eof),
            Ok(n) => Some(Chunk::Data(use_bytes(&buf[..n]))),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(_) => Some(Chunk::Failed),
        });
        if let Some(chunk) = got {
            return chunk;
        }
    }
}

/// Tracks stall episodes: a run of consecutive timed-out waits is one episode.
struct StallTracker<'a> {
    stat: &'a ListenerStat,
    stalled: bool,
}

impl StallTracker<'_> {
    fn stalled(&mut self) {
        if !self.stalled {
            self.stalled = true;
            self.stat.stalls.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn data(&mut self) {
        self.stalled = false;
    }
}

/// Finds the end of an HTTP/ICY response head; returns the offset of the first body byte.
fn head_end(head: &[u8]) -> Option<usize> {
    if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
        return Some(i + 4);
    }
    head.windows(2).position(|w| w == b"\n\n").map(|i| i + 2)
}

/// Parses the status code out of `HTTP/1.x 200 OK` or `ICY 200 OK`.
fn status_code(head: &[u8]) -> Option<u16> {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.split_whitespace();
    let proto = parts.next()?;
    if !(proto.starts_with("HTTP/") || proto == "ICY") {
        return None;
    }
    parts.next()?.parse().ok()
}

/// One listener: connect, request, read the head, then count body bytes until aborted.
async fn run_listener(
    stat: Arc<ListenerStat>,
    addr: SocketAddr,
    request: Arc<[u8]>,
    stall: Duration,
) {
    let started = Instant::now();
    let stream = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => {
            let _ = stat.error.set(format!("{:?}", e.kind()));
            stat.set_state(CONNECT_ERROR);
            return;
        }
    };
    if let Err(e) = write_all(&stream, &request).await {
        let _ = stat.error.set(format!("request: {:?}", e.kind()));
        stat.set_state(CONNECT_ERROR);
        return;
    }

    let mut stalls = StallTracker {
        stat: &stat,
        stalled: false,
    };
    let first_body = |stat: &ListenerStat, n: usize| {
        stat.bytes.fetch_add(n as u64, Ordering::Relaxed);
        if n > 0 && stat.ttfb_us.load(Ordering::Relaxed) == u64::MAX {
            let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX - 1);
            stat.ttfb_us.store(us, Ordering::Relaxed);
        }
    };

    // Response head. The head is small, so a per-listener Vec is fine; it is dropped after.
    let mut head = Vec::with_capacity(512);
    loop {
        match read_chunk(&stream, stall, |b| head.extend_from_slice(b)).await {
            Chunk::Data(()) => stalls.data(),
            Chunk::Stalled => {
                stalls.stalled();
                continue;
            }
            Chunk::Eof | Chunk::Failed => {
                stat.set_state(REFUSED);
                return;
            }
        }
        if let Some(end) = head_end(&head) {
            match status_code(&head) {
                Some(200) => {
                    stat.set_state(STREAMING);
                    first_body(&stat, head.len() - end);
                }
                other => {
                    stat.status.store(other.unwrap_or(0), Ordering::Relaxed);
                    stat.set_state(REFUSED);
                    return;
                }
            }
            break;
        }
        if head.len() > MAX_HEAD {
            stat.set_state(REFUSED);
            return;
        }
    }
    drop(head);

    // Body: count bytes until the server closes or the main task aborts us.
    loop {
        match read_chunk(&stream, stall, |b| b.len()).await {
            Chunk::Data(n) => {
                stalls.data();
                first_body(&stat, n);
            }
            Chunk::Stalled => stalls.stalled(),
            Chunk::Eof | Chunk::Failed => {
                stat.set_state(DISCONNECTED);
                return;
            }
        }
    }
}

/// Writes the whole request with readiness-based writes (no buffer held across awaits).
async fn write_all(stream: &TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        stream.writable().await?;
        match stream.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// URL, limits and /proc sampling.
// ---------------------------------------------------------------------------------------

/// `http://authority/path` split into the authority (for `Host:`), the address to resolve
/// and the request target.
struct Target {
    authority: String,
    connect_to: String,
    path: String,
}

fn parse_url(url: &str) -> anyhow::Result<Target> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("--url must start with http:// (got {url:?})");
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_owned()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_owned()),
    };
    let path = path.split('#').next().unwrap_or("/").to_owned();
    if authority.is_empty() || authority.contains('@') {
        bail!("--url needs a host[:port] and no user info (got {url:?})");
    }
    // A port is present when the authority ends in `:digits` outside an IPv6 literal.
    let has_port = authority.rsplit_once(':').is_some_and(|(host, port)| {
        !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && (!host.starts_with('[') || host.ends_with(']'))
    });
    let connect_to = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok(Target {
        authority: authority.to_owned(),
        connect_to,
        path,
    })
}

/// Raises the RLIMIT_NOFILE soft limit to the hard limit; returns the soft limit in force
/// afterwards, or `None` if it could not even be read.
fn raise_nofile_limit() -> Option<libc::rlim_t> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes one `rlimit` through the pointer we pass; `lim` is a
    // live, initialised, properly aligned `libc::rlimit` owned by this frame and borrowed
    // exclusively for the call, and RLIMIT_NOFILE is a valid resource number.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    if lim.rlim_cur >= lim.rlim_max {
        return Some(lim.rlim_cur);
    }
    let mut wanted = lim.rlim_max;
    if wanted == libc::RLIM_INFINITY {
        // Linux refuses a NOFILE limit above fs.nr_open, so "unlimited" needs capping.
        let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open").ok();
        wanted = nr_open
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(1 << 20);
    }
    let new = libc::rlimit {
        rlim_cur: wanted,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: setrlimit only reads one `rlimit` through the pointer; `new` is a live,
    // initialised, properly aligned `libc::rlimit` on this frame, borrowed shared for the
    // call. Raising the soft limit up to the hard limit needs no privilege and touches no
    // memory; on failure the old limit simply stays in force.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0 {
        Some(wanted)
    } else {
        Some(lim.rlim_cur)
    }
}

/// Clock ticks per second used by /proc/PID/stat times.
fn clock_ticks() -> f64 {
    // SAFETY: sysconf takes a plain integer name, touches no caller memory and is
    // thread-safe; _SC_CLK_TCK is a valid name. A non-positive answer falls back to 100.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// A snapshot of the server process.
#[derive(Clone, Copy)]
struct ProcSample {
    /// utime + stime, in clock ticks.
    cpu_ticks: u64,
    rss_kib: u64,
}

fn sample_proc(pid: u32) -> anyhow::Result<ProcSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name (field 2) may contain spaces; fields resume after its last ')'.
    let after = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("malformed /proc/PID/stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state), so utime (field 14) is index 11, stime index 12.
    let tick = |i: usize| -> anyhow::Result<u64> {
        fields
            .get(i)
            .context("short /proc/PID/stat")?
            .parse()
            .context("bad /proc/PID/stat field")
    };
    let cpu_ticks = tick(11)? + tick(12)?;

    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(ProcSample { cpu_ticks, rss_kib })
}

// ---------------------------------------------------------------------------------------
// The report.
// ---------------------------------------------------------------------------------------

#[derive(Serialize)]
struct Percentiles {
    samples: usize,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

fn percentiles(mut v: Vec<f64>) -> Option<Percentiles> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Some(Percentiles {
        samples: v.len(),
        p50: rank(0.50),
        p90: rank(0.90),
        p99: rank(0.99),
        max: v[v.len() - 1],
    })
}

#[derive(Serialize)]
struct ServerReport {
    pid: u32,
    cpu_secs: f64,
    cpu_secs_per_listener_hour: Option<f64>,
    rss_baseline_kib: u64,
    rss_ramp_done_kib: u64,
    rss_full_kib: u64,
    rss_per_listener_kib: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    url: String,
    listeners_requested: u32,
    ramp_per_sec: u32,
    duration_secs: u64,
    stall_ms: u64,
    icy: bool,
    nofile_limit: Option<u64>,
    /// Answered 200 (including those that were disconnected later).
    connected: usize,
    refused: usize,
    /// Refusals by status; "closed" = closed or malformed before a response head.
    refused_by_status: BTreeMap<String, usize>,
    connect_errors: usize,
    connect_errors_by_kind: BTreeMap<String, usize>,
    /// Never answered (still connecting or waiting for a head at the end).
    pending: usize,
    disconnected_early: usize,
    listeners_with_stalls: usize,
    stall_episodes: u64,
    ttfb_ms: Option<Percentiles>,
    ramp_secs: f64,
    window_secs: f64,
    /// Listeners streaming when the steady window began.
    window_listeners: usize,
    window_bytes: u64,
    bytes_per_sec: f64,
    per_listener_kbps_avg: Option<f64>,
    per_listener_kbps_min: Option<f64>,
    server: Option<ServerReport>,
}

fn print_text(r: &Report) {
    let by = |m: &BTreeMap<String, usize>| {
        if m.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = m.iter().map(|(k, n)| format!("{k}×{n}")).collect();
            format!(" ({})", parts.join(", "))
        }
    };
    let opt =
        |v: Option<f64>, prec: usize| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.prec$}"));
    println!(
        "radiopoint-load {}{}",
        r.url,
        if r.icy { " (icy)" } else { "" }
    );
    if let Some(limit) = r.nofile_limit {
        println!("  fd limit      {limit}");
    }
    println!(
        "  listeners     requested {}  connected {}",
        r.listeners_requested, r.connected
    );
    println!(
        "                refused {}{}",
        r.refused,
        by(&r.refused_by_status)
    );
    println!(
        "                connect errors {}{}",
        r.connect_errors,
        by(&r.connect_errors_by_kind)
    );
    println!(
        "                pending {}  disconnected early {}",
        r.pending, r.disconnected_early
    );
    println!(
        "  stalls        {} listeners, {} episodes (gap > {} ms)",
        r.listeners_with_stalls, r.stall_episodes, r.stall_ms
    );
    match &r.ttfb_ms {
        Some(t) => println!(
            "  ttfb (ms)     p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}  ({} samples)",
            t.p50, t.p90, t.p99, t.max, t.samples
        ),
        None => println!("  ttfb (ms)     -"),
    }
    println!(
        "  ramp          {:.2} s at {}/s",
        r.ramp_secs, r.ramp_per_sec
    );
    println!(
        "  throughput    {:.0} B/s ({:.2} Mbit/s) over {:.1} s, {} listeners",
        r.bytes_per_sec,
        r.bytes_per_sec * 8.0 / 1e6,
        r.window_secs,
        r.window_listeners
    );
    println!(
        "                per listener avg {} kbps, slowest {} kbps",
        opt(r.per_listener_kbps_avg, 1),
        opt(r.per_listener_kbps_min, 1)
    );
    if let Some(s) = &r.server {
        println!(
            "  server pid {}  cpu {:.2} s in window = {} cpu-s per listener-hour",
            s.pid,
            s.cpu_secs,
            opt(s.cpu_secs_per_listener_hour, 3)
        );
        println!(
            "                rss {} KiB baseline, {} KiB after ramp, {} KiB at end = {} KiB per listener",
            s.rss_baseline_kib,
            s.rss_ramp_done_kib,
            s.rss_full_kib,
            opt(s.rss_per_listener_kib, 2)
        );
    }
}

// ---------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("radiopoint-load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(report) => {
            if report.json {
                match serde_json::to_string(&report.report) {
                    Ok(s) => println!("{s}"),
                    Err(e) => eprintln!("radiopoint-load: {e}"),
                }
            } else {
                print_text(&report.report);
            }
            if report.report.connected == 0 {
                eprintln!("radiopoint-load: no listener was accepted");
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("radiopoint-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}

struct Outcome {
    report: Report,
    json: bool,
}

async fn run(args: Args) -> anyhow::Result<Outcome> {
    let mut targets = Vec::new();
    for url in &args.url {
        let target = parse_url(url)?;
        let addr = tokio::net::lookup_host(&target.connect_to)
            .await
            .with_context(|| format!("resolving {}", target.connect_to))?
            .next()
            .with_context(|| format!("{} resolves to no address", target.connect_to))?;
        targets.push((target, addr));
    }
    let baseline = match args.pid {
        Some(pid) => Some(sample_proc(pid).context("--pid")?),
        None => None,
    };
    let nofile = raise_nofile_limit();
    if let Some(limit) = nofile
        && limit < u64::from(args.listeners) + 16
    {
        eprintln!(
            "radiopoint-load: warning: fd limit {limit} is below {} listeners",
            args.listeners
        );
    }

    let requests: Vec<(SocketAddr, Arc<[u8]>)> = targets
        .iter()
        .map(|(target, addr)| {
            let mut request = format!(
                "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: radiopoint-load\r\n",
                target.path, target.authority
            );
            if args.icy {
                request.push_str("Icy-MetaData: 1\r\n");
            }
            request.push_str("\r\n");
            (*addr, Arc::from(request.into_bytes()))
        })
        .collect();
    let stall = Duration::from_millis(args.stall_ms);
    let total = args.listeners as usize;

    // Ramp: start the connections that are due at `ramp` per second.
    let stats: Vec<Arc<ListenerStat>> = (0..total).map(|_| Arc::new(ListenerStat::new())).collect();
    let mut tasks = JoinSet::new();
    let ramp_start = Instant::now();
    let mut tick = tokio::time::interval(RAMP_TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut spawned = 0;
    while spawned < total {
        tick.tick().await;
        let due = (ramp_start.elapsed().as_secs_f64() * f64::from(args.ramp)) as usize + 1;
        while spawned < due.min(total) {
            let stat = Arc::clone(&stats[spawned]);
            let (addr, request) = &requests[spawned % requests.len()];
            tasks.spawn(run_listener(stat, *addr, Arc::clone(request), stall));
            spawned += 1;
        }
    }
    // Wait (bounded) until every listener was answered or failed.
    let settle_deadline = Instant::now() + SETTLE_MAX;
    while Instant::now() < settle_deadline && stats.iter().any(|s| s.state() == PENDING) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ramp_secs = ramp_start.elapsed().as_secs_f64();

    // Steady window.
    let ramp_done = args.pid.map(sample_proc).transpose().context("--pid")?;
    let window_start = Instant::now();
    let start_bytes: Vec<u64> = stats
        .iter()
        .map(|s| s.bytes.load(Ordering::Relaxed))
        .collect();
    let in_window: Vec<bool> = stats.iter().map(|s| s.state() == STREAMING).collect();
    let window_listeners = in_window.iter().filter(|&&b| b).count();
    if window_listeners > 0 {
        tokio::time::sleep(Duration::from_secs(args.duration)).await;
    }
    let end = args.pid.map(sample_proc).transpose().context("--pid")?;
    let window_secs = window_start.elapsed().as_secs_f64();
    let end_bytes: Vec<u64> = stats
        .iter()
        .map(|s| s.bytes.load(Ordering::Relaxed))
        .collect();
    tasks.shutdown().await;

    // Tally.
    let mut report = Report {
        url: args.url.join(" "),
        listeners_requested: args.listeners,
        ramp_per_sec: args.ramp,
        duration_secs: args.duration,
        stall_ms: args.stall_ms,
        icy: args.icy,
        nofile_limit: nofile,
        connected: 0,
        refused: 0,
        refused_by_status: BTreeMap::new(),
        connect_errors: 0,
        connect_errors_by_kind: BTreeMap::new(),
        pending: 0,
        disconnected_early: 0,
        listeners_with_stalls: 0,
        stall_episodes: 0,
        ttfb_ms: None,
        ramp_secs,
        window_secs,
        window_listeners,
        window_bytes: 0,
        bytes_per_sec: 0.0,
        per_listener_kbps_avg: None,
        per_listener_kbps_min: None,
        server: None,
    };
    let mut ttfb = Vec::new();
    let mut kbps = Vec::new();
    for (i, s) in stats.iter().enumerate() {
        match s.state() {
            PENDING => report.pending += 1,
            CONNECT_ERROR => {
                report.connect_errors += 1;
                let kind = s
                    .error
                    .get()
                    .cloned()
                    .unwrap_or_else(|| "unknown".to_owned());
                *report.connect_errors_by_kind.entry(kind).or_default() += 1;
            }
            REFUSED => {
                report.refused += 1;
                let status = match s.status.load(Ordering::Relaxed) {
                    0 => "closed".to_owned(),
                    code => code.to_string(),
                };
                *report.refused_by_status.entry(status).or_default() += 1;
            }
            state => {
                report.connected += 1;
                if state == DISCONNECTED {
                    report.disconnected_early += 1;
                }
            }
        }
        let episodes = s.stalls.load(Ordering::Relaxed);
        if episodes > 0 {
            report.listeners_with_stalls += 1;
            report.stall_episodes += u64::from(episodes);
        }
        let us = s.ttfb_us.load(Ordering::Relaxed);
        if us != u64::MAX {
            ttfb.push(us as f64 / 1000.0);
        }
        if in_window[i] {
            let bytes = end_bytes[i] - start_bytes[i];
            report.window_bytes += bytes;
            kbps.push(bytes as f64 * 8.0 / 1000.0 / window_secs);
        }
    }
    report.ttfb_ms = percentiles(ttfb);
    report.bytes_per_sec = report.window_bytes as f64 / window_secs;
    if !kbps.is_empty() {
        report.per_listener_kbps_avg = Some(kbps.iter().sum::<f64>() / kbps.len() as f64);
        report.per_listener_kbps_min = kbps.iter().copied().reduce(f64::min);
    }
    if let (Some(pid), Some(base), Some(ramp), Some(end)) = (args.pid, baseline, ramp_done, end) {
        let cpu_secs = end.cpu_ticks.saturating_sub(ramp.cpu_ticks) as f64 / clock_ticks();
        let listener_hours = window_listeners as f64 * window_secs / 3600.0;
        let per_listener = |v: f64| (window_listeners > 0).then(|| v / window_listeners as f64);
        report.server = Some(ServerReport {
            pid,
            cpu_secs,
            cpu_secs_per_listener_hour: (listener_hours > 0.0).then(|| cpu_secs / listener_hours),
            rss_baseline_kib: base.rss_kib,
            rss_ramp_done_kib: ramp.rss_kib,
            rss_full_kib: end.rss_kib,
            rss_per_listener_kib: per_listener(end.rss_kib as f64 - base.rss_kib as f64),
        });
    }
    Ok(Outcome {
        report,
        json: args.json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = parse_url("http://127.0.0.1:8000/live.mp3").unwrap();
        assert_eq!(
            (t.authority.as_str(), t.connect_to.as_str(), t.path.as_str()),
            ("127.0.0.1:8000", "127.0.0.1:8000", "/live.mp3")
        );
        let t = parse_url("http://localhost?x=1").unwrap();
        assert_eq!(
            (t.connect_to.as_str(), t.path.as_str()),
            ("localhost:80", "/?x=1")
        );
        let t = parse_url("http://[::1]/a").unwrap();
        assert_eq!(t.connect_to, "[::1]:80");
        let t = parse_url("http://[::1]:8000/a#frag").unwrap();
        assert_eq!(
            (t.connect_to.as_str(), t.path.as_str()),
            ("[::1]:8000", "/a")
        );
        assert!(parse_url("https://x/").is_err());
    }

    #[test]
    fn heads() {
        assert_eq!(status_code(b"ICY 200 OK\r\n"), Some(200));
        assert_eq!(status_code(b"HTTP/1.0 403 Forbidden\r\n"), Some(403));
        assert_eq!(status_code(b"garbage"), None);
        assert_eq!(head_end(b"HTTP/1.0 200 OK\r\nA: b\r\n\r\nxyz"), Some(25));
        assert_eq!(percentiles(vec![3.0, 1.0, 2.0]).unwrap().p50, 2.0);
    }
}
