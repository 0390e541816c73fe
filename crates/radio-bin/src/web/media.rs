//! A station's media files: upload (multipart), import from a URL, tag edits, deletion.
//!
//! Every file lands in the station's first media folder, and nowhere else: its name must
//! be a plain file name (no folder, no `..`, not hidden, an audio extension), it is
//! written to a new hidden file (`O_CREAT|O_EXCL`, which never follows a symlink) and
//! moved to its name with a hard link that fails rather than replace anything there
//! (a file or a symlink). Its first bytes must be those of the format its extension
//! names, and it may not be larger than `[server] max_upload_mb`. The station's watcher
//! then indexes it like any other file.

use super::Web;
use super::auth::Caller;
use super::error::ApiError;
use super::stations::{Access, access, audit};
use axum::Json;
use axum::extract::{Multipart, Path as UrlPath, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// At most this many files in one upload.
const MAX_FILES: usize = 200;

/// A file being received: a hidden temporary in the target folder, removed unless
/// [`Incoming::keep`] gives it its name.
struct Incoming {
    folder: PathBuf,
    tmp: PathBuf,
    file: Option<std::fs::File>,
    written: u64,
    max: u64,
    head: Vec<u8>,
    name: String,
}

impl Incoming {
    /// Checks `name` and opens the temporary.
    fn new(folder: &Path, name: &str, max: u64) -> Result<Incoming, ApiError> {
        check_name(name)?;
        std::fs::create_dir_all(folder).map_err(|e| io_err(folder, e))?;
        let mut token = [0u8; 8];
        getrandom::fill(&mut token).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("random: {e}"))
        })?;
        let tmp = folder.join(format!(".upload-{}.part", hex(&token)));
        // create_new: O_EXCL, so never through a symlink planted at that name.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| io_err(&tmp, e))?;
        Ok(Incoming {
            folder: folder.to_path_buf(),
            tmp,
            file: Some(file),
            written: 0,
            max,
            head: Vec::with_capacity(16),
            name: name.to_string(),
        })
    }

    /// Appends bytes (page-cache writes of a chunk at a time: microseconds).
    fn write(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        self.written += chunk.len() as u64;
        if self.written > self.max {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "{}: larger than the upload limit of {} MiB ([server] max_upload_mb)",
                    self.name,
                    self.max / (1024 * 1024)
                ),
            ));
        }
        let want = 16usize.saturating_sub(self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..want]);
        let file = self.file.as_mut().expect("open until kept");
        file.write_all(chunk).map_err(|e| io_err(&self.tmp, e))
    }

    /// Checks the format and gives the file its name (never replacing anything).
    fn keep(mut self) -> Result<Value, ApiError> {
        let ext = extension(&self.name);
        if !magic_matches(&ext, &self.head) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "{}: the content is not {} audio (its first bytes are not those of the format)",
                    self.name,
                    ext.to_uppercase()
                ),
            ));
        }
        if let Some(f) = self.file.take() {
            f.sync_all().map_err(|e| io_err(&self.tmp, e))?;
        }
        let target = self.folder.join(&self.name);
        // link(2) fails with EEXIST on any existing name, a symlink included.
        std::fs::hard_link(&self.tmp, &target).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                ApiError::conflict(format!(
                    "{}: a file of that name is in the station's folder already",
                    self.name
                ))
            } else {
                io_err(&target, e)
            }
        })?;
        Ok(json!({"name": self.name, "path": target.display().to_string(), "bytes": self.written}))
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn io_err(path: &Path, e: std::io::Error) -> ApiError {
    tracing::warn!("media: {}: {e}", path.display());
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("cannot write the file: {e}"),
    )
}

fn extension(name: &str) -> String {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// A plain, visible file name with an audio extension.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let bad = |why: &str| ApiError::bad_request(format!("file name {name:?}: {why}"));
    if name.is_empty() || name.len() > 200 {
        return Err(bad("must be 1 to 200 bytes long"));
    }
    if name.contains(['/', '\\']) || name == ".." {
        return Err(bad("must be a file name, without folders"));
    }
    if name.starts_with('.') {
        return Err(bad("may not start with a dot"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("has control characters"));
    }
    let ext = extension(name);
    if !radio_store::media::scan::EXTENSIONS.contains(&ext.as_str()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "file name {name:?}: not an audio file (one of .{})",
                radio_store::media::scan::EXTENSIONS.join(", .")
            ),
        ));
    }
    Ok(())
}

