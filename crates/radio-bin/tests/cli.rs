//! The `radiopoint` binary as a user runs it: config errors, the embedded default,
//! PenguinCast's config.json, graceful shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{Running, free_port, temp_dir, write_wav};

const BIN: &str = env!("CARGO_BIN_EXE_radiopoint");

/// The binary, run in a folder of its own (with no config it keeps `radiopoint.db` in the
/// working directory).
fn bin() -> Command {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut c = Command::new(BIN);
    c.current_dir(temp_dir(&format!("cwd-{n}")).keep());
    c
}

/// GET with a bounded wait for the server to come up.
fn http_get(port: u16, path: &str, extra: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if common::serves(port)
            && let Ok(mut s) = TcpStream::connect(("127.0.0.1", port))
        {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(format!("GET {path} HTTP/1.0\r\n{extra}\r\n").as_bytes())
                .unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            return out;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `radiopoint` with no config on `port`, plus `extra` arguments.
fn embedded_default(port: u16, extra: &[&str]) -> Running {
    Running(
        bin()
            .args(["--port", &port.to_string()])
            .args(extra)
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn run_config(name: &str, text: &str) -> std::process::Output {
    let dir = temp_dir(name);
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    bin()
        .arg("--config")
        .arg(&path)
        .arg("--check")
        .output()
        .unwrap()
}

#[test]
fn bad_config_exits_2_naming_the_key() {
    let out = run_config(
        "config.json",
        r#"{"Socket": {"Port": 8008}, "Limits": {"SourceIdleTimeOut": 5, "EmptyBufferIdleTimeOut": 5, "WriteTimeOut": 10},
            "Mounts": [{"Name": "m", "User": "u", "Password": "p", "BitRate": 0}]}"#,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Mounts[0].BitRate"), "{err}");
    assert!(!err.contains("panicked"));
    let out = run_config("r.toml", "[server]\nport = \"eighty\"\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("port"));
    let out = bin()
        .args(["--config", "/nonexistent/radiopoint.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/radiopoint.toml")
    );
}

/// A station config with one mistake: `radiopoint --check` exits 2 with an error that
/// names the file, the line, the key and the problem.
fn station_error(mistake: (&str, &str)) -> String {
    let good = [
        ("name", "name = \"rock\""),
        ("timezone", "timezone = \"Europe/Paris\""),
        ("loudness", "loudness = -16.0"),
        ("codec", "codec = \"mp3\""),
        ("bitrate", "bitrate = 128"),
        ("at", "at = \"2026-12-04T21:00:00+01:00\""),
        ("url", "url = \"http://source:pw@127.0.0.1:9/rock.mp3\""),
    ];
    let line = |k: &str| {
        if k == mistake.0 {
            mistake.1.to_string()
        } else {
            good.iter().find(|g| g.0 == k).unwrap().1.to_string()
        }
    };
    let text = format!(
        "[server]\nport = 8000\n\n[[station]]\nname = \"pop\"\n\n[[station]]\n{}\n{}\n{}\nmedia = [\"music\"]\n\n\
         [[station.output]]\nmount = \"/rock.mp3\"\n\n[[station.output]]\nmount = \"/rock.opus\"\n{}\n{}\n\n\
         [[station.show]]\nfile = \"f.mp3\"\n{}\n\n[[station.upstream]]\n{}\n",
        line("name"),
        line("timezone"),
        line("loudness"),
        line("codec"),
        line("bitrate"),
        line("at"),
        line("url"),
    );
    let out = run_config("radiopoint.toml", &text);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{text}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn station_config_errors_name_file_line_key_and_problem() {
    let err = station_error(("bitrate", "bitrate = 100"));
    assert!(
        err.contains("radiopoint.toml:19: station[1].output[1].bitrate: MP3 bitrate 100"),
        "{err}"
    );
    let err = station_error(("codec", "codec = \"aac\""));
    assert!(
        err.contains("radiopoint.toml:18: station[1].output[1].codec: unknown codec \"aac\""),
        "{err}"
    );
    let err = station_error(("timezone", "timezone = \"Mars/Olympus\""));
    assert!(
        err.contains(":9: station[1].timezone: \"Mars/Olympus\" is not an IANA time zone"),
        "{err}"
    );
    let err = station_error(("name", "name = \"pop\""));
    assert!(
        err.contains(":8: station[1].name: station \"pop\" is configured twice"),
        "{err}"
    );
    let err = station_error(("at", "at = \"friday 9pm\""));
    assert!(
        err.contains(":23: station[1].show[0].at: \"friday 9pm\" is not an RFC 3339"),
        "{err}"
    );
    let err = station_error(("url", "url = \"http://127.0.0.1:9/rock.mp3\""));
    assert!(
        err.contains(":25: station[1].upstream[0].password: is missing"),
        "{err}"
    );
    let err = station_error(("loudness", "loudness = 3"));
    assert!(err.contains(":10: station[1].loudness"), "{err}");
    // A key we do not know is named with its line by the TOML reader.
    let err = station_error(("loudness", "loudnes = -16.0"));
    assert!(err.contains("loudnes") && err.contains("line 10"), "{err}");
}

#[test]
fn embedded_default_serves_status() {
    let port = free_port();
    let _srv = embedded_default(port, &[]);
    let resp = http_get(port, "/status-json.xsl", "");
    assert!(resp.starts_with("HTTP/1.0 200"), "{resp}");
    assert!(resp.contains("\"icestats\""));
}

#[test]
fn bind_takes_an_address_and_port_with_the_demo_and_with_media() {
    let port = free_port();
    let _demo = Running(
        bin()
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let resp = http_get(port, "/api/nowplaying/demo", "");
    assert!(resp.starts_with("HTTP/1.0 200"), "{resp}");
    assert!(resp.contains("\"station\":\"demo\""), "{resp}");
    let dir = temp_dir("bind-media");
    write_wav(&dir.join("a.wav"), 2.0, 440.0);
    let port = free_port();
    let _media = Running(
        bin()
            .args(["--bind", &format!("127.0.0.1:{port}"), "--media"])
            .arg(&dir)
            .arg("--db")
            .arg(dir.join("r.db"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let resp = http_get(port, "/api/nowplaying/default", "");
    assert!(resp.starts_with("HTTP/1.0 200"), "{resp}");
    let out = bin()
        .args(["--bind", "127.0.0.1:0", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bind 127.0.0.1:0"));
}

#[test]
fn penguincast_config_runs_and_sigterm_flushes_logs() {
    let dir = temp_dir("penguin");
    let port = free_port();
    let config = format!(
        r#"{{
    "Name": "Rollstation radio", "Admin": "admin@site.com", "Location": "Saint Petersburg", "Host": "127.0.0.1",
    "Socket": {{ "Port": {port}}},
    "Limits": {{"Clients": 30, "Sources": 5, "SourceIdleTimeOut": 5, "EmptyBufferIdleTimeOut": 5, "WriteTimeOut": 10}},
    "Auth": {{"AdminPassword": "admin"}},
    "Paths": {{"Log": "log/", "Web":"html/"}},
    "Logging": {{"Loglevel": 4, "Logsize": 50000, "UseMonitor": true, "UseStat": true}},
    "Mounts": [{{"Name": "RockRadio96", "User":"admin", "Password": "admin", "Genre":"Rock",
        "Description": "Rock radio station, Saint Petersburg", "BitRate":96, "BurstSize": 65536, "DumpFile": "rock96.mp3"}}]
}}"#
    );
    let path = dir.join("config.json");
    std::fs::write(&path, config).unwrap();
    let mut srv = Running(
        bin()
            .arg("--config")
            .arg(&path)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let info = http_get(port, "/info.json", "");
    assert!(info.contains("\"Name \":\"RockRadio96\""), "{info}");
    // A source with the mount's credentials, and a listener.
    let mut src = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = radio_auth("admin", "admin");
    src.write_all(format!("SOURCE /RockRadio96 HTTP/1.0\r\nAuthorization: {auth}\r\nContent-Type: audio/mpeg\r\n\r\n").as_bytes())
        .unwrap();
    let mut ok = [0u8; 19];
    src.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"HTTP/1.0 200 OK\r\n\r\n");
    let frame = {
        let mut f = vec![0u8; 417];
        f[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        f
    };
    let audio: Vec<u8> = frame.repeat(40);
    src.write_all(&audio).unwrap();
    let mut l = TcpStream::connect(("127.0.0.1", port)).unwrap();
    l.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    l.write_all(b"GET /RockRadio96 HTTP/1.0\r\nIcy-MetaData: 1\r\nUser-Agent: cli-test\r\n\r\n")
        .unwrap();
    let mut got = vec![0u8; 1024];
    l.read_exact(&mut got).unwrap();
    let head = String::from_utf8_lossy(&got);
    assert!(
        head.contains(&format!("icy-metaint:{}", 96 * 1280)),
        "{head}"
    );
    assert!(head.contains("X-Audiocast-Genre:Rock"), "{head}");
    // SIGTERM: the listener's and the source's access lines are written before exit.
    let pid = srv.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = srv.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let log = dir.join("log");
    let access = std::fs::read_to_string(log.join("access.log")).unwrap();
    assert!(
        access.contains("\"GET /RockRadio96 HTTP/1.0\" 200") && access.contains("cli-test"),
        "{access}"
    );
    assert!(access.contains("SOURCE /RockRadio96"), "{access}");
    assert_eq!(
        std::fs::read(log.join("rock96.mp3")).unwrap(),
        audio,
        "dump file is byte-identical"
    );
    let stat = std::fs::read_to_string(log.join("stat.log")).unwrap();
    assert!(
        stat.starts_with("#Time\t#Listeners\t#CpuUsage\t#MemUsage\n"),
        "{stat}"
    );
    let error_log = std::fs::read_to_string(log.join("error.log")).unwrap();
    assert!(
        error_log.contains("source connected"),
        "level 4 logs info: {error_log}"
    );
    drop(srv);
}

/// status-json once it lists `mount` (the station's source is attached), within 20 s.
fn status_with(port: u16, mount: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = http_get(port, "/status-json.xsl", "");
        if s.contains(mount) {
            return s;
        }
        assert!(Instant::now() < deadline, "no {mount} mount: {s}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn radio_auth(user: &str, pass: &str) -> String {
    radio_net::query::basic_header(user, pass)
}

/// Reads a response head (up to the blank line) from a stream.
fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).expect("a response head");
        head.push(byte[0]);
        assert!(head.len() < 16384, "head too long");
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[test]
fn embedded_default_plays_the_demo_station_with_titles() {
    let port = free_port();
    let _srv = embedded_default(port, &[]);
    // Wait for the server (and the demo source) to be up.
    let status = status_with(port, "/demo.mp3");
    assert!(
        status.contains("\"server_name\":\"radiopoint demo\""),
        "{status}"
    );
    let mut listener = IcyListener::connect(port, "/demo.mp3");
    assert!(
        listener.head.contains("Content-Type: audio/mpeg"),
        "{}",
        listener.head
    );
    // The audio before the first metadata block is MPEG audio: frame headers at 48 kHz,
    // 128 kbps (0xFF 0xFB 0x94 or 0x96 for MPEG-1 layer III, 128 kbps, 48 kHz).
    let metaint = listener.metaint;
    let mut audio = vec![0u8; metaint];
    listener.s.read_exact(&mut audio).unwrap();
    let frames = audio
        .windows(3)
        .filter(|w| w[0] == 0xFF && w[1] == 0xFB && (w[2] & 0xFC) == 0x94)
        .count();
    assert!(
        frames >= metaint / 400,
        "{frames} MP3 frame headers in {metaint} bytes"
    );
    let mut len = [0u8; 1];
    listener.s.read_exact(&mut len).unwrap();
    let mut meta = vec![0u8; len[0] as usize * 16];
    listener.s.read_exact(&mut meta).unwrap();
    let meta = String::from_utf8_lossy(&meta);
    assert!(meta.starts_with("StreamTitle='radiopoint - "), "{meta}");

    // --no-demo leaves it out.
    let port = free_port();
    let _srv = embedded_default(port, &["--no-demo"]);
    let resp = http_get(port, "/demo.mp3", "");
    assert!(resp.starts_with("HTTP/1.0 404"), "{resp}");
}

/// A listener reading ICY titles off a mount.
struct IcyListener {
    s: TcpStream,
    head: String,
    metaint: usize,
}

impl IcyListener {
    fn connect(port: u16, mount: &str) -> IcyListener {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(format!("GET {mount} HTTP/1.0\r\nIcy-MetaData: 1\r\n\r\n").as_bytes())
            .unwrap();
        let head = read_head(&mut s);
        assert!(head.starts_with("HTTP/1.0 200"), "{head}");
        let metaint = head
            .lines()
            .find_map(|l| l.strip_prefix("icy-metaint:"))
            .expect("icy-metaint")
            .trim()
            .parse()
            .unwrap();
        IcyListener { s, head, metaint }
    }

    /// The next title sent (metadata blocks that repeat nothing are skipped), within a
    /// minute.
    fn next_title(&mut self) -> String {
        let mut audio = vec![0u8; self.metaint];
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "no new title for a minute");
            self.s.read_exact(&mut audio).unwrap();
            let mut len = [0u8; 1];
            self.s.read_exact(&mut len).unwrap();
            if len[0] == 0 {
                continue;
            }
            let mut meta = vec![0u8; len[0] as usize * 16];
            self.s.read_exact(&mut meta).unwrap();
            let meta = String::from_utf8_lossy(&meta);
            let title = meta
                .strip_prefix("StreamTitle='")
                .and_then(|m| m.split("';").next())
                .unwrap_or_default();
            return title.to_string();
        }
    }

    /// The titles sent over the next `seconds` of audio (at `kbps`).
    fn titles_over(&mut self, seconds: usize, kbps: usize) -> Vec<String> {
        let mut titles = Vec::new();
        let mut audio = vec![0u8; self.metaint];
        for _ in 0..(seconds * kbps * 125).div_ceil(self.metaint) {
            self.s.read_exact(&mut audio).unwrap();
            let mut len = [0u8; 1];
            self.s.read_exact(&mut len).unwrap();
            let mut meta = vec![0u8; len[0] as usize * 16];
            self.s.read_exact(&mut meta).unwrap();
            if !meta.is_empty() {
                titles.push(
                    String::from_utf8_lossy(&meta)
                        .trim_end_matches('\0')
                        .to_string(),
                );
            }
        }
        titles
    }

    /// Reads titles until `want` comes (within `limit`), returning those before it.
    fn until(&mut self, want: &str, limit: Duration) -> Vec<String> {
        let deadline = Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            let t = self.next_title();
            if t == want {
                return seen;
            }
            assert!(Instant::now() < deadline, "no {want:?} in {seen:?}");
            seen.push(t);
        }
    }
}

#[test]
fn media_folder_is_autodjed_and_followed_without_a_restart() {
    let dir = temp_dir("media");
    let music = dir.join("music");
    std::fs::create_dir(&music).unwrap();
    write_wav(&music.join("Band A - First.wav"), 6.0, 440.0);
    let port = free_port();
    let _srv = Running(
        bin()
            .arg("--port")
            .arg(port.to_string())
            .arg("--media")
            .arg(&music)
            .arg("--db")
            .arg(dir.join("radiopoint.db"))
            .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    let status = status_with(port, "/radio.mp3");
    assert!(!status.contains("/demo.mp3"), "--media replaces the demo");
    let mut listener = IcyListener::connect(port, "/radio.mp3");
    listener.until("Band A - First", Duration::from_secs(30));

    // A new file arrives (written elsewhere, moved in) and the old one leaves.
    let tmp = dir.join("incoming.wav");
    write_wav(&tmp, 6.0, 660.0);
    std::fs::rename(&tmp, music.join("Band B - Second.wav")).unwrap();
    // Moved out of the library (still readable): only the index can stop it playing.
    std::fs::rename(music.join("Band A - First.wav"), dir.join("First.wav")).unwrap();
    listener.until("Band B - Second", Duration::from_secs(60));
    // From now on the removed track is never picked: over the next few tracks (6 s each,
    // crossfaded) no other title is sent.
    let later = listener.titles_over(20, 128);
    assert!(later.is_empty(), "only Band B - Second plays: {later:?}");
    let store = radio_store::Store::open(&dir.join("radiopoint.db")).unwrap();
    let station = store.station("default").unwrap().unwrap();
    let tracks = store.tracks(station).unwrap();
    assert_eq!(tracks.len(), 1, "{tracks:?}");
}
