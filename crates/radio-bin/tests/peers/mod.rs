//! Helpers shared by the suites that run real peers (interop, stations): processes
//! killed by PID, temp dirs kept on failure, bounded waits, icecast2 and ffmpeg.
#![allow(dead_code, unused_imports)] // each test binary uses its own subset

pub use serde_json::Value;
pub use std::fs::File;
pub use std::io::{Read, Write};
pub use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
pub use std::os::unix::fs::{MetadataExt, PermissionsExt};
pub use std::path::{Path, PathBuf};
pub use std::process::{Child, Command, ExitStatus, Output, Stdio};
pub use std::sync::Arc;
pub use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
pub use std::thread::JoinHandle;
pub use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a server may take to accept connections and serve its status page.
pub const READY: Duration = Duration::from_secs(10);
/// How long a stream may take to show up somewhere (a mount, a relay, a title).
pub const ARRIVE: Duration = Duration::from_secs(20);
/// Upper bound for one run of a short-lived peer (ffprobe, a decoding ffmpeg).
pub const PEER_RUN: Duration = Duration::from_secs(30);
/// The generated test tone.
pub const SINE: &str = "sine=frequency=440:sample_rate=44100";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The Debian package that ships `peer`.
pub fn package_of(peer: &str) -> &str {
    match peer {
        "ffprobe" => "ffmpeg",
        other => other,
    }
}

/// The path of a peer binary on `PATH`; panics loudly when it is not installed.
pub fn require(peer: &str) -> PathBuf {
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
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}

/// A free port whose successor is free too (radiopoint's Shoutcast port is port + 1).
pub fn free_port_pair() -> u16 {
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
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
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

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Whether this process runs as root (the owner of a directory it just created).
    pub fn created_by_root(&self) -> bool {
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
pub fn tail(bytes: &[u8], n: usize) -> String {
    String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(n)..]).into_owned()
}

/// A child process that is killed (by PID, SIGKILL) and reaped when dropped. Its stdout
/// and stderr go to `<dir>/<name>.log`, printed when a test fails.
pub struct Proc {
    pub name: String,
    pub child: Child,
    pub log: PathBuf,
    /// More log files to show when a test fails (icecast2's error.log).
    pub other_logs: Vec<PathBuf>,
}

impl Proc {
    pub fn spawn(name: &str, dir: &TempDir, cmd: &mut Command) -> Proc {
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

    /// Like [`Proc::spawn`], with stdin and stdout piped (the caller takes them);
    /// stderr goes to the log.
    pub fn spawn_piped(name: &str, dir: &TempDir, cmd: &mut Command) -> Proc {
        let log = dir.path().join(format!("{name}.log"));
        let err = File::create(&log).expect("creating a log file");
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(err);
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
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Panics with the process's output if it has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!(
                "{} exited early ({status}); its output:\n{}",
                self.name,
                self.output()
            );
        }
    }

    /// The exit status, if the process has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
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
pub fn run_bounded(cmd: &mut Command, timeout: Duration) -> Output {
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
pub fn wait_until<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
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

pub fn base64(input: &[u8]) -> String {
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
pub fn urlencode(s: &str) -> String {
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
pub struct Response {
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn status(&self) -> u16 {
        self.head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

/// The value of a header in a response head (case-insensitive name, trimmed value).
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

pub fn connect(port: u16) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    )?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    Ok(s)
}

pub fn request_text(port: u16, path: &str, auth: Option<(&str, &str)>, extra: &str) -> String {
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
pub fn http_get(port: u16, path: &str, auth: Option<(&str, &str)>) -> std::io::Result<Response> {
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
pub fn open_stream(port: u16, path: &str, extra: &str) -> (TcpStream, String, Vec<u8>) {
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
pub fn read_at_least(s: &mut TcpStream, have: &mut Vec<u8>, n: usize, timeout: Duration) {
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
pub fn status_json(port: u16) -> Option<Value> {
    let r = http_get(port, "/status-json.xsl", None).ok()?;
    if r.status() != 200 {
        return None;
    }
    serde_json::from_slice(&r.body).ok()
}

/// The `icestats.source` entry for `mount` (Icecast: an object for one, an array for more;
/// matched on `listenurl`'s path).
pub fn source_of(status: &Value, mount: &str) -> Option<Value> {
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
pub fn wait_mount(port: u16, mount: &str, procs: &mut [&mut Proc], timeout: Duration) -> Value {
    wait_until(&format!("{mount} on :{port}"), timeout, || {
        for p in procs.iter_mut() {
            p.assert_running();
        }
        status_json(port).and_then(|s| source_of(&s, mount))
    })
}

/// Waits until the title of `mount` on the server at `port` is `title`.
pub fn wait_title(port: u16, mount: &str, title: &str, procs: &mut [&mut Proc]) {
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
pub fn set_title(port: u16, mount: &str, title: &str, auth: (&str, &str)) {
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
pub struct Radiopoint {
    pub proc: Proc,
    pub port: u16,
}

impl Radiopoint {
    /// The Shoutcast v1 source port (the default: port + 1).
    pub fn shoutcast_port(&self) -> u16 {
        self.port + 1
    }

    pub fn url(&self, mount: &str) -> String {
        format!("http://127.0.0.1:{}{mount}", self.port)
    }
}

/// Starts radiopoint on free ports with `[server] bind/port` plus `config_toml` (which must
/// not have a `[server]` table), and waits until `/status-json.xsl` answers.
pub fn start_radiopoint(dir: &TempDir, config_toml: &str) -> Radiopoint {
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
pub fn wait_http(port: u16, proc: &mut Proc) {
    let what = format!("{} to serve /status-json.xsl on :{port}", proc.name);
    wait_until(&what, READY, || {
        proc.assert_running();
        status_json(port)
    });
}

/// A running Icecast 2.
pub struct Icecast {
    pub proc: Proc,
    pub port: u16,
}

impl Icecast {
    pub fn url(&self, mount: &str) -> String {
        format!("http://127.0.0.1:{}{mount}", self.port)
    }
}

/// Starts Debian's icecast2 on a free port with `extra_xml` (e.g. a `<relay>`) inside
/// `<icecast>`, and waits until `/status-json.xsl` answers. As root it drops to
/// nobody/nogroup (icecast2 refuses to run as root), so its directory is world-writable.
pub fn start_icecast(dir: &TempDir, extra_xml: &str) -> Icecast {
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
pub fn icecast_error_log(dir: &TempDir) -> String {
    tail(
        &std::fs::read(dir.path().join("icecast/error.log")).unwrap_or_default(),
        4000,
    )
}

/// `ffmpeg -re` sending a generated 440 Hz stereo tone to `url` (an `icecast://` URL).
pub fn ffmpeg_source(
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
pub fn mp3_source(dir: &TempDir, port: u16, mount: &str) -> Proc {
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
pub fn ffprobe_codec(url: &str) -> String {
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
pub fn assert_decodes_cleanly(url: &str, seconds: u32) {
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
