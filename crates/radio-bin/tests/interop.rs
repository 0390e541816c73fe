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

mod peers;
use peers::*;

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