/// Whether `head` (the file's first bytes) starts the way files of `ext` start.
fn magic_matches(ext: &str, head: &[u8]) -> bool {
    let at = |i: usize, m: &[u8]| head.len() >= i + m.len() && &head[i..i + m.len()] == m;
    let mpeg_sync = head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0;
    match ext {
        "mp3" => at(0, b"ID3") || mpeg_sync,
        "aac" => at(0, b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xF6 == 0xF0),
        "flac" => at(0, b"fLaC") || at(0, b"ID3"),
        "ogg" | "oga" | "opus" => at(0, b"OggS"),
        "wav" | "wave" => (at(0, b"RIFF") || at(0, b"RF64")) && at(8, b"WAVE"),
        "aiff" | "aif" | "aifc" => at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")),
        "m4a" | "mp4" => at(4, b"ftyp"),
        _ => false,
    }
}

/// The folder uploads of a station go to.
fn upload_folder(a: &Access) -> Result<PathBuf, ApiError> {
    a.running.spec.media.first().cloned().ok_or_else(|| {
        ApiError::conflict("this station has no media folder ([[station]] media) to upload to")
    })
}

/// `POST /api/stations/{station}/media`: one or more multipart parts named `file`.
pub async fn upload(
    State(web): State<Arc<Web>>,
    caller: Caller,
    UrlPath(station): UrlPath<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("media")?;
    let folder = upload_folder(&a)?;
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(format!(
            "upload: {} (send multipart/form-data)",
            e.body_text()
        ))
    })?;
    let mut saved = Vec::new();
    let part_err = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(e.status(), format!("upload: {}", e.body_text()))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(part_err)? {
        if field.name() != Some("file") {
            continue;
        }
        if saved.len() == MAX_FILES {
            return Err(ApiError::bad_request(format!(
                "upload: more than {MAX_FILES} files at once"
            )));
        }
        let name = field
            .file_name()
            .ok_or_else(|| ApiError::bad_request("upload: a part named file has no filename"))?
            .to_string();
        let mut incoming = Incoming::new(&folder, &name, web.max_upload)?;
        while let Some(chunk) = field.chunk().await.map_err(part_err)? {
            incoming.write(chunk.as_ref())?;
        }
        saved.push(incoming.keep()?);
    }
    if saved.is_empty() {
        return Err(ApiError::bad_request(
            "upload: no part named file (send the files as multipart parts named file)",
        ));
    }
    a.running.rescan();
    let names: Vec<&str> = saved.iter().filter_map(|s| s["name"].as_str()).collect();
    audit(
        &web,
        &caller,
        &station,
        "media.upload",
        Some(names.join(", ")),
    )
    .await;
    Ok((StatusCode::CREATED, Json(json!({"uploaded": saved}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    url: String,
}

/// `POST /api/stations/{station}/media/import` `{"url"}`: fetches an HTTP(S) audio file
/// (or, when `yt-dlp` is installed, the audio of a page it understands) into the station's
/// folder, with the upload's checks.
pub async fn import(
    State(web): State<Arc<Web>>,
    caller: Caller,
    UrlPath(station): UrlPath<String>,
    body: Result<Json<ImportBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("media")?;
    let folder = upload_folder(&a)?;
    let Json(body) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let url = body.url.trim().to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::bad_request(format!(
            "url {url:?}: only http:// and https:// addresses can be imported"
        )));
    }
    let max = web.max_upload;
    let private_ok = web.import_private;
    let u = url.clone();
    let saved = tokio::task::spawn_blocking(move || fetch(&u, &folder, max, private_ok)).await??;
    a.running.rescan();
    audit(
        &web,
        &caller,
        &station,
        "media.import",
        Some(format!("{url} → {}", saved["name"].as_str().unwrap_or(""))),
    )
    .await;
    Ok((StatusCode::CREATED, Json(json!({"uploaded": [saved]}))))
}

/// Redirects an import follows.
const MAX_REDIRECTS: usize = 5;

/// Downloads `url` into `folder`, following at most [`MAX_REDIRECTS`] redirects; unless
/// `private_ok`, every address on the way must be a public one. Blocking.
fn fetch(url: &str, folder: &Path, max: u64, private_ok: bool) -> Result<Value, ApiError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(600)))
        .timeout_connect(Some(std::time::Duration::from_secs(15)))
        .http_status_as_error(false)
        // Followed here, so that each hop's address is checked.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into();
    let mut url = url.to_string();
    let mut hops = 0;
    let response = loop {
        if !private_ok {
            check_public(&url)?;
        }
        let response = agent
            .get(&url)
            .call()
            .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, format!("{url}: {e}")))?;
        let status = response.status();
        if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
            break response;
        }
        let Some(location) = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
        else {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("{url}: the server answered {status} without a Location"),
            ));
        };
        hops += 1;
        if hops > MAX_REDIRECTS {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("{url}: more than {MAX_REDIRECTS} redirects"),
            ));
        }
        let next = resolve_location(&url, location);
        if !(next.starts_with("http://") || next.starts_with("https://")) {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("{url}: redirected to {next:?}, not an http:// or https:// address"),
            ));
        }
        url = next;
    };
    let url = url.as_str();
    let status = response.status();
    if !status.is_success() {
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            format!("{url}: the server answered {status}"),
        ));
    }
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if kind.starts_with("text/html") {
        return yt_dlp(url, folder, max);
    }
    let name = name_from_url(url, &kind)?;
    if let Some(len) = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > max
    {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{name}: {len} bytes, larger than the upload limit of {} MiB",
                max / (1024 * 1024)
            ),
        ));
    }
    let mut incoming = Incoming::new(folder, &name, max)?;
    let mut reader = response.into_body().into_reader();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = std::io::Read::read(&mut reader, &mut buf)
            .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, format!("{url}: {e}")))?;
        if n == 0 {
            break;
        }
        incoming.write(&buf[..n])?;
    }
    incoming.keep()
}

