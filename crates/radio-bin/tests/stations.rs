//! Stations on air, end to end: `radiopoint --config` with `[[station]]`s, heard by ffmpeg
//! (ICY titles read off the same connection whose audio ffmpeg decodes), DJs streaming
//! with ffmpeg, shows, a restart in the middle of a show, the Opus output in headless
//! Chromium, and the now-playing API and its event stream.
//!
//! Every test is `#[ignore]`d (they need ffmpeg, chromium; `.ci/run` installs them and
//! runs `cargo test -p radio-bin --test stations -- --ignored`). A missing peer fails.
//! Waits are bounded and synchronise on what the server says (its event stream, the
//! listener's bytes); times are compared with the times the server reports.

mod peers;
use peers::*;

use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::sync::mpsc;

/// The station's lead over real time (radio-station's default): audio made now is heard
/// this much later, and the times it reports are the times listeners hear.
const LEAD: chrono::Duration = chrono::Duration::seconds(2);
/// Decoded listener audio: mono, this rate.
const RATE: usize = 8000;

/// 16-bit stereo 48 kHz WAV of consecutive tones: `(seconds, Hz)` pairs, −12 dBFS.
fn write_tones(path: &Path, parts: &[(f64, f64)]) {
    let mut samples = Vec::new();
    let mut phase = 0.0f64;
    for &(secs, freq) in parts {
        for _ in 0..(secs * 48_000.0) as usize {
            let s = (0.25 * phase.sin()) as f32;
            samples.extend([s, s]);
            phase += 2.0 * std::f64::consts::PI * freq / 48_000.0;
        }
    }
    std::fs::write(path, radio_core::wav::wav16(48_000, 2, &samples)).expect("writing a WAV");
}

