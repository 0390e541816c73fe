//! The platform with real peers: the web interface in Debian's headless Chromium, driven
//! over the DevTools protocol (a WebSocket; the few commands used are below), and imports
//! of web pages through yt-dlp. `#[ignore]`d: `.ci/run` installs chromium, ffmpeg and
//! yt-dlp and runs `cargo test -p radio-bin --test ui -- --ignored`. A missing peer fails.

mod peers;
use peers::*;

use serde_json::{Value, json};
use std::net::TcpStream;
use tungstenite::stream::MaybeTlsStream;

/// A headless Chromium and the WebSocket of its one page.
struct Browser {
    _proc: Proc,
    ws: tungstenite::WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
}

impl Browser {
    fn launch(dir: &TempDir) -> Browser {
        let profile = dir.path().join("chromium-profile");
        let mut proc = Proc::spawn(
            "chromium",
            dir,
            Command::new(require("chromium"))
                .args([
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                ])
                .args(["--remote-debugging-port=0", "--window-size=412,915"])
                .arg(format!("--user-data-dir={}", profile.display()))
                .arg("about:blank"),
        );
        // Chromium writes the port it took into its profile once it listens.
        let port: u16 = wait_until("chromium's DevTools port", Duration::from_secs(30), || {
            proc.assert_running();
            std::fs::read_to_string(profile.join("DevToolsActivePort"))
                .ok()
                .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
        });
        let url = wait_until("chromium's page target", Duration::from_secs(30), || {
            let list: Value = serde_json::from_slice(&devtools_get(port, "/json/list")?).ok()?;
            list.as_array()?
                .iter()
                .find(|t| t["type"] == "page")
                .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_string))
        });
        let (ws, _) = tungstenite::connect(url.as_str()).expect("connecting to chromium");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        }
        Browser {
            _proc: proc,
            ws,
            next: 0,
        }
    }

    /// One DevTools command; its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws
            .send(tungstenite::Message::text(msg))
            .expect("sending to chromium");
        loop {
            let m = self.ws.read().expect("reading from chromium");
            let Ok(text) = m.to_text() else { continue };
            let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if v["id"] == id {
                assert!(v["error"].is_null(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
        }
    }

    /// Runs `js` in the page (awaiting a promise); its value.
    fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
        );
        if !r["exceptionDetails"].is_null() {
            panic!("in the page: {js}: {}", r["exceptionDetails"]);
        }
        r["result"]["value"].clone()
    }

    /// Waits (bounded) until `js` is true in the page; `what` names it in the failure.
    fn wait(&mut self, what: &str, js: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            // A page being replaced may not have the element yet: that is a "not yet".
            let probe =
                format!("(() => {{ try {{ return !!({js}); }} catch (_) {{ return false; }} }})()");
            if self.eval(&probe) == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                let body = self.eval("document.body ? document.body.innerText : ''");
                panic!(
                    "{what}: not after {timeout:?}; the page says:\n{}",
                    body.as_str().unwrap_or("")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Opens `url` and waits until the new page has loaded.
    fn goto(&mut self, url: &str) {
        self.eval("window.__old = true");
        self.call("Page.navigate", json!({"url": url}));
        self.wait(
            url,
            "window.__old === undefined && document.readyState === 'complete'",
            Duration::from_secs(30),
        );
    }

    /// Puts files into the file input at `selector`.
    fn set_files(&mut self, selector: &str, files: &[&Path]) {
        let root = self.call("DOM.getDocument", json!({"depth": 0}));
        let node = self.call(
            "DOM.querySelector",
            json!({"nodeId": root["root"]["nodeId"], "selector": selector}),
        );
        let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        self.call(
            "DOM.setFileInputFiles",
            json!({"nodeId": node["nodeId"], "files": files}),
        );
    }

    /// Sets form fields (`selector` → value) and submits with the form's button.
    fn fill_and_submit(&mut self, form: &str, fields: &[(&str, &str)]) {
        let mut js = format!(
            "(() => {{ const f = document.querySelector({});",
            json!(form)
        );
        for (name, value) in fields {
            js.push_str(&format!(
                "{{ const e = f.querySelector('[name=\"{name}\"]'); e.value = {}; }}",
                json!(value)
            ));
        }
        js.push_str("f.querySelector('[type=submit]').click(); return true; })()");
        assert_eq!(self.eval(&js), Value::Bool(true));
    }
}

/// A GET to Chromium's DevTools HTTP endpoint (it keeps connections open: the body is
/// read by its length).
fn devtools_get(port: u16, path: &str) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())?;
        if buf.len() >= end + 4 + len {
            return Some(buf[end + 4..end + 4 + len].to_vec());
        }
    }
}