/// `location` (a redirect's target) made absolute against `base`.
fn resolve_location(base: &str, location: &str) -> String {
    let location = location.trim();
    if location.contains("://") {
        return location.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{}{rest}", &base[..scheme_end]);
    }
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    if location.starts_with('/') {
        return format!("{}{location}", &base[..path_start]);
    }
    // Relative to the base's folder (its path up to the last '/', before any query).
    let path_end = base[path_start..]
        .find(['?', '#'])
        .map_or(base.len(), |i| path_start + i);
    let folder_end = base[path_start..path_end]
        .rfind('/')
        .map_or(path_start, |i| path_start + i + 1);
    if folder_end == path_start {
        return format!("{}/{location}", &base[..path_start]);
    }
    format!("{}{location}", &base[..folder_end])
}

/// Refuses `url` when its host is, or resolves to, an address that is not public
/// (loopback, private, link-local, shared, unique-local, …): an owner's import must not
/// reach the server's own network (`[server] import_private_addresses` allows it).
fn check_public(url: &str) -> Result<(), ApiError> {
    let uri: axum::http::Uri = url
        .parse()
        .map_err(|e| ApiError::bad_request(format!("url {url:?}: {e}")))?;
    let Some(host) = uri.host() else {
        return Err(ApiError::bad_request(format!("url {url:?}: no host")));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let addrs = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, format!("{url}: {host}: {e}")))?;
    for addr in addrs {
        if !is_public(addr.ip()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "{url}: {host} is {}, not a public address; imports from private \
                     addresses are off ([server] import_private_addresses)",
                    addr.ip()
                ),
            ));
        }
    }
    Ok(())
}

/// Whether `ip` is an address of the public internet (not loopback, private, link-local,
/// shared (CGNAT), benchmarking, documentation, multicast, reserved or unspecified).
fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(v4.into());
            }
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [.., c, d] = s;
                let v4 = std::net::Ipv4Addr::from((u32::from(c) << 16) | u32::from(d));
                return is_public(v4.into());
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || s[..6] == [0, 0, 0, 0, 0, 0])
        }
    }
}