/// `GET` a JSON document.
fn get_json(port: u16, path: &str) -> Value {
    let r = http_get(port, path, None).unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(r.status(), 200, "GET {path}: {}", r.head);
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// A now-playing event stream: every message, with the time it arrived.
struct Events {
    rx: mpsc::Receiver<(DateTime<Utc>, Value)>,
    seen: Vec<(DateTime<Utc>, Value)>,
}

impl Events {
    fn open(port: u16, station: &str) -> Events {
        let (mut s, head, first) =
            open_stream(port, &format!("/api/nowplaying/{station}/events"), "");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            header(&head, "content-type").is_some_and(|c| c.starts_with("text/event-stream")),
            "{head}"
        );
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            s.set_read_timeout(Some(Duration::from_secs(120))).ok();
            let mut buf = first;
            let mut tmp = [0u8; 16 * 1024];
            loop {
                while let Some(end) = find(&buf, b"\n\n") {
                    let msg: Vec<u8> = buf.drain(..end + 2).collect();
                    let text = String::from_utf8_lossy(&msg);
                    if let Some(data) = text.lines().find_map(|l| l.strip_prefix("data: "))
                        && let Ok(v) = serde_json::from_str::<Value>(data)
                        && tx.send((Utc::now(), v)).is_err()
                    {
                        return;
                    }
                }
                match s.read(&mut tmp) {
                    Ok(n) if n > 0 => buf.extend_from_slice(&tmp[..n]),
                    _ => return,
                }
            }
        });
        Events {
            rx,
            seen: Vec::new(),
        }
    }

    /// The first message (seen or to come) satisfying `want`, within `limit`.
    fn wait(&mut self, what: &str, limit: Duration, want: impl Fn(&Value) -> bool) -> Value {
        if let Some((_, v)) = self.seen.iter().find(|(_, v)| want(v)) {
            return v.clone();
        }
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((t, v)) => {
                    self.seen.push((t, v.clone()));
                    if want(&v) {
                        return v;
                    }
                }
                Err(_) => panic!(
                    "no now-playing event with {what} within {limit:?}; last: {}",
                    self.seen
                        .last()
                        .map(|(_, v)| v.to_string())
                        .unwrap_or_default()
                ),
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The transition to `to` in a now-playing document (newest first), if any.
fn transition_to(v: &Value, to: &str) -> Option<Value> {
    v["transitions"]
        .as_array()?
        .iter()
        .find(|t| t["to"] == to)
        .cloned()
}

fn time_of(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {v}"))
}

/// A listener: one connection with ICY metadata; its audio is decoded by ffmpeg as it
/// arrives (mono, 8 kHz), its titles are kept with their position in the stream: the audio
/// bytes before them at the mount's constant bitrate (`icy-br`). (What ffmpeg has decoded
/// when a title arrives lags behind by its pipes and buffers, more so on a busy machine.)
struct Listener {
    pcm: Arc<Mutex<Vec<i16>>>,
    titles: Arc<Mutex<Vec<(f64, String)>>>,
    ffmpeg: Proc,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

impl Listener {
    fn start(dir: &TempDir, name: &str, port: u16, mount: &str, format: &str) -> Listener {
        let (mut s, head, first) = open_stream(port, mount, "Icy-MetaData: 1\r\n");
        assert!(head.starts_with("HTTP/1.0 200"), "{head}");
        // Ogg streams carry their titles in the stream; only MP3 gets ICY blocks.
        let metaint: usize = header(&head, "icy-metaint")
            .and_then(|m| m.parse().ok())
            .unwrap_or(usize::MAX);
        let bytes_per_second: Option<f64> = header(&head, "icy-br")
            .and_then(|b| b.parse::<f64>().ok())
            .map(|kbps| kbps * 1000.0 / 8.0);
        assert!(
            metaint == usize::MAX || bytes_per_second.is_some(),
            "ICY titles but no icy-br to place them: {head}"
        );
        let mut cmd = Command::new(require("ffmpeg"));
        cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error"])
            .args(["-f", format, "-i", "pipe:0"])
            .args([
                "-f",
                "s16le",
                "-ac",
                "1",
                "-ar",
                &RATE.to_string(),
                "pipe:1",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut ffmpeg = Proc::spawn_piped(name, dir, &mut cmd);
        let mut stdin = ffmpeg.child.stdin.take().expect("ffmpeg's stdin");
        let mut stdout = ffmpeg.child.stdout.take().expect("ffmpeg's stdout");
        let pcm = Arc::new(Mutex::new(Vec::new()));
        let titles = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let pcm = pcm.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 8192];
                let mut odd: Option<u8> = None;
                while let Ok(n) = stdout.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    let mut p = pcm.lock().unwrap();
                    let mut bytes: Vec<u8> = odd.take().into_iter().collect();
                    bytes.extend_from_slice(&buf[..n]);
                    if bytes.len() % 2 == 1 {
                        odd = bytes.pop();
                    }
                    p.extend(
                        bytes
                            .chunks_exact(2)
                            .map(|b| i16::from_le_bytes([b[0], b[1]])),
                    );
                }
            });
        }
        let reader = {
            let (pcm, titles, stop) = (pcm.clone(), titles.clone(), stop.clone());
            std::thread::spawn(move || {
                s.set_read_timeout(Some(Duration::from_secs(10))).ok();
                let mut buf = first;
                let mut tmp = [0u8; 16 * 1024];
                let mut until_meta = metaint;
                let mut audio_bytes = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    // Audio up to the next metadata block goes to ffmpeg.
                    while !buf.is_empty() {
                        if until_meta > 0 {
                            let n = until_meta.min(buf.len());
                            if stdin.write_all(&buf[..n]).is_err() {
                                return;
                            }
                            buf.drain(..n);
                            until_meta -= n;
                            audio_bytes += n;
                            continue;
                        }
                        let len = buf[0] as usize * 16;
                        if buf.len() < 1 + len {
                            break;
                        }
                        if len > 0 {
                            let text = String::from_utf8_lossy(&buf[1..1 + len]).to_string();
                            if let Some(t) = text
                                .strip_prefix("StreamTitle='")
                                .and_then(|m| m.split("';").next())
                            {
                                let at = match bytes_per_second {
                                    Some(rate) => audio_bytes as f64 / rate,
                                    None => pcm.lock().unwrap().len() as f64 / RATE as f64,
                                };
                                titles.lock().unwrap().push((at, t.to_string()));
                            }
                        }
                        buf.drain(..1 + len);
                        until_meta = metaint;
                    }
                    match s.read(&mut tmp) {
                        Ok(n) if n > 0 => buf.extend_from_slice(&tmp[..n]),
                        _ => return,
                    }
                }
            })
        };
        Listener {
            pcm,
            titles,
            ffmpeg,
            stop,
            reader: Some(reader),
        }
    }

    /// Seconds of audio decoded so far.
    fn seconds(&self) -> f64 {
        self.pcm.lock().unwrap().len() as f64 / RATE as f64
    }

    /// Waits until `seconds` of audio are decoded (bounded: real time plus slack).
    fn wait_seconds(&mut self, seconds: f64) {
        let limit = Duration::from_secs_f64(seconds + 20.0);
        wait_until(&format!("{seconds} s of decoded audio"), limit, || {
            self.ffmpeg.assert_running();
            (self.seconds() >= seconds).then_some(())
        });
    }

    fn pcm(&self) -> Vec<i16> {
        self.pcm.lock().unwrap().clone()
    }

    fn titles(&self) -> Vec<(f64, String)> {
        self.titles.lock().unwrap().clone()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.reader.take();
    }
}

