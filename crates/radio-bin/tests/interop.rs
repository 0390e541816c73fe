//! Interop suite: the `radiopoint` binary against real peers from Debian — ffmpeg and
//! ffprobe as sources and listeners, mpg123 reading ICY metadata, a BUTT-style Shoutcast
//! v1 source, Icecast 2 relaying us and being relayed or pushed to, and liquidsoap.
//!
//! Every test is `#[ignore]`d so `cargo test --workspace` skips it; `.ci/run` runs
//! `cargo test -p radio-bin --test interop -- --ignored --test-threads=1`. A missing peer
//! binary fails the test ("interop peer missing: ..."), it never skips.
//!
//! Everything runs on 127.0.0.1. Each child process lives in a [`Proc`] guard that kills
//! it by PID when dropped (also when a test panics), every wait is bounded, and readiness
//! is polled (TCP, `/status-json.xsl`, the data a listener receives), never slept on.

use serde_json::Value;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a server may take to accept connections and serve its status page.
const READY: Duration = Duration::from_secs(10);
/// How long a stream may take to show up somewhere (a mount, a relay, a title).
const ARRIVE: Duration = Duration::from_secs(20);
/// Upper bound for one run of a short-lived peer (ffprobe, a decoding ffmpeg).
const PEER_RUN: Duration = Duration::from_secs(30);
/// The generated test tone.
const SINE: &str = "sine=frequency=440:sample_rate=44100";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The Debian package that ships `peer`.
fn package_of(peer: &str) -> &str {
    match peer {
        "ffprobe" => "ffmpeg",
        other => other,
    }
}

/// The path of a peer binary on `PATH`; panics loudly when it is not installed.
fn require(peer: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(peer);
        if let Ok(meta) = std::fs::metadata(&candidate)
            && meta.is_file()
            && meta.permissions().mode() & 0o111 != 0
        {
            return candidate;
        }
    }
    panic!(
        "interop peer missing: {peer} (apt-get install {})",
        package_of(peer)
    );
}

/// A free TCP port on 127.0.0.1 (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}

/// A free port whose successor is free too (radiopoint's Shoutcast port is port + 1).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let a = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let port = a.local_addr().expect("local address").port();
        if port < u16::MAX - 1 && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two consecutive free ports on 127.0.0.1");
}

/// A per-test directory under the system temp dir; removed when the test passes, kept
/// (and named on stderr) when it fails.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "radiopoint-interop-{name}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("creating the test's temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Whether this process runs as root (the owner of a directory it just created).
    fn created_by_root(&self) -> bool {
        std::fs::metadata(&self.0).is_ok_and(|m| m.uid() == 0)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("interop: keeping {} for inspection", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The last `n` bytes of `bytes`, as text.
fn tail(bytes: &[u8], n: usize) -> String {
    String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(n)..]).into_owned()
}

/// A child process that is killed (by PID, SIGKILL) and reaped when dropped. Its stdout
/// and stderr go to `<dir>/<name>.log`, printed when a test fails.
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
    /// More log files to show when a test fails (icecast2's error.log).
    other_logs: Vec<PathBuf>,
}

impl Proc {
    fn spawn(name: &str, dir: &TempDir, cmd: &mut Command) -> Proc {
        let log = dir.path().join(format!("{name}.log"));
        let out = File::create(&log).expect("creating a log file");
        let err = out.try_clone().expect("cloning a log file");
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        Proc {
            name: name.to_string(),
            child,
            log,
            other_logs: Vec::new(),
        }
    }

    /// What the process printed so far.
    fn output(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Panics with the process's output if it has exited.
    fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!(
                "{} exited early ({status}); its output:\n{}",
                self.name,
                self.output()
            );
        }
    }

    /// The exit status, if the process has exited.
    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            for log in std::iter::once(&self.log).chain(&self.other_logs) {
                let text = tail(&std::fs::read(log).unwrap_or_default(), 6000);
                eprintln!("----- {} {} (tail) -----\n{text}", self.name, log.display());
            }
        }
    }
}