/// The file name an imported URL gets: its last path segment (decoded), with an
/// extension from the content type when it has none.
fn name_from_url(url: &str, kind: &str) -> Result<String, ApiError> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .splitn(4, '/')
        .nth(3)
        .unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    let mut name = percent_decode(last);
    if extension(&name).is_empty()
        || !radio_store::media::scan::EXTENSIONS.contains(&extension(&name).as_str())
    {
        let ext = match kind.split(';').next().unwrap_or("").trim() {
            "audio/mpeg" | "audio/mp3" => "mp3",
            "audio/ogg" | "application/ogg" => "ogg",
            "audio/opus" => "opus",
            "audio/flac" | "audio/x-flac" => "flac",
            "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
            "audio/mp4" | "audio/x-m4a" => "m4a",
            "audio/aac" => "aac",
            other => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("{url}: not an audio file (content type {other:?})"),
                ));
            }
        };
        if name.is_empty() {
            name = "import".into();
        }
        name = format!("{name}.{ext}");
    }
    Ok(name)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hexval = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A page URL: yt-dlp extracts its audio, when it is installed.
fn yt_dlp(url: &str, folder: &Path, max: u64) -> Result<Value, ApiError> {
    let mut token = [0u8; 8];
    getrandom::fill(&mut token)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("random: {e}")))?;
    // Hidden (the indexer skips it) and its own per import.
    let work = folder.join(format!(".import-{}", hex(&token)));
    std::fs::create_dir_all(&work).map_err(|e| io_err(&work, e))?;
    let cleanup = scopeguard(&work);
    let out = std::process::Command::new("yt-dlp")
        .args(["--no-playlist", "--no-progress", "-x", "--max-filesize"])
        .arg(max.to_string())
        .arg("-o")
        .arg(work.join("%(title).150B.%(ext)s"))
        .arg("--")
        .arg(url)
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "{url}: a web page, not an audio file; pages can be imported when yt-dlp is installed"
                ),
            ));
        }
        Err(e) => return Err(io_err(Path::new("yt-dlp"), e)),
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            format!("{url}: yt-dlp failed: {last}"),
        ));
    }
    let file = std::fs::read_dir(&work)
        .map_err(|e| io_err(&work, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| radio_store::media::scan::is_audio(p))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("{url}: yt-dlp wrote no audio file"),
            )
        })?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("import")
        .to_string();
    let mut incoming = Incoming::new(folder, &name, max)?;
    let mut src = std::fs::File::open(&file).map_err(|e| io_err(&file, e))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = std::io::Read::read(&mut src, &mut buf).map_err(|e| io_err(&file, e))?;
        if n == 0 {
            break;
        }
        incoming.write(&buf[..n])?;
    }
    let kept = incoming.keep();
    drop(cleanup);
    kept
}

/// Removes a folder when dropped.
fn scopeguard(dir: &Path) -> impl Drop + use<> {
    struct Rm(PathBuf);
    impl Drop for Rm {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    Rm(dir.to_path_buf())
}

/// The station's track `id`, and its file if it lies inside one of the station's folders.
async fn station_track(
    web: &Web,
    a: &Access,
    station: &str,
    id: i64,
) -> Result<(radio_store::Track, PathBuf), ApiError> {
    let store = web.store.clone();
    let s = station.to_string();
    let track = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let Some(sid) = store.station(&s)? else {
            return Ok(None);
        };
        Ok(store.track(id)?.filter(|t| t.station == sid))
    })
    .await??
    .ok_or_else(|| ApiError::not_found(format!("track {id} of {station}")))?;
    let file = PathBuf::from(&track.path);
    let real = file
        .canonicalize()
        .map_err(|e| ApiError::conflict(format!("track {id}: its file {}: {e}", file.display())))?;
    let spec = &a.running.spec;
    let inside = spec
        .media
        .iter()
        .chain(&spec.jingles)
        .filter_map(|d| d.canonicalize().ok())
        .any(|d| real.starts_with(d));
    if !inside {
        return Err(ApiError::conflict(format!(
            "track {id}: its file is not inside the station's folders"
        )));
    }
    Ok((track, real))
}