/// Stretches longer than 50 ms where the audio is silent (RMS under −60 dBFS in every
/// 10 ms window), as (start s, length ms), between `from` and `to` seconds.
fn gaps(pcm: &[i16], from: f64, to: f64) -> Vec<(f64, usize)> {
    let w = RATE / 100;
    let (a, b) = (
        (from * RATE as f64) as usize,
        ((to * RATE as f64) as usize).min(pcm.len()),
    );
    let mut out = Vec::new();
    let mut run = 0;
    let mut i = a;
    while i + w <= b {
        let rms = (pcm[i..i + w]
            .iter()
            .map(|&x| (x as f64).powi(2))
            .sum::<f64>()
            / w as f64)
            .sqrt();
        if rms < 32.8 {
            run += 1;
        } else {
            if run > 5 {
                out.push(((i - run * w) as f64 / RATE as f64, run * 10));
            }
            run = 0;
        }
        i += w;
    }
    if run > 5 {
        out.push(((i - run * w) as f64 / RATE as f64, run * 10));
    }
    out
}

/// The power of `freq` in `x` (Goertzel), relative to the window's total power.
fn tone_share(x: &[i16], freq: f64) -> f64 {
    let k = 2.0 * (2.0 * std::f64::consts::PI * freq / RATE as f64).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut total = 0.0;
    for &v in x {
        let v = v as f64;
        total += v * v;
        let s0 = v + k * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let p = s1 * s1 + s2 * s2 - k * s1 * s2;
    if total == 0.0 {
        0.0
    } else {
        2.0 * p / (x.len() as f64 * total)
    }
}

/// The first 100 ms window after `from` s where `freq` carries most of the power.
fn first_tone(pcm: &[i16], from: f64, freq: f64) -> Option<f64> {
    let w = RATE / 10;
    let mut i = (from * RATE as f64) as usize;
    while i + w <= pcm.len() {
        if tone_share(&pcm[i..i + w], freq) > 0.5 {
            return Some(i as f64 / RATE as f64);
        }
        i += w / 2;
    }
    None
}

/// The strongest of `freqs` in the 100 ms window at `at` s.
fn strongest(pcm: &[i16], at: f64, freqs: &[f64]) -> f64 {
    let i = (at * RATE as f64) as usize;
    let x = &pcm[i..(i + RATE / 10).min(pcm.len())];
    freqs
        .iter()
        .copied()
        .max_by(|a, b| tone_share(x, *a).total_cmp(&tone_share(x, *b)))
        .expect("candidates")
}

/// Four 10-second tracks (220, 277, 330, 392 Hz) in `dir/music`.
fn music(dir: &TempDir) -> PathBuf {
    let m = dir.path().join("music");
    std::fs::create_dir_all(&m).expect("creating music/");
    for f in [220, 277, 330, 392] {
        write_tones(&m.join(format!("tone-{f}.wav")), &[(10.0, f as f64)]);
    }
    m
}

#[test]
#[ignore = "needs ffmpeg (run by .ci/run)"]
fn autodj_plays_a_minute_without_a_gap_and_titles_change_with_the_audio() {
    let dir = TempDir::new("st-autodj");
    music(&dir);
    let rp = start_radiopoint(
        &dir,
        "[[station]]\nname = \"rock\"\nmedia = [\"music\"]\ncrossfade = 2.0\n\
         [[station.output]]\nmount = \"/rock.mp3\"\ncodec = \"mp3\"\nbitrate = 128\n\
         [[station.output]]\nmount = \"/rock.opus\"\ncodec = \"opus\"\nbitrate = 96\n",
    );
    let mut events = Events::open(rp.port, "rock");
    events.wait("a track on air", ARRIVE, |v| !v["track"].is_null());
    let mut mp3 = Listener::start(&dir, "listener-mp3", rp.port, "/rock.mp3", "mp3");
    let mut ogg = Listener::start(&dir, "listener-opus", rp.port, "/rock.opus", "ogg");
    mp3.wait_seconds(60.0);
    ogg.wait_seconds(20.0);
    let pcm = mp3.pcm();
    let g = gaps(&pcm, 0.5, 60.0);
    assert!(
        g.is_empty(),
        "gaps over 50 ms in the MP3 listener's audio: {g:?}"
    );
    let g = gaps(&ogg.pcm(), 0.5, 20.0);
    assert!(
        g.is_empty(),
        "gaps over 50 ms in the Opus listener's audio: {g:?}"
    );
    // Every title change comes with its track's tone.
    let titles = mp3.titles();
    let changes: Vec<&(f64, String)> = titles
        .iter()
        .filter(|(_, t)| t.starts_with("tone-"))
        .collect();
    assert!(changes.len() >= 5, "titles over a minute: {titles:?}");
    let decoded = pcm.len() as f64 / RATE as f64;
    for (at, title) in changes.iter().skip(1).filter(|(at, _)| at + 1.6 < decoded) {
        let freq: f64 = title
            .trim_start_matches("tone-")
            .parse()
            .expect("a frequency");
        // The new track fades in under the old one (2 s); a second later it dominates.
        let heard = strongest(&pcm, at + 1.5, &[220.0, 277.0, 330.0, 392.0]);
        assert_eq!(
            heard, freq,
            "title {title:?} at {at:.1} s but {heard} Hz heard"
        );
    }
    // Now-playing agrees with what listeners got last.
    let np = get_json(rp.port, "/api/nowplaying/rock");
    assert_eq!(np["on_air"], "autodj");
    assert_eq!(np["track"]["duration"].as_f64().map(f64::round), Some(10.0));
    assert_eq!(np["listeners"]["total"], 2, "{np}");
    // status-json lists the station's mounts with their titles.
    let status = status_json(rp.port).expect("status-json");
    let src = source_of(&status, "/rock.mp3").expect("/rock.mp3 in status-json");
    assert!(
        src["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("tone-")),
        "{src}"
    );
}

#[test]
#[ignore = "needs ffmpeg (run by .ci/run)"]
fn a_dj_goes_on_air_within_a_second_and_silence_hands_back_to_autodj() {
    let dir = TempDir::new("st-live");
    music(&dir);
    // Bob's air time: a calendar served over HTTP, one event tomorrow.
    let tomorrow = Utc::now() + chrono::Duration::days(1);
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:bob-1\r\nDTSTART:{}\r\nDURATION:PT1H\r\nSUMMARY:Bob\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        tomorrow.format("%Y%m%dT%H%M%SZ")
    );
    let cal_port = serve_text(ics, "text/calendar");
    let sc_port = free_port();
    let rp = start_radiopoint(
        &dir,
        &format!(
            "[[station]]\nname = \"rock\"\nmedia = [\"music\"]\nsilence_timeout = 3.0\ntransition = 1.0\n\
             [[station.output]]\nmount = \"/rock.mp3\"\n\
             [station.live]\nmount = \"/rock-live\"\nentry_grace = 0\nrecord = \"sets\"\nshoutcast_port = {sc_port}\n\
             [[station.dj]]\nuser = \"alice\"\npassword = \"secret\"\n\
             [[station.dj]]\nuser = \"bob\"\npassword = \"pw\"\ncalendar = \"http://127.0.0.1:{cal_port}/bob.ics\"\n"
        ),
    );
    let mut events = Events::open(rp.port, "rock");
    events.wait("AutoDJ on air", ARRIVE, |v| v["on_air"] == "autodj");
    // Refusals say why.
    let refuse = |user: &str, pass: &str| {
        let mut s = connect(rp.port).unwrap();
        s.write_all(
            format!(
                "PUT /rock-live HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\nContent-Type: audio/mpeg\r\n\r\n",
                base64(format!("{user}:{pass}").as_bytes())
            )
            .as_bytes(),
        )
        .unwrap();
        let mut out = String::new();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.read_to_string(&mut out);
        out
    };
    let wrong = refuse("alice", "nope");
    assert!(
        wrong.starts_with("HTTP/1.1 401") || wrong.starts_with("HTTP/1.0 401"),
        "{wrong}"
    );
    assert!(wrong.contains("wrong user name or password"), "{wrong}");
    // Bob's calendar is read in the background; until then, and outside his window, 403.
    let outside = wait_until("bob's calendar read", READY, || {
        let r = refuse("bob", "pw");
        r.contains("next window opens").then_some(r)
    });
    assert!(outside.contains(" 403 "), "{outside}");
    assert!(
        outside.contains(&tomorrow.format("%Y-%m-%dT%H:%M").to_string()),
        "{outside}"
    );
    let mut listener = Listener::start(&dir, "listener", rp.port, "/rock.mp3", "mp3");
    listener.wait_seconds(4.0);
    // Alice: 880 Hz for 6 s, then silence.
    let dj_started = Utc::now();
    let heard_from = listener.seconds();
    let mut dj = Command::new(require("ffmpeg"));
    dj.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-re"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=880:sample_rate=44100:duration=6,apad=pad_dur=14",
        ])
        .args(["-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k"])
        .args(["-content_type", "audio/mpeg", "-f", "mp3"])
        .arg(format!(
            "icecast://alice:secret@127.0.0.1:{}/rock-live",
            rp.port
        ));
    let dj = Proc::spawn("ffmpeg-dj", &dir, &mut dj);
    let live = events.wait("the DJ on air", ARRIVE, |v| v["on_air"] == "live");
    assert_eq!(live["live"]["username"], "alice", "{live}");
    let on = time_of(&transition_to(&live, "live").expect("a transition to live")["at"]);
    // `on` is when listeners hear the switch; the Harbor made it LEAD earlier.
    let delay = (on - LEAD - dj_started).num_milliseconds();
    eprintln!("the DJ took the air {delay} ms after ffmpeg started");
    assert!(
        delay < 1000,
        "the DJ took the air {delay} ms after connecting"
    );
    // Their title update reaches listeners.
    let r = http_get(
        rp.port,
        "/admin/metadata?mount=/rock-live&mode=updinfo&song=Alice%20-%20Night%20Set",
        Some(("alice", "secret")),
    )
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.head);
    // Silence for 3 s → AutoDJ, with a fade.
    let back = events.wait("AutoDJ back", Duration::from_secs(30), |v| {
        v["on_air"] == "autodj" && transition_to(v, "autodj").is_some_and(|t| t["from"] == "live")
    });
    let t = transition_to(&back, "autodj").unwrap();
    assert!(
        t["reason"].as_str().unwrap_or("").contains("silence"),
        "{t}"
    );
    let off = time_of(&t["at"]);
    let live_for = (off - on).num_milliseconds();
    assert!(
        (8_500..=10_500).contains(&live_for),
        "6 s of tone then 3 s of silence, but the DJ was on for {live_for} ms"
    );
    listener.wait_seconds(heard_from + (off - dj_started).num_milliseconds() as f64 / 1000.0 + 3.0);
    let pcm = listener.pcm();
    let tone = first_tone(&pcm, heard_from, 880.0).expect("the DJ's 880 Hz tone heard");
    let titles = listener.titles();
    assert!(
        titles.iter().any(|(_, t)| t == "Alice - Night Set"),
        "the DJ's title reached listeners: {titles:?}"
    );
    // No gap through the switches: AutoDJ → DJ, and (after the DJ's own silence) back.
    let g = gaps(&pcm, 0.5, tone + 5.0);
    assert!(
        g.is_empty(),
        "gaps before and through the switch to the DJ: {g:?}"
    );
    // Alice leaves.
    drop(dj);
    events.wait("the DJ gone", ARRIVE, |v| v["live"].is_null());
    // The set was recorded as sent: 6 s of tone and 3+ s of silence at 128 kbit/s.
    let sets: Vec<_> = std::fs::read_dir(dir.path().join("sets"))
        .expect("the recordings folder")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sets.len(), 1, "{sets:?}");
    let name = sets[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("rock-alice-") && name.ends_with(".mp3"),
        "{name}"
    );
    let size = std::fs::metadata(&sets[0]).unwrap().len();
    assert!(size > 140_000, "{name}: {size} bytes");
    // Shoutcast v1 DJs log in on the station's own port with "user:password".
    let shoutcast = |password: &str| {
        let mut s = connect(sc_port).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(format!("{password}\r\n").as_bytes()).unwrap();
        let mut reply = [0u8; 256];
        let n = s.read(&mut reply).unwrap_or(0);
        String::from_utf8_lossy(&reply[..n]).to_string()
    };
    let refused = shoutcast("alice:nope");
    assert!(
        refused.contains("wrong user name or password"),
        "{refused:?}"
    );
    let accepted = shoutcast("alice:secret");
    assert!(accepted.starts_with("OK2"), "{accepted:?}");
}