/// A WAV of `seconds` of a tone, 48 kHz stereo.
fn write_wav(path: &Path, seconds: f64) {
    let samples: Vec<f32> = (0..(seconds * 48_000.0) as usize)
        .flat_map(|i| {
            let s =
                (0.25 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 48_000.0).sin()) as f32;
            [s, s]
        })
        .collect();
    std::fs::write(path, radio_core::wav::wav16(48_000, 2, &samples)).unwrap();
}

#[test]
#[ignore = "needs chromium and ffmpeg (run by .ci/run)"]
fn an_owner_logs_in_uploads_schedules_and_watches_a_dj_go_live_on_the_dashboard() {
    let dir = TempDir::new("ui-browser");
    let rp = start_radiopoint(&dir, "");
    let base = format!("http://127.0.0.1:{}", rp.port);
    let mut b = Browser::launch(&dir);
    let long = Duration::from_secs(60);

    // Not logged in: the login page, then back where we were going.
    b.goto(&format!("{base}/ui/"));
    b.wait("the login page", "location.pathname === '/ui/login'", long);
    b.fill_and_submit("#login", &[("username", "admin"), ("password", "hackme")]);
    b.wait(
        "the stations page",
        "location.pathname === '/ui/' && document.body.innerText.includes('New station')",
        long,
    );

    // A station made in the page starts at once; its dashboard opens.
    b.fill_and_submit(
        "form[data-api='POST /api/stations']",
        &[
            ("name", "web"),
            ("display_name", "Web FM"),
            ("output.0.mount", "/web.mp3"),
            ("live.mount", "/web-live"),
        ],
    );
    b.wait(
        "the new station's dashboard",
        "location.pathname === '/ui/stations/web'",
        long,
    );
    b.wait(
        "the dashboard filled from the event stream",
        "document.getElementById('on-air').textContent !== '…'",
        long,
    );

    // Upload a generated track; the page shows it once indexed.
    let wav = dir.path().join("Browser Artist - Browser Song.wav");
    write_wav(&wav, 4.0);
    b.goto(&format!("{base}/ui/stations/web/media"));
    b.set_files("form[data-upload] input[type=file]", &[&wav]);
    assert_eq!(
        b.eval("document.querySelector('form[data-upload] [type=submit]').click(); true"),
        Value::Bool(true)
    );
    b.wait(
        "the uploaded track, indexed",
        "[...document.querySelectorAll('#tracks tbody tr')].some(r => r.innerText.includes('Browser Song') && r.querySelector('.status').innerText.trim() === 'ok')",
        long,
    );
    let duration = b.eval("[...document.querySelectorAll('#tracks tbody tr')].find(r => r.innerText.includes('Browser Song')).children[3].innerText");
    assert_eq!(duration, "0:04");
    // Its tags edited in place (written into the file, read back by the indexer).
    let row = "[...document.querySelectorAll('#tracks tbody tr:not(.edit)')].find(r => r.innerText.includes('Browser Song'))";
    b.eval(&format!("{row}.querySelector('[data-toggle]').click()"));
    b.wait(
        "the tag form",
        &format!(
            "!document.querySelector({row}.querySelector('[data-toggle]').dataset.toggle).hidden"
        ),
        long,
    );
    b.eval(&format!(
        "(() => {{ const f = document.querySelector({row}.querySelector('[data-toggle]').dataset.toggle + ' form'); \
         f.querySelector('[name=title]').value = 'Renamed Song'; f.querySelector('[name=album]').value = 'Live Album'; \
         f.querySelector('[type=submit]').click(); return true; }})()"
    ));
    b.wait(
        "the new tags in the list",
        "[...document.querySelectorAll('#tracks tbody tr:not(.edit)')].some(r => r.innerText.includes('Renamed Song') && r.innerText.includes('Live Album'))",
        long,
    );

    // A playlist, then the track ticked into it on the library page (one request for all
    // ticked tracks); the playlist page lists it.
    b.goto(&format!("{base}/ui/stations/web/playlists"));
    b.fill_and_submit(
        "form[data-api='POST /api/stations/web/playlists']",
        &[("name", "Browser List")],
    );
    b.wait(
        "the new playlist",
        "document.querySelector('details summary') && document.querySelector('details summary').innerText.includes('Browser List')",
        long,
    );
    b.goto(&format!("{base}/ui/stations/web/media"));
    b.wait("the bulk form", "!!document.querySelector('#bulk')", long);
    b.eval("window.marker = 7");
    b.eval(
        "[...document.querySelectorAll('#tracks tbody tr:not(.edit)')].find(r => r.innerText.includes('Renamed Song'))\
         .querySelector('input[name=\"add[]\"]').click(); \
         document.querySelector('#bulk [type=submit]').click(); true",
    );
    b.wait(
        "the library page reloaded after adding",
        "window.marker === undefined && document.readyState === 'complete'",
        long,
    );
    b.goto(&format!("{base}/ui/stations/web/playlists"));
    b.wait(
        "the ticked track in the playlist",
        "document.querySelector('details ol').textContent.includes('Renamed Song')",
        long,
    );

    // Schedule a show of it two days from now: in the list and in the week view.
    b.goto(&format!("{base}/ui/stations/web/schedule"));
    let when = b.eval(
        "(() => { const d = new Date(Date.now() + 2 * 86400e3); d.setSeconds(0, 0); \
         return new Date(d - d.getTimezoneOffset() * 60e3).toISOString().slice(0, 16); })()",
    );
    b.fill_and_submit(
        "form[data-api$='/shows']",
        &[("title", "Evening Show"), ("at", when.as_str().unwrap())],
    );
    b.wait(
        "the show in the list",
        "document.querySelector('#shows').innerText.includes('Evening Show')",
        long,
    );
    b.wait(
        "the show in the week view",
        "document.querySelector('.week').innerText.includes('Evening Show')",
        long,
    );

    // A DJ account, then the dashboard as the DJ connects: updated live, not reloaded.
    b.goto(&format!("{base}/ui/stations/web/djs"));
    b.fill_and_submit(
        "form[data-api$='/djs']",
        &[("user", "alice"), ("password", "alice-pw")],
    );
    b.wait(
        "the DJ listed",
        "document.querySelector('#djs').innerText.includes('alice')",
        long,
    );
    assert!(
        b.eval("document.body.innerText")
            .as_str()
            .unwrap()
            .contains("icecast://USER:PASSWORD@")
    );
    b.goto(&format!("{base}/ui/stations/web"));
    b.wait(
        "nobody live yet",
        "document.getElementById('np-live').textContent === 'nobody'",
        long,
    );
    b.eval("window.marker = 42");
    let _dj = ffmpeg_source(
        &dir,
        "ffmpeg-dj",
        &["-c:a", "libmp3lame", "-b:a", "128k"],
        "audio/mpeg",
        "mp3",
        &format!("icecast://alice:alice-pw@127.0.0.1:{}/web-live", rp.port),
    );
    b.wait(
        "the live DJ on the dashboard, without a reload",
        "window.marker === 42 && document.getElementById('np-live').textContent.startsWith('alice')",
        long,
    );
    b.wait(
        "the DJ on air",
        "window.marker === 42 && document.getElementById('on-air').textContent === 'LIVE: alice'",
        long,
    );
    assert_eq!(
        b.eval("document.getElementById('kick').hidden"),
        Value::Bool(false)
    );
}