/// Runs `cmd` to completion with piped output, killing it and failing after `timeout`.
fn run_bounded(cmd: &mut Command, timeout: Duration) -> Output {
    struct KillOnDrop(Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = KillOnDrop(
        cmd.spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}")),
    );
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    };
    let stdout = drain(child.0.stdout.take().map(|r| Box::new(r) as _));
    let stderr = drain(child.0.stderr.take().map(|r| Box::new(r) as _));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            drop(child);
            let out = stdout.join().unwrap_or_default();
            let err = stderr.join().unwrap_or_default();
            panic!(
                "{cmd:?} did not finish within {timeout:?}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Polls `probe` every 50 ms until it yields a value; panics after `timeout`.
fn wait_until<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A response: the head as text and the body.
struct Response {
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn status(&self) -> u16 {
        self.head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

/// The value of a header in a response head (case-insensitive name, trimmed value).
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn connect(port: u16) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    )?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    Ok(s)
}

fn request_text(port: u16, path: &str, auth: Option<(&str, &str)>, extra: &str) -> String {
    let mut req = format!(
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: radiopoint-interop/1\r\n"
    );
    if let Some((user, pass)) = auth {
        let token = base64(format!("{user}:{pass}").as_bytes());
        req.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    req.push_str(extra);
    req.push_str("\r\n");
    req
}

/// A whole `GET` (status pages, admin calls): head and body until the server closes.
fn http_get(port: u16, path: &str, auth: Option<(&str, &str)>) -> std::io::Result<Response> {
    let mut s = connect(port)?;
    s.write_all(request_text(port, path, auth, "").as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no response head"))?;
    Ok(Response {
        head: String::from_utf8_lossy(&buf[..split]).into_owned(),
        body: buf[split + 4..].to_vec(),
    })
}

/// Opens a stream as a listener: the socket, the response head, and body bytes so far.
fn open_stream(port: u16, path: &str, extra: &str) -> (TcpStream, String, Vec<u8>) {
    let mut s = connect(port).unwrap_or_else(|e| panic!("connecting to :{port}: {e}"));
    s.write_all(request_text(port, path, None, extra).as_bytes())
        .expect("sending the request");
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let body = buf.split_off(at + 4);
            buf.truncate(at);
            return (s, String::from_utf8_lossy(&buf).into_owned(), body);
        }
        let n = s
            .read(&mut tmp)
            .unwrap_or_else(|e| panic!("reading the head of {path}: {e}"));
        assert!(
            n > 0,
            "{path}: closed before the head ended: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&tmp[..n]);
    }
}

/// Reads from a stream until `have` holds at least `n` bytes.
fn read_at_least(s: &mut TcpStream, have: &mut Vec<u8>, n: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut tmp = [0u8; 8192];
    while have.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} bytes arrived within {timeout:?}",
            have.len()
        );
        let got = s.read(&mut tmp).expect("reading the stream");
        assert!(got > 0, "stream closed after {} of {n} bytes", have.len());
        have.extend_from_slice(&tmp[..got]);
    }
}

/// `/status-json.xsl` of a server, parsed (`None` while it does not answer).
fn status_json(port: u16) -> Option<Value> {
    let r = http_get(port, "/status-json.xsl", None).ok()?;
    if r.status() != 200 {
        return None;
    }
    serde_json::from_slice(&r.body).ok()
}

/// The `icestats.source` entry for `mount` (Icecast: an object for one, an array for more;
/// matched on `listenurl`'s path).
fn source_of(status: &Value, mount: &str) -> Option<Value> {
    let sources = match status.get("icestats")?.get("source")? {
        Value::Array(v) => v.clone(),
        one => vec![one.clone()],
    };
    sources.into_iter().find(|s| {
        s.get("listenurl")
            .and_then(Value::as_str)
            .and_then(|u| u.split_once("://"))
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
            .is_some_and(|p| p == mount)
    })
}

/// Waits until `mount` is listed on the server at `port`, checking that `procs` stay up.
fn wait_mount(port: u16, mount: &str, procs: &mut [&mut Proc], timeout: Duration) -> Value {
    wait_until(&format!("{mount} on :{port}"), timeout, || {
        for p in procs.iter_mut() {
            p.assert_running();
        }
        status_json(port).and_then(|s| source_of(&s, mount))
    })
}