/// Serves `body` to every request on a port of its own (a calendar host); returns the port.
fn serve_text(body: String, content_type: &'static str) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    port
}

#[test]
#[ignore = "needs ffmpeg (run by .ci/run)"]
fn a_show_starts_on_time_and_a_restart_rejoins_it_at_its_offset() {
    let dir = TempDir::new("st-show");
    music(&dir);
    let shows = dir.path().join("shows");
    std::fs::create_dir_all(&shows).unwrap();
    // Second k of the show is a tone of 500 + 25k Hz: what is heard tells the offset.
    let steps: Vec<(f64, f64)> = (0..16).map(|k| (1.0, 500.0 + 25.0 * k as f64)).collect();
    write_tones(&shows.join("friday.wav"), &steps);
    let start = Utc::now() + chrono::Duration::seconds(8);
    let missing_at = Utc::now() + chrono::Duration::seconds(4);
    let config = format!(
        "[[station]]\nname = \"rock\"\nmedia = [\"music\"]\n\
         [[station.output]]\nmount = \"/rock.mp3\"\n\
         [[station.show]]\nfile = \"shows/missing.mp3\"\ntitle = \"Lost\"\nat = \"{}\"\n\
         [[station.show]]\nfile = \"shows/friday.wav\"\ntitle = \"Friday\"\nat = \"{}\"\n",
        missing_at.to_rfc3339(),
        start.to_rfc3339()
    );
    let first = start_radiopoint(&dir, &config);
    let mut events = Events::open(first.port, "rock");
    let on = events.wait("the show on air", Duration::from_secs(30), |v| {
        v["on_air"] == "show"
    });
    let at = time_of(&transition_to(&on, "show").unwrap()["at"]);
    let late = (at - start).num_milliseconds();
    assert!(
        (0..=20).contains(&late),
        "the show started {late} ms after its time"
    );
    assert_eq!(on["track"]["title"], "Friday", "{on}");
    let lost = &on["shows"]["recent"];
    assert!(
        lost.as_array()
            .is_some_and(|a| a.iter().any(|s| s["title"] == "Lost"
                && s["status"] == "failed"
                && s["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("missing.mp3")))),
        "the missing show is reported failed with the reason: {lost}"
    );
    // Killed in the middle of the show; restarted, it joins the show where it would be.
    wait_until("6 s into the show", Duration::from_secs(20), || {
        (Utc::now() > start + chrono::Duration::seconds(6)).then_some(())
    });
    drop(events);
    drop(first);
    let second = start_radiopoint(&dir, &config);
    let mut events = Events::open(second.port, "rock");
    let mut listener = Listener::start(&dir, "listener", second.port, "/rock.mp3", "mp3");
    let on = events.wait("the show rejoined", ARRIVE, |v| v["on_air"] == "show");
    let joined = time_of(&transition_to(&on, "show").unwrap()["at"]);
    let offset = (joined - start).num_milliseconds() as f64 / 1000.0;
    assert!((6.0..12.0).contains(&offset), "rejoined {offset} s in");
    listener.wait_seconds(3.0);
    let pcm = listener.pcm();
    let candidates: Vec<f64> = (0..16).map(|k| 500.0 + 25.0 * k as f64).collect();
    // The listener's first audio is the show at its offset (within the burst's slack).
    let heard = strongest(&pcm, 0.6, &candidates);
    let k = (heard - 500.0) / 25.0;
    let expected = offset - 2.0 + 0.6;
    assert!(
        (k - expected).abs() <= 1.5,
        "heard second {k} of the show first; expected about {expected:.1}"
    );
    let done = events.wait("the show played to its end", Duration::from_secs(30), |v| {
        v["shows"]["recent"].as_array().is_some_and(|a| {
            a.iter()
                .any(|s| s["title"] == "Friday" && s["status"] == "played")
        })
    });
    assert_eq!(done["on_air"], "autodj", "{done}");
}

#[test]
#[ignore = "needs ffmpeg and icecast2 (run by .ci/run)"]
fn upstream_push_reaches_icecast2_and_losing_it_disturbs_no_listener() {
    let dir = TempDir::new("st-upstream");
    music(&dir);
    let ice = start_icecast(&dir, "");
    let rp = start_radiopoint(
        &dir,
        &format!(
            "[[station]]\nname = \"rock\"\nmedia = [\"music\"]\n\
             [[station.output]]\nmount = \"/rock.mp3\"\n\
             [[station.upstream]]\nurl = \"http://source:hackme@127.0.0.1:{}/pushed.mp3\"\ncodec = \"mp3\"\nbitrate = 128\n\
             [[station.upstream]]\nurl = \"http://source:hackme@127.0.0.1:{}/nowhere.mp3\"\n",
            ice.port,
            free_port()
        ),
    );
    let mut listener = Listener::start(&dir, "listener", rp.port, "/rock.mp3", "mp3");
    // icecast2 has the pushed mount, and ffmpeg decodes it there.
    wait_mount(ice.port, "/pushed.mp3", &mut [], ARRIVE);
    let out = run_bounded(
        Command::new(require("ffmpeg"))
            .args(["-nostdin", "-hide_banner", "-loglevel", "error"])
            .args(["-i", &ice.url("/pushed.mp3"), "-t", "5", "-f", "null", "-"]),
        PEER_RUN,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "decode errors: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let np = get_json(rp.port, "/api/nowplaying/rock");
    let ups: Vec<&Value> = np["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "upstream")
        .collect();
    assert_eq!(ups.len(), 2, "{np}");
    assert!(
        !np.to_string().contains("hackme"),
        "credentials never shown: {np}"
    );
    // Kill icecast2: the local listener goes on without a gap.
    let before = listener.seconds();
    drop(ice);
    listener.wait_seconds(before + 8.0);
    let g = gaps(&listener.pcm(), 0.5, before + 8.0);
    assert!(g.is_empty(), "gaps after the upstream died: {g:?}");
    let np = get_json(rp.port, "/api/nowplaying/rock");
    assert_eq!(np["on_air"], "autodj");
}

#[test]
#[ignore = "needs chromium (run by .ci/run)"]
fn the_opus_output_plays_in_chromium_past_title_changes() {
    let dir = TempDir::new("st-chromium");
    let m = dir.path().join("music");
    std::fs::create_dir_all(&m).unwrap();
    for f in [300, 400, 500] {
        write_tones(&m.join(format!("short-{f}.wav")), &[(6.0, f as f64)]);
    }
    let rp = start_radiopoint(
        &dir,
        "[[station]]\nname = \"web\"\nmedia = [\"music\"]\ncrossfade = 1.0\n\
         [[station.output]]\nmount = \"/web.opus\"\ncodec = \"opus\"\nbitrate = 96\n",
    );
    let mut events = Events::open(rp.port, "web");
    events.wait("a track on air", ARRIVE, |v| !v["track"].is_null());
    // A page that plays the stream and reports its progress to a server of the test's own.
    let page = TcpListener::bind("127.0.0.1:0").unwrap();
    let page_port = page.local_addr().unwrap().port();
    let html = format!(
        "<!doctype html><audio id=a src=\"http://127.0.0.1:{}/web.opus\" autoplay></audio><script>\
         const a=document.getElementById('a');let e=[];\
         a.onerror=()=>e.push('error'+(a.error&&a.error.code));a.onended=()=>e.push('ended');\
         a.play().catch(x=>e.push('play:'+x));\
         setInterval(()=>fetch('/report?t='+a.currentTime.toFixed(2)+'&e='+e.join(',')),1000);\
         </script>",
        rp.port
    );
    let reports = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let reports = reports.clone();
        std::thread::spawn(move || {
            for s in page.incoming() {
                let Ok(mut s) = s else { return };
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                if path.starts_with("/report") {
                    reports.lock().unwrap().push(path.clone());
                }
                let body = if path == "/" {
                    html.clone()
                } else {
                    String::new()
                };
                let _ = s.write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            }
        });
    }
    let profile = dir.path().join("chromium-profile");
    let mut chromium = Proc::spawn(
        "chromium",
        &dir,
        Command::new(require("chromium"))
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .args(["--autoplay-policy=no-user-gesture-required", "--mute-audio"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("http://127.0.0.1:{page_port}/")),
    );
    // Three title changes later (6-second tracks), the player is still playing.
    events.wait("three title changes", Duration::from_secs(40), |v| {
        v["history"].as_array().is_some_and(|h| h.len() >= 4)
    });
    let progress = wait_until("chromium playing 14 s", Duration::from_secs(40), || {
        chromium.assert_running();
        let r = reports.lock().unwrap().clone();
        let last = r.last()?.clone();
        let t: f64 = last.split("t=").nth(1)?.split('&').next()?.parse().ok()?;
        (t >= 14.0).then_some(r)
    });
    let errors: Vec<&String> = progress.iter().filter(|r| !r.ends_with("&e=")).collect();
    assert!(errors.is_empty(), "the player reported: {errors:?}");
}

#[test]
#[ignore = "needs liquidsoap (run by .ci/run)"]
fn liquidsoap_goes_live_as_a_dj_of_the_station() {
    let liquidsoap = require("liquidsoap");
    let dir = TempDir::new("st-liquidsoap");
    music(&dir);
    let rp = start_radiopoint(
        &dir,
        "[[station]]\nname = \"rock\"\nmedia = [\"music\"]\n\
         [[station.output]]\nmount = \"/rock.mp3\"\n\
         [station.live]\nmount = \"/rock-live\"\n\
         [[station.dj]]\nuser = \"alice\"\npassword = \"secret\"\n",
    );
    let mut events = Events::open(rp.port, "rock");
    events.wait("AutoDJ on air", ARRIVE, |v| v["on_air"] == "autodj");
    // Liquidsoap 2.x as a DJ's software: an Icecast 2 source with the DJ's credentials.
    let script = dir.path().join("dj.liq");
    std::fs::write(
        &script,
        format!(
            "settings.init.allow_root.set(true)\n\
             settings.log.stdout.set(true)\n\
             settings.log.file.set(false)\n\
             output.icecast(%mp3(bitrate=128), host=\"127.0.0.1\", port={}, user=\"alice\", \
             password=\"secret\", mount=\"/rock-live\", sine(880.))\n",
            rp.port
        ),
    )
    .unwrap();
    let _ls = Proc::spawn("liquidsoap", &dir, Command::new(liquidsoap).arg(&script));
    // liquidsoap type-checks its library for 10-15 s before it connects.
    let live = events.wait("liquidsoap on air", Duration::from_secs(90), |v| {
        v["on_air"] == "live"
    });
    assert_eq!(live["live"]["username"], "alice", "{live}");
    // Her title follows with her first audio (the live input's play-out buffer: 100 ms).
    let titled = events.wait("the DJ's title", ARRIVE, |v| {
        v["track"]["title"] == "alice live"
    });
    assert_eq!(titled["track"]["input"], "live", "{titled}");
}