/// `DELETE /api/stations/{station}/media/{id}`: removes the file and forgets the track.
pub async fn delete(
    State(web): State<Arc<Web>>,
    caller: Caller,
    UrlPath((station, id)): UrlPath<(String, i64)>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("media")?;
    let (track, file) = station_track(&web, &a, &station, id).await?;
    tokio::fs::remove_file(&file)
        .await
        .map_err(|e| io_err(&file, e))?;
    let store = web.store.clone();
    tokio::task::spawn_blocking(move || store.delete_track(track.station, id)).await??;
    a.running.rescan();
    audit(
        &web,
        &caller,
        &station,
        "media.delete",
        Some(format!("{id}: {}", track.path)),
    )
    .await;
    Ok(Json(json!({"deleted": id, "path": track.path})))
}

/// `PATCH /api/stations/{station}/media/{id}`: `{"title", "artist", "album", "genre",
/// "year"}` written into the file's tags (so they go with the file and survive a rescan).
pub async fn edit(
    State(web): State<Arc<Web>>,
    caller: Caller,
    UrlPath((station, id)): UrlPath<(String, i64)>,
    body: Result<Json<radio_store::media::tags::TagEdit>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("media")?;
    let Json(edit) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let (_, file) = station_track(&web, &a, &station, id).await?;
    let e = edit.clone();
    tokio::task::spawn_blocking(move || radio_store::media::tags::write(&file, &e))
        .await?
        .map_err(|m| ApiError::conflict(format!("track {id}: {m}")))?;
    a.running.rescan();
    audit(
        &web,
        &caller,
        &station,
        "media.edit",
        Some(format!("{id}: {edit:?}")),
    )
    .await;
    Ok(Json(json!({"edited": id})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "64:ff9b::101:101",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn redirect_targets_are_made_absolute() {
        let base = "http://a.example:8080/music/list/song.mp3?x=1";
        for (location, want) in [
            ("https://b.example/x.mp3", "https://b.example/x.mp3"),
            ("//c.example/y.mp3", "http://c.example/y.mp3"),
            ("/top.mp3", "http://a.example:8080/top.mp3"),
            ("other.mp3", "http://a.example:8080/music/list/other.mp3"),
            ("../up.mp3", "http://a.example:8080/music/list/../up.mp3"),
        ] {
            assert_eq!(resolve_location(base, location), want, "{location}");
        }
        assert_eq!(
            resolve_location("http://a.example", "x.mp3"),
            "http://a.example/x.mp3"
        );
    }

    #[test]
    fn names_outside_the_folder_are_refused() {
        for bad in [
            "../evil.mp3",
            "..",
            "a/b.mp3",
            "a\\b.mp3",
            ".hidden.mp3",
            "x\n.mp3",
            "",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            check_name("song.exe").unwrap_err().status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        check_name("Artist - Song (live).mp3").unwrap();
    }

    #[test]
    fn content_must_match_the_extension() {
        assert!(magic_matches("mp3", b"ID3\x04\0\0\0\0\0\0"));
        assert!(magic_matches("mp3", &[0xFF, 0xFB, 0x90, 0x64]));
        assert!(!magic_matches("mp3", b"<html><body>"));
        assert!(magic_matches("wav", b"RIFF\x24\0\0\0WAVEfmt "));
        assert!(!magic_matches("wav", b"OggS\0\x02\0\0\0\0\0\0"));
        assert!(magic_matches("opus", b"OggS\0\x02\0\0\0\0\0\0"));
        assert!(magic_matches("m4a", b"\0\0\0\x20ftypM4A "));
    }

    #[test]
    fn import_names_come_from_the_url_or_the_type() {
        assert_eq!(
            name_from_url("http://h/a/My%20Song.mp3?x=1", "audio/mpeg").unwrap(),
            "My Song.mp3"
        );
        assert_eq!(
            name_from_url("http://h/stream", "audio/ogg").unwrap(),
            "stream.ogg"
        );
        assert!(name_from_url("http://h/x", "application/pdf").is_err());
    }
}