/// Serves the files of `root` (any number of GET/HEAD requests) on a port of its own.
fn serve_dir(root: PathBuf) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let mut words = head.split_whitespace();
            let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
            let name = path.trim_start_matches('/').split('?').next().unwrap_or("");
            let reply = match std::fs::read(root.join(if name.is_empty() {
                "index.html"
            } else {
                name
            })) {
                Ok(body) if !name.contains("..") => {
                    let kind = if name.ends_with(".mp3") {
                        "audio/mpeg"
                    } else {
                        "text/html; charset=utf-8"
                    };
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    if method != "HEAD" {
                        r.extend_from_slice(&body);
                    }
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = s.write_all(&reply);
        }
    });
    port
}

/// One JSON request with the session's cookie and CSRF token: status and body.
fn api(
    port: u16,
    method: &str,
    path: &str,
    session: Option<(&str, &str)>,
    body: &Value,
) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let body = body.to_string();
    let auth = session
        .map(|(c, t)| format!("Cookie: {c}\r\nX-CSRF-Token: {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let (head, rest) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let cookie = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .map(str::to_string);
    let mut v: Value = serde_json::from_str(rest).unwrap_or(Value::Null);
    if let (Some(c), Some(o)) = (cookie, v.as_object_mut()) {
        o.insert("cookie".into(), Value::from(c));
    }
    (status, v)
}

#[test]
#[ignore = "needs yt-dlp and ffmpeg (run by .ci/run)"]
fn a_page_with_audio_is_imported_through_yt_dlp() {
    require("yt-dlp");
    let dir = TempDir::new("ui-yt-dlp");
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::create_dir_all(dir.path().join("music")).unwrap();
    let out = run_bounded(
        Command::new(require("ffmpeg"))
            .args([
                "-nostdin",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=3",
            ])
            .args(["-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k"])
            .arg(site.join("tune.mp3")),
        PEER_RUN,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        site.join("index.html"),
        "<!doctype html><html><head><title>Friday Set</title></head><body>\
         <h1>Friday Set</h1><audio controls src=\"tune.mp3\"></audio></body></html>",
    )
    .unwrap();
    let site_port = serve_dir(site);
    let rp = start_radiopoint(
        &dir,
        // The page is on this machine.
        "import_private_addresses = true\n[[station]]\nname = \"web\"\nmedia = [\"music\"]\n[[station.output]]\nmount = \"/web.mp3\"\n",
    );
    let (status, login) = api(
        rp.port,
        "POST",
        "/api/login",
        None,
        &json!({"username": "admin", "password": "hackme"}),
    );
    assert_eq!(status, 200, "{login}");
    let session = (
        login["cookie"].as_str().unwrap(),
        login["csrf"].as_str().unwrap(),
    );
    let page = format!("http://127.0.0.1:{site_port}/index.html");
    let (status, r) = api(
        rp.port,
        "POST",
        "/api/stations/web/media/import",
        Some(session),
        &json!({"url": page}),
    );
    assert_eq!(status, 201, "{r}");
    let name = r["uploaded"][0]["name"].as_str().unwrap().to_string();
    assert!(
        name.starts_with("Friday Set") && name.ends_with(".mp3"),
        "{name}"
    );
    assert!(dir.path().join("music").join(&name).is_file());
    let track = wait_until("the imported track, indexed", ARRIVE, || {
        let (_, list) = api(
            rp.port,
            "GET",
            "/api/stations/web/media",
            Some(session),
            &Value::Null,
        );
        list.as_array()?
            .iter()
            .find(|t| t["status"] == "ok")
            .cloned()
    });
    let d = track["duration"].as_f64().unwrap();
    assert!((d - 3.0).abs() < 0.1, "{track}");
    // No temporaries of yt-dlp's left in the station's folder.
    let hidden: Vec<_> = std::fs::read_dir(dir.path().join("music"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}