/// Waits until the title of `mount` on the server at `port` is `title`.
fn wait_title(port: u16, mount: &str, title: &str, procs: &mut [&mut Proc]) {
    let deadline = Instant::now() + ARRIVE;
    loop {
        for p in procs.iter_mut() {
            p.assert_running();
        }
        let last = status_json(port)
            .and_then(|s| source_of(&s, mount))
            .map(|m| m.get("title").cloned().unwrap_or(Value::Null));
        if last.as_ref().and_then(Value::as_str) == Some(title) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "title of {mount} on :{port} is not {title:?} after {ARRIVE:?} (last seen: {last:?})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sets a mount's title with `/admin/metadata?mode=updinfo` (Icecast's admin API, which
/// radiopoint and Icecast 2 both serve).
fn set_title(port: u16, mount: &str, title: &str, auth: (&str, &str)) {
    let path = format!(
        "/admin/metadata?mode=updinfo&mount={}&song={}",
        urlencode(mount),
        urlencode(title)
    );
    let r = http_get(port, &path, Some(auth)).expect("admin/metadata request");
    assert_eq!(
        r.status(),
        200,
        "{path} on :{port} refused: {}\n{}",
        r.head,
        String::from_utf8_lossy(&r.body)
    );
}

/// A running radiopoint.
struct Radiopoint {
    proc: Proc,
    port: u16,
}

impl Radiopoint {
    /// The Shoutcast v1 source port (the default: port + 1).
    fn shoutcast_port(&self) -> u16 {
        self.port + 1
    }

    fn url(&self, mount: &str) -> String {
        format!("http://127.0.0.1:{}{mount}", self.port)
    }
}

/// Starts radiopoint on free ports with `[server] bind/port` plus `config_toml` (which must
/// not have a `[server]` table), and waits until `/status-json.xsl` answers.
fn start_radiopoint(dir: &TempDir, config_toml: &str) -> Radiopoint {
    let port = free_port_pair();
    let config = format!("[server]\nbind = \"127.0.0.1\"\nport = {port}\n\n{config_toml}\n");
    let path = dir.path().join("radiopoint.toml");
    std::fs::write(&path, config).expect("writing radiopoint.toml");
    let mut proc = Proc::spawn(
        "radiopoint",
        dir,
        Command::new(env!("CARGO_BIN_EXE_radiopoint"))
            .arg("--config")
            .arg(&path)
            .env("NO_COLOR", "1"),
    );
    wait_http(port, &mut proc);
    Radiopoint { proc, port }
}

/// Waits until the server at `port` serves `/status-json.xsl`, while `proc` stays up.
fn wait_http(port: u16, proc: &mut Proc) {
    let what = format!("{} to serve /status-json.xsl on :{port}", proc.name);
    wait_until(&what, READY, || {
        proc.assert_running();
        status_json(port)
    });
}

/// A running Icecast 2.
struct Icecast {
    proc: Proc,
    port: u16,
}

impl Icecast {
    fn url(&self, mount: &str) -> String {
        format!("http://127.0.0.1:{}{mount}", self.port)
    }
}

/// Starts Debian's icecast2 on a free port with `extra_xml` (e.g. a `<relay>`) inside
/// `<icecast>`, and waits until `/status-json.xsl` answers. As root it drops to
/// nobody/nogroup (icecast2 refuses to run as root), so its directory is world-writable.
fn start_icecast(dir: &TempDir, extra_xml: &str) -> Icecast {
    let bin = require("icecast2");
    let port = free_port();
    let ice = dir.path().join("icecast");
    std::fs::create_dir_all(&ice).expect("creating the icecast dir");
    std::fs::set_permissions(&ice, std::fs::Permissions::from_mode(0o777))
        .expect("making the icecast dir writable");
    let owner = if dir.created_by_root() {
        "<changeowner><user>nobody</user><group>nogroup</group></changeowner>"
    } else {
        ""
    };
    let ice_dir = ice.display();
    let xml = format!(
        "<icecast>
  <location>interop</location>
  <admin>interop@localhost</admin>
  <limits><sources>4</sources><source-timeout>10</source-timeout></limits>
  <authentication>
    <source-password>hackme</source-password>
    <relay-password>hackme</relay-password>
    <admin-user>admin</admin-user>
    <admin-password>hackme</admin-password>
  </authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  {extra_xml}
  <paths>
    <basedir>/usr/share/icecast2</basedir>
    <logdir>{ice_dir}</logdir>
    <webroot>/usr/share/icecast2/web</webroot>
    <adminroot>/usr/share/icecast2/admin</adminroot>
    <pidfile>{ice_dir}/icecast.pid</pidfile>
  </paths>
  <logging>
    <accesslog>access.log</accesslog>
    <errorlog>error.log</errorlog>
    <loglevel>3</loglevel>
  </logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
"
    );
    let path = ice.join("icecast.xml");
    std::fs::write(&path, xml).expect("writing icecast.xml");
    let mut proc = Proc::spawn("icecast2", dir, Command::new(bin).arg("-c").arg(&path));
    proc.other_logs.push(ice.join("error.log"));
    wait_http(port, &mut proc);
    Icecast { proc, port }
}

/// The tail of icecast2's error.log (its own diagnostics go there, not to stderr).
fn icecast_error_log(dir: &TempDir) -> String {
    tail(
        &std::fs::read(dir.path().join("icecast/error.log")).unwrap_or_default(),
        4000,
    )
}

/// `ffmpeg -re` sending a generated 440 Hz stereo tone to `url` (an `icecast://` URL).
fn ffmpeg_source(
    dir: &TempDir,
    name: &str,
    codec: &[&str],
    content_type: &str,
    format: &str,
    url: &str,
) -> Proc {
    let mut cmd = Command::new(require("ffmpeg"));
    cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", SINE, "-ac", "2"])
        .args(codec)
        .args(["-content_type", content_type, "-f", format, url]);
    Proc::spawn(name, dir, &mut cmd)
}

/// An MP3 (128 kb/s) source into `mount` on the server at `port`.
fn mp3_source(dir: &TempDir, port: u16, mount: &str) -> Proc {
    ffmpeg_source(
        dir,
        "ffmpeg-source",
        &["-c:a", "libmp3lame", "-b:a", "128k"],
        "audio/mpeg",
        "mp3",
        &format!("icecast://source:hackme@127.0.0.1:{port}{mount}"),
    )
}

/// The codec ffprobe finds in the stream at `url` (one line per stream).
fn ffprobe_codec(url: &str) -> String {
    let out = run_bounded(
        Command::new(require("ffprobe")).args([
            "-v",
            "error",
            "-rw_timeout",
            "5000000",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "default=noprint_wrappers=1:nokey=1",
            url,
        ]),
        PEER_RUN,
    );
    assert!(
        out.status.success(),
        "ffprobe {url} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Decodes `seconds` of the stream at `url` with ffmpeg and asserts a clean decode: exit
/// status 0 and nothing on stderr at `-v error`.
fn assert_decodes_cleanly(url: &str, seconds: u32) {
    let out = run_bounded(
        Command::new(require("ffmpeg")).args([
            "-nostdin",
            "-v",
            "error",
            "-rw_timeout",
            "5000000",
            "-t",
            &seconds.to_string(),
            "-i",
            url,
            "-f",
            "null",
            "-",
        ]),
        PEER_RUN,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "ffmpeg decoding {url}: status {}, stderr:\n{stderr}",
        out.status
    );
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

/// ffmpeg as an Icecast MP3 source (HTTP PUT), ffprobe and ffmpeg as listeners.
#[test]
#[ignore = "interop: needs Debian peers (ffmpeg, icecast2, mpg123...); run by .ci/run"]
fn ffmpeg_mp3_source_and_listeners() {
    require("ffmpeg");
    require("ffprobe");
    let dir = TempDir::new("mp3");
    let mut rp = start_radiopoint(&dir, "");
    let mut src = mp3_source(&dir, rp.port, "/live.mp3");
    let status = wait_mount(rp.port, "/live.mp3", &mut [&mut rp.proc, &mut src], ARRIVE);
    assert_eq!(
        status.get("server_type").and_then(Value::as_str),
        Some("audio/mpeg"),
        "status-json entry: {status}"
    );

    assert_eq!(ffprobe_codec(&rp.url("/live.mp3")), "mp3");
    assert_decodes_cleanly(&rp.url("/live.mp3"), 4);
    src.assert_running();
    rp.proc.assert_running();
}

/// ffmpeg as an Ogg/Opus source; a listener that joins once the Ogg headers have left
/// the burst still gets them (header replay) and decodes without errors.
#[test]
#[ignore = "interop: needs Debian peers (ffmpeg, icecast2, mpg123...); run by .ci/run"]
fn ffmpeg_opus_ogg_source() {
    require("ffmpeg");
    require("ffprobe");
    let dir = TempDir::new("opus");
    // A small burst, so the stream's first pages (OpusHead, OpusTags) leave it quickly.
    let burst = 8192;
    let mut rp = start_radiopoint(&dir, &format!("[defaults]\nburst_size = {burst}\n"));
    let mut src = ffmpeg_source(
        &dir,
        "ffmpeg-source",
        &["-c:a", "libopus", "-b:a", "96k"],
        "audio/ogg",
        "ogg",
        &format!("icecast://source:hackme@127.0.0.1:{}/live.opus", rp.port),
    );
    let status = wait_mount(rp.port, "/live.opus", &mut [&mut rp.proc, &mut src], ARRIVE);
    assert_eq!(
        status.get("server_type").and_then(Value::as_str),
        Some("audio/ogg"),
        "status-json entry: {status}"
    );

    // Let the stream run on: an early listener reads ~3 s of audio past its burst
    // (96 kb/s is 12 kB/s, and `-re` delivers it in real time).
    let (mut early, head, mut got) = open_stream(rp.port, "/live.opus", "");
    assert!(head.starts_with("HTTP/1.0 200"), "early listener: {head}");
    read_at_least(&mut early, &mut got, burst + 36_000, ARRIVE);
    assert!(got.starts_with(b"OggS"), "the stream starts with a page");

    // The late listener's burst no longer holds the headers: they must be replayed.
    let (mut late, head, mut body) = open_stream(rp.port, "/live.opus", "");
    assert!(head.starts_with("HTTP/1.0 200"), "late listener: {head}");
    read_at_least(&mut late, &mut body, 4096, READY);
    assert!(
        body.starts_with(b"OggS"),
        "late listener's data does not start with an Ogg page"
    );
    let find = |needle: &[u8]| body.windows(needle.len()).position(|w| w == needle);
    let (head_at, tags_at) = (find(b"OpusHead"), find(b"OpusTags"));
    assert!(
        head_at.is_some() && tags_at.is_some() && head_at < tags_at,
        "late listener did not get OpusHead then OpusTags first (at {head_at:?}, {tags_at:?})"
    );
    drop(late);

    assert_eq!(ffprobe_codec(&rp.url("/live.opus")), "opus");
    assert_decodes_cleanly(&rp.url("/live.opus"), 4);
    drop(early);
    src.assert_running();
    rp.proc.assert_running();
}

/// mpg123 asks for ICY metadata and prints the StreamTitle set with /admin/metadata.
#[test]
#[ignore = "interop: needs Debian peers (ffmpeg, icecast2, mpg123...); run by .ci/run"]
fn mpg123_sees_updated_stream_title() {
    require("ffmpeg");
    let mpg123 = require("mpg123");
    let dir = TempDir::new("mpg123");
    let mut rp = start_radiopoint(&dir, "");
    let mut src = mp3_source(&dir, rp.port, "/live.mp3");
    wait_mount(rp.port, "/live.mp3", &mut [&mut rp.proc, &mut src], ARRIVE);

    let title = "Interop Title O'Neil";
    set_title(rp.port, "/live.mp3", title, ("admin", "hackme"));
    wait_title(rp.port, "/live.mp3", title, &mut [&mut rp.proc, &mut src]);

    // -t: test mode (decode, no audio device); -n 400 bounds it to ~10 s of audio.
    let mut player = Proc::spawn(
        "mpg123",
        &dir,
        Command::new(mpg123)
            .args(["-t", "-v", "-n", "400"])
            .arg(rp.url("/live.mp3")),
    );
    let wanted = format!("ICY-META: StreamTitle='{title}';");
    wait_until("mpg123 to print the new StreamTitle", ARRIVE, || {
        let out = player.output();
        if out.contains(&wanted) {
            return Some(());
        }
        if let Some(status) = player.exited() {
            panic!("mpg123 exited ({status}) without printing {wanted:?}:\n{out}");
        }
        None
    });
    let out = player.output();
    assert!(
        out.contains("MPEG 1.0 L III"),
        "mpg123 did not decode MPEG 1 Layer III:\n{out}"
    );
    assert!(out.contains("ICY-NAME:"), "mpg123 saw no icy-name:\n{out}");
}

/// A BUTT-style Shoutcast v1 source on port + 1: password and headers pipelined with the
/// first audio in one write.
#[test]
#[ignore = "interop: needs Debian peers (ffmpeg, icecast2, mpg123...); run by .ci/run"]
fn shoutcast_v1_source_like_butt() {
    let ffmpeg = require("ffmpeg");
    require("ffprobe");
    let dir = TempDir::new("shoutcast");
    let mp3 = dir.path().join("tone.mp3");
    let out = run_bounded(
        Command::new(ffmpeg)
            .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i"])
            .arg(format!("{SINE}:duration=5"))
            .args(["-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k"])
            // Plain frames, as an encoder streams them: no ID3 tag, no Xing frame.
            .args(["-id3v2_version", "0", "-write_xing", "0", "-f", "mp3"])
            .arg(&mp3),
        PEER_RUN,
    );
    assert!(
        out.status.success(),
        "making {}: {}",
        mp3.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let audio = std::fs::read(&mp3).expect("reading the MP3 file");
    assert!(audio.len() > 60_000, "a 5 s MP3 at 128 kb/s is ~80 kB");

    let mut rp = start_radiopoint(&dir, "");
    let mut sock = connect(rp.shoutcast_port()).expect("connecting to the Shoutcast port");
    let first = 32 * 1024;
    let mut hello = b"hackme\r\nicy-name:Interop SC\r\nicy-genre:Test\r\nicy-pub:0\r\nicy-br:128\r\ncontent-type:audio/mpeg\r\n\r\n".to_vec();
    hello.extend_from_slice(&audio[..first]);
    sock.write_all(&hello).expect("sending the Shoutcast login");

    let mut reply = Vec::new();
    let deadline = Instant::now() + READY;
    while !reply.windows(4).any(|w| w == b"\r\n\r\n") {
        assert!(
            Instant::now() < deadline,
            "no complete reply in time: {reply:?}"
        );
        let mut tmp = [0u8; 256];
        let n = sock.read(&mut tmp).expect("reading the Shoutcast reply");
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&reply));
        reply.extend_from_slice(&tmp[..n]);
    }
    let reply = String::from_utf8_lossy(&reply).into_owned();
    assert!(
        reply.starts_with("OK2\r\nicy-caps:11"),
        "Shoutcast reply: {reply:?}"
    );

    // Go on like an encoder: the rest of the file, looped, at 128 kb/s.
    let feeder = Feeder::start(sock, audio, first);
    wait_mount(rp.port, "/stream", &mut [&mut rp.proc], ARRIVE);
    assert!(
        !feeder.failed(),
        "the server stopped taking the source's data"
    );

    let (_listener, head, _) = open_stream(rp.port, "/stream", "");
    assert!(head.starts_with("HTTP/1.0 200"), "listener: {head}");
    assert_eq!(
        header(&head, "icy-name"),
        Some("Interop SC"),
        "listener head: {head}"
    );
    assert_eq!(header(&head, "content-type"), Some("audio/mpeg"));
    assert_eq!(ffprobe_codec(&rp.url("/stream")), "mp3");
    assert_decodes_cleanly(&rp.url("/stream"), 2);
    assert!(
        !feeder.failed(),
        "the server stopped taking the source's data"
    );
    rp.proc.assert_running();
}

/// Writes an MP3 file, looped, into a socket at ~128 kb/s from a thread; stopped and
/// joined on drop.
struct Feeder {
    stop: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
    sock: TcpStream,
    thread: Option<JoinHandle<()>>,
}

impl Feeder {
    fn start(sock: TcpStream, audio: Vec<u8>, from: usize) -> Feeder {
        let stop = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicBool::new(false));
        let mut w = sock.try_clone().expect("cloning the source socket");
        let (s, f) = (stop.clone(), failed.clone());
        let thread = std::thread::spawn(move || {
            let chunk = 4000; // 128 kb/s is 16000 B/s: 4000 B every 250 ms
            let mut pos = from;
            while !s.load(Ordering::Relaxed) {
                let end = (pos + chunk).min(audio.len());
                if w.write_all(&audio[pos..end]).is_err() {
                    f.store(true, Ordering::Relaxed);
                    return;
                }
                pos = if end == audio.len() { 0 } else { end };
                std::thread::sleep(Duration::from_millis(250));
            }
        });
        Feeder {
            stop,
            failed,
            sock,
            thread: Some(thread),
        }
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.sock.shutdown(Shutdown::Both);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Debian's icecast2 relays a radiopoint mount (with its ICY title).
#[test]
#[ignore = "interop: needs Debian peers (ffmpeg, icecast2, mpg123...); run by .ci/run"]
fn icecast2_relays_radiopoint() {
    require("ffmpeg");
    require("ffprobe");
    require("icecast2");
    let dir = TempDir::new("ice-relays-rp");
    let mut rp = start_radiopoint(&dir, "");
    let mut src = mp3_source(&dir, rp.port, "/live.mp3");
    wait_mount(rp.port, "/live.mp3", &mut [&mut rp.proc, &mut src], ARRIVE);
    let title = "Relayed by Icecast";
    set_title(rp.port, "/live.mp3", title, ("admin", "hackme"));

    // Start icecast2 only now: a relay that fails at start is retried only much later.
    let relay = format!(
        "<relay><server>127.0.0.1</server><port>{}</port><mount>/live.mp3</mount>\
         <local-mount>/relayed.mp3</local-mount><on-demand>0</on-demand>\
         <relay-shoutcast-metadata>1</relay-shoutcast-metadata></relay>",
        rp.port
    );
    let mut ice = start_icecast(&dir, &relay);
    let status = wait_mount(
        ice.port,
        "/relayed.mp3",
        &mut [&mut rp.proc, &mut src, &mut ice.proc],
        ARRIVE,
    );
    assert_eq!(
        status.get("server_type").and_then(Value::as_str),
        Some("audio/mpeg"),
        "icecast2's entry: {status}\n{}",
        icecast_error_log(&dir)
    );
    assert_eq!(ffprobe_codec(&ice.url("/relayed.mp3")), "mp3");
    wait_title(
        ice.port,
        "/relayed.mp3",
        title,
        &mut [&mut rp.proc, &mut src, &mut ice.proc],
    );
    // radiopoint counts icecast2 as one of its listeners.
    let ours = source_of(&status_json(rp.port).expect("status"), "/live.mp3").expect("mount");
    assert!(
        ours.get("listeners")
            .and_then(Value::as_u64)
            .is_some_and(|n| n >= 1),
        "radiopoint's entry: {ours}"
    );
}

/// radiopoint relays a mount of Debian's icecast2, titles included.
#[test]
#[ignore = "interop: needs Debian peers (ffmpeg, icecast2, mpg123...); run by .ci/run"]
fn radiopoint_relays_icecast2() {
    require("ffmpeg");
    require("ffprobe");
    require("icecast2");
    let dir = TempDir::new("rp-relays-ice");
    let mut ice = start_icecast(&dir, "");
    let mut src = mp3_source(&dir, ice.port, "/up.mp3");
    wait_mount(ice.port, "/up.mp3", &mut [&mut ice.proc, &mut src], ARRIVE);

    let mut rp = start_radiopoint(
        &dir,
        &format!(
            "[[relay]]\nmount = \"/relayed.mp3\"\nurl = \"http://127.0.0.1:{}/up.mp3\"\n",
            ice.port
        ),
    );
    wait_mount(
        rp.port,
        "/relayed.mp3",
        &mut [&mut ice.proc, &mut src, &mut rp.proc],
        ARRIVE,
    );
    assert_eq!(ffprobe_codec(&rp.url("/relayed.mp3")), "mp3");

    let title = "Upstream Title – Ünïcode & more";
    set_title(ice.port, "/up.mp3", title, ("admin", "hackme"));
    wait_title(
        rp.port,
        "/relayed.mp3",
        title,
        &mut [&mut ice.proc, &mut src, &mut rp.proc],
    );
    assert_decodes_cleanly(&rp.url("/relayed.mp3"), 2);
}

/// radiopoint pushes a mount to Debian's icecast2 as a source, and its title follows.
#[test]
#[ignore = "interop: needs Debian peers (ffmpeg, icecast2, mpg123...); run by .ci/run"]
fn push_client_feeds_icecast2() {
    require("ffmpeg");
    require("ffprobe");
    require("icecast2");
    let dir = TempDir::new("push");
    let mut ice = start_icecast(&dir, "");
    let mut rp = start_radiopoint(
        &dir,
        &format!(
            "[[push]]\nmount = \"/live.mp3\"\nurl = \"http://127.0.0.1:{}/pushed.mp3\"\npassword = \"hackme\"\n",
            ice.port
        ),
    );
    let mut src = mp3_source(&dir, rp.port, "/live.mp3");
    wait_mount(rp.port, "/live.mp3", &mut [&mut rp.proc, &mut src], ARRIVE);
    let status = wait_mount(
        ice.port,
        "/pushed.mp3",
        &mut [&mut ice.proc, &mut rp.proc, &mut src],
        ARRIVE,
    );
    assert_eq!(
        status.get("server_type").and_then(Value::as_str),
        Some("audio/mpeg"),
        "icecast2's entry: {status}"
    );
    assert_eq!(ffprobe_codec(&ice.url("/pushed.mp3")), "mp3");

    let title = "Pushed Title O'Neil";
    set_title(rp.port, "/live.mp3", title, ("admin", "hackme"));
    wait_title(
        ice.port,
        "/pushed.mp3",
        title,
        &mut [&mut ice.proc, &mut rp.proc, &mut src],
    );
    assert_decodes_cleanly(&ice.url("/pushed.mp3"), 2);
}

/// liquidsoap's `output.icecast` as an MP3 source.
#[test]
#[ignore = "interop: needs Debian peers (ffmpeg, icecast2, mpg123...); run by .ci/run"]
fn liquidsoap_source() {
    let liquidsoap = require("liquidsoap");
    require("ffprobe");
    let dir = TempDir::new("liquidsoap");
    let mut rp = start_radiopoint(&dir, "");
    // Liquidsoap 2.x syntax; it refuses to run as root unless allowed.
    let script = dir.path().join("interop.liq");
    std::fs::write(
        &script,
        format!(
            "settings.init.allow_root.set(true)\n\
             settings.log.stdout.set(true)\n\
             settings.log.file.set(false)\n\
             output.icecast(%mp3(bitrate=128), host=\"127.0.0.1\", port={}, \
             password=\"hackme\", mount=\"/ls.mp3\", name=\"Interop LS\", sine())\n",
            rp.port
        ),
    )
    .expect("writing the liquidsoap script");
    let mut ls = Proc::spawn("liquidsoap", &dir, Command::new(liquidsoap).arg(&script));
    // liquidsoap takes ~10-15 s to type-check its standard library before it connects.
    let status = wait_mount(
        rp.port,
        "/ls.mp3",
        &mut [&mut rp.proc, &mut ls],
        Duration::from_secs(60),
    );
    assert_eq!(
        status.get("server_type").and_then(Value::as_str),
        Some("audio/mpeg"),
        "status-json entry: {status}"
    );
    assert_eq!(
        status.get("server_name").and_then(Value::as_str),
        Some("Interop LS"),
        "status-json entry: {status}"
    );
    assert_eq!(ffprobe_codec(&rp.url("/ls.mp3")), "mp3");
    assert_decodes_cleanly(&rp.url("/ls.mp3"), 2);
}

/// `radiopoint` with no config plays its demo station: ffprobe finds MP3 and ffmpeg
/// decodes 3 s of it without an error, and status-json shows the song's title.
#[test]
#[ignore = "interop: needs Debian peers (ffmpeg, icecast2, mpg123...); run by .ci/run"]
fn ffmpeg_decodes_the_demo_station() {
    let dir = TempDir::new("demo");
    let port = free_port_pair();
    let mut proc = Proc::spawn(
        "radiopoint",
        &dir,
        Command::new(env!("CARGO_BIN_EXE_radiopoint"))
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .env("NO_COLOR", "1"),
    );
    wait_http(port, &mut proc);
    let url = format!("http://127.0.0.1:{port}/demo.mp3");
    assert_eq!(ffprobe_codec(&url), "mp3");
    assert_decodes_cleanly(&url, 3);
    let status = status_json(port).expect("status");
    let source = source_of(&status, "/demo.mp3").expect("the demo mount");
    let title = source["title"].as_str().unwrap_or_default().to_string();
    assert!(!title.is_empty(), "a song title: {source}");
}
