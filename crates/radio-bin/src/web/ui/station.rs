//! `/ui/stations/{station}/...`: a station's pages, by the caller's permissions.

use super::{Page, UiError, csrf_field, fmt_time, layout};
use crate::web::Web;
use crate::web::error::ApiError;
use crate::web::stations::{Access, PERMISSIONS, access};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use maud::{Markup, html};
use serde_json::Value;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/ui/stations/{station}", get(dashboard))
        .route("/ui/stations/{station}/media", get(media))
        .route("/ui/stations/{station}/playlists", get(playlists))
        .route("/ui/stations/{station}/schedule", get(schedule))
        .route("/ui/stations/{station}/djs", get(djs))
        .route("/ui/stations/{station}/outputs", get(outputs))
        .route("/ui/stations/{station}/settings", get(settings))
        .route("/ui/stations/{station}/logs", get(logs))
        .route("/ui/stations/{station}/stats", get(stats))
}

/// The pages of a station, and the permission each needs.
const PAGES: [(&str, &str, Option<&str>); 9] = [
    ("", "Dashboard", None),
    ("media", "Media", Some("media")),
    ("playlists", "Playlists", Some("playlists")),
    ("schedule", "Schedule", Some("schedule")),
    ("djs", "DJs", None),
    ("outputs", "Outputs", Some("settings")),
    ("settings", "Settings", Some("settings")),
    ("logs", "Logs", Some("logs")),
    ("stats", "Statistics", Some("logs")),
];

/// A station page: its own tab bar over `body`.
fn frame(page: &Page, a: &Access, current: &str, body: Markup) -> Markup {
    let name = &a.running.spec.name;
    let title = format!(
        "{} · {}",
        a.running.spec.display_name,
        PAGES.iter().find(|p| p.0 == current).map_or("", |p| p.1)
    );
    layout(
        &title,
        Some(page),
        html! {
            div.station-head {
                h1 { (a.running.spec.display_name) }
                a.muted href={"/station/" (name)} { "public page" }
            }
            nav.tabs {
                @for (path, label, need) in PAGES {
                    @if need.is_none_or(|p| a.can(p)) {
                        @let href = if path.is_empty() { format!("/ui/stations/{name}") } else { format!("/ui/stations/{name}/{path}") };
                        a href=(href) class=[(path == current).then_some("on")] { (label) }
                    }
                }
            }
            (body)
        },
    )
}

async fn open(
    web: &Web,
    page: &Page,
    station: &str,
    need: Option<&str>,
) -> Result<Access, ApiError> {
    let a = access(web, &page.caller(), station).await?;
    if let Some(p) = need {
        a.require(p)?;
    }
    Ok(a)
}

/// The dashboard: filled and kept live by the script from the now-playing stream.
async fn dashboard(
    State(web): State<Arc<Web>>,
    page: Page,
    Path(station): Path<String>,
) -> Result<Markup, UiError> {
    let a = open(&web, &page, &station, None).await?;
    let has_autodj = a.running.station.autodj().is_some();
    let body = html! {
        div.cards data-dashboard=(station) {
            section.card {
                h2 { "On air" }
                p.big #on-air { "…" }
                p.nowtitle #np-title {}
                div.progress { div #np-progress {} }
                p.muted #np-time {}
                @if has_autodj && a.can("skip") {
                    button type="button" data-action={"POST /api/stations/" (station) "/skip"} data-stay { "Skip" }
                }
                p.msg {}
            }
            section.card {
                h2 { "Next" }
                p #np-next { "—" }
                h2 { "Live DJ" }
                p #np-live { "nobody" }
                @if a.can("kick") {
                    button.danger type="button" #kick hidden data-kick=(station) { "Kick" }
                }
            }
            section.card {
                h2 { "Listeners " span #np-total {} }
                table #np-mounts { tbody {} }
            }
            section.card.wide {
                h2 { "Recent switches" }
                ul #np-transitions {}
                h2 { "Recently played" }
                ol #np-history {}
            }
            @if has_autodj && a.can("request") {
                section.card data-requests=(station) {
                    h2 { "Request a track" }
                    input type="search" placeholder="Search title or artist" data-request-search;
                    ul.requests #request-results {}
                    p.msg {}
                }
            }
        }
    };
    Ok(frame(&page, &a, "", body))
}

fn dur(secs: Option<f64>) -> String {
    match secs {
        Some(s) if s.is_finite() => {
            let s = s.round() as i64;
            format!("{}:{:02}", s / 60, s % 60)
        }
        _ => "—".into(),
    }
}

async fn media(
    State(web): State<Arc<Web>>,
    page: Page,
    Path(station): Path<String>,
) -> Result<Markup, UiError> {
    let a = open(&web, &page, &station, Some("media")).await?;
    let tracks = web.station_tracks(&station).await?;
    let can_upload = !a.running.spec.media.is_empty();
    // Ticked tracks go into a playlist in one request, for those who may change playlists.
    let lists = if a.require("playlists").is_ok() {
        let store = web.store.clone();
        let s = station.clone();
        tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
            Ok(store.playlists(store.ensure_station(&s)?)?)
        })
        .await??
    } else {
        Vec::new()
    };
    let body = html! {
        @if can_upload {
            section.card {
                h2 { "Upload" }
                form data-upload={"/api/stations/" (station) "/media"} {
                    (csrf_field(&page))
                    input type="file" name="file" multiple accept="audio/*,.mp3,.ogg,.opus,.flac,.wav,.m4a,.aac,.aif,.aiff" required;
                    button type="submit" { "Upload" }
                    progress value="0" max="100" hidden {}
                    p.msg {}
                }
                form data-api={"POST /api/stations/" (station) "/media/import"} {
                    (csrf_field(&page))
                    div.row {
                        label { "Or import from a URL" input name="url" type="url" placeholder="https://example.com/song.mp3" required; }
                    }
                    button type="submit" { "Import" }
                    p.msg {}
                }
            }
        }
        section.card.wide {
            h2 { "Library " span.muted { "(" (tracks.len()) " files)" } }
            input type="search" placeholder="Filter" data-filter="#tracks";
            @if !lists.is_empty() {
                form #bulk data-api={"POST /api/stations/" (station) "/playlists/{playlist}/tracks"} {
                    (csrf_field(&page))
                    div.row {
                        label { "Add the ticked tracks to" select name="playlist" {
                            @for (id, p) in &lists { option value=(id) { (p.name) } }
                        } }
                    }
                    button type="submit" { "Add to playlist" }
                    p.msg {}
                }
            }
            div.scroll { table #tracks {
                thead { tr { @if !lists.is_empty() { th {} } th { "Title" } th { "Artist" } th { "Album" } th { "Length" } th { "Loudness" } th { "Status" } th {} } }
                tbody {
                    @for t in &tracks {
                        @let ok = t.status == radio_store::Status::Ok;
                        tr data-track=(t.id) {
                            @if !lists.is_empty() {
                                td { @if ok { input type="checkbox" name="add[]" value=(t.id) form="bulk" data-type="number" aria-label="tick"; } }
                            }
                            td { (t.tags.title.clone().unwrap_or_default()) }
                            td { (t.tags.artist.clone().unwrap_or_default()) }
                            td { (t.tags.album.clone().unwrap_or_default()) }
                            td { (dur(t.analysis.as_ref().map(|a| a.duration))) }
                            td { (t.analysis.as_ref().and_then(|a| a.loudness).map(|l| format!("{l:.1} LUFS")).unwrap_or_default()) }
                            td.status { @if ok { "ok" } @else { span.bad title=(match &t.status { radio_store::Status::Failed(r) => r.clone(), _ => String::new() }) { "failed: " (match &t.status { radio_store::Status::Failed(r) => r.clone(), _ => String::new() }) } } }
                            td.actions {
                                button type="button" data-toggle={"#edit-" (t.id)} { "Edit" }
                                button.danger type="button" data-action={"DELETE /api/stations/" (station) "/media/" (t.id)} data-confirm="Delete this file?" { "Delete" }
                            }
                        }
                        tr.edit id={"edit-" (t.id)} hidden {
                            td colspan=(if lists.is_empty() { 7 } else { 8 }) {
                                form data-api={"PATCH /api/stations/" (station) "/media/" (t.id)} data-delay="600" data-send-empty {
                                    (csrf_field(&page))
                                    div.row {
                                        label { "Title" input name="title" value=(t.tags.title.clone().unwrap_or_default()); }
                                        label { "Artist" input name="artist" value=(t.tags.artist.clone().unwrap_or_default()); }
                                        label { "Album" input name="album" value=(t.tags.album.clone().unwrap_or_default()); }
                                        label { "Genre" input name="genre" value=(t.tags.genre.clone().unwrap_or_default()); }
                                        label { "Year" input name="year" type="number" value=[t.tags.year]; }
                                    }
                                    button type="submit" { "Save tags (into the file)" }
                                    p.msg {}
                                }
                            }
                        }
                    }
                }
            } }
        }
    };
    Ok(frame(&page, &a, "media", body))
}

async fn playlists(
    State(web): State<Arc<Web>>,
    page: Page,
    Path(station): Path<String>,
) -> Result<Markup, UiError> {
    let a = open(&web, &page, &station, Some("playlists")).await?;
    let store = web.store.clone();
    let s = station.clone();
    let (lists, tracks) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let id = store.ensure_station(&s)?;
        Ok((store.playlists(id)?, store.tracks(id)?))
    })
    .await??;
    let title_of = |id: u64| {
        tracks
            .iter()
            .find(|t| t.id as u64 == id)
            .map(|t| {
                format!(
                    "{} – {}",
                    t.tags.artist.clone().unwrap_or_default(),
                    t.tags.title.clone().unwrap_or_default()
                )
            })
            .unwrap_or_else(|| format!("#{id}"))
    };
    let body = html! {
        section.card.wide {
            h2 { "Playlists" }
            p.muted { "AutoDJ picks from standard playlists by weight. A stop set (station IDs, ads) is a playlist with the rotation every n songs or every n minutes; once per hour plays one track near minute n." }
            @if lists.is_empty() { p { "None yet: AutoDJ plays the whole library at random." } }
            @for (id, p) in &lists {
                details.card {
                    summary { b { (p.name) } " · " (format!("{:?}", p.order).to_lowercase()) " · weight " (p.weight) " · " (format!("{:?}", p.rotation)) " · " (p.tracks.len()) @if p.tracks.len() == 1 { " track" } @else { " tracks" }
                        @if let Some(s) = &p.schedule { " · " (s.days.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")) " " (s.start.format("%H:%M")) "–" (s.end.format("%H:%M")) } }
                    ol { @for t in &p.tracks { li { (title_of(*t)) } } }
                    (playlist_form(&page, &station, &tracks, Some((*id, p))))
                    form data-api={"POST /api/stations/" (station) "/playlists/" (id) "/tracks"} {
                        (csrf_field(&page))
                        div.row {
                            label { "Add every track matching" input name="add_matching" type="search" required placeholder="words of the artist, title, album or folder"; }
                        }
                        button type="submit" { "Add matching tracks" }
                        p.msg {}
                    }
                    button.danger type="button" data-action={"DELETE /api/stations/" (station) "/playlists/" (id)} data-confirm="Delete this playlist?" { "Delete" }
                }
            }
        }
        section.card.wide {
            h2 { "New playlist" }
            (playlist_form(&page, &station, &tracks, None))
        }
    };
    Ok(frame(&page, &a, "playlists", body))
}

/// The form that makes a playlist, or changes `existing`.
fn playlist_form(
    page: &Page,
    station: &str,
    tracks: &[radio_store::Track],
    existing: Option<(i64, &radio_sched::autodj::rules::Playlist)>,
) -> Markup {
    use radio_sched::autodj::rules::{Order, Rotation};
    let p = existing.map(|(_, p)| p);
    let api = match existing {
        Some((id, _)) => format!("PUT /api/stations/{station}/playlists/{id}"),
        None => format!("POST /api/stations/{station}/playlists"),
    };
    let order = p.map_or(Order::Random, |p| p.order);
    let (rotation, n) = match p.map_or(Rotation::Standard, |p| p.rotation) {
        Rotation::Standard => ("standard", 0),
        Rotation::EveryNSongs(n) => ("every_n_songs", n),
        Rotation::EveryNMinutes(n) => ("every_n_minutes", n),
        Rotation::OncePerHour(n) => ("once_per_hour", n),
    };
    let schedule = p.and_then(|p| p.schedule.as_ref());
    let days: Vec<String> = schedule
        .map(|s| {
            s.days
                .iter()
                .map(|d| d.to_string().to_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let chosen = |id: i64| p.is_some_and(|p| p.tracks.contains(&(id as u64)));
    html! {
        form data-api=(api) {
            (csrf_field(page))
            div.row {
                label { "Name" input name="name" required value=[p.map(|p| p.name.clone())]; }
                label { "Order" select name="order" {
                    @for (v, o) in [("random", Order::Random), ("shuffle", Order::Shuffle), ("sequential", Order::Sequential)] {
                        option value=(v) selected[o == order] { (v) }
                    }
                } }
                label { "Weight" input name="weight" type="number" value=(p.map_or(1, |p| p.weight)) min="0"; }
            }
            div.row {
                label { "Rotation" select name="rotation" {
                    @for (v, label) in [("standard", "standard (music)"), ("every_n_songs", "every n songs (stop set)"), ("every_n_minutes", "every n minutes"), ("once_per_hour", "once per hour at minute n")] {
                        option value=(v) selected[v == rotation] { (label) }
                    }
                } }
                label { "n" input name="n" type="number" value=(n) min="0"; }
            }
            div.row {
                fieldset { legend { "Active days (with start and end)" }
                    @for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] { label.check { input type="checkbox" name="days[]" value=(d) checked[days.iter().any(|x| x == d)]; " " (d) } }
                }
                label { "Start" input name="start" type="time" value=[schedule.map(|s| s.start.format("%H:%M").to_string())]; }
                label { "End" input name="end" type="time" value=[schedule.map(|s| s.end.format("%H:%M").to_string())]; }
            }
            label { "Tracks" select name="tracks[]" multiple size="8" data-type="number" {
                @for t in tracks.iter().filter(|t| t.status == radio_store::Status::Ok) {
                    option value=(t.id) selected[chosen(t.id)] { (t.tags.artist.clone().unwrap_or_default()) " – " (t.tags.title.clone().unwrap_or_default()) }
                }
            } }
            button type="submit" { @if existing.is_some() { "Save playlist" } @else { "Make playlist" } }
            p.msg {}
        }
    }
}

async fn schedule(
    State(web): State<Arc<Web>>,
    page: Page,
    Path(station): Path<String>,
) -> Result<Markup, UiError> {
    let a = open(&web, &page, &station, Some("schedule")).await?;
    let (settings, writable) = crate::web::settings::current(&web, &a, &station).await?;
    let shows = a
        .running
        .shows
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .shows();
    let tracks = web.station_tracks(&station).await?;
    let configured: Vec<Value> = settings
        .get("show")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let djs: Vec<Value> = settings
        .get("dj")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let today = chrono::Utc::now().date_naive();
    let week: Vec<chrono::NaiveDate> = (0..7).map(|d| today + chrono::Duration::days(d)).collect();
    let body = html! {
        section.card.wide {
            h2 { "This week (UTC)" }
            div.week {
                @for day in &week {
                    div.day {
                        h3 { (day.format("%a %d %b")) }
                        @for sh in shows.iter().filter(|s| s.start.date_naive() == *day) {
                            p.show { b { (sh.start.format("%H:%M")) } " " (sh.title) " " span.muted { (format!("{:?}", sh.status).to_lowercase()) } }
                        }
                    }
                }
            }
        }
        section.card.wide {
            h2 { "Shows" }
            div.scroll { table #shows {
                thead { tr { th { "Title" } th { "File" } th { "At" } th { "Repeats" } th {} } }
                tbody {
                    @for (i, sh) in configured.iter().enumerate() {
                        tr {
                            td { (sh.get("title").and_then(Value::as_str).unwrap_or("")) }
                            td { (sh.get("file").and_then(Value::as_str).unwrap_or("")) }
                            td { (sh.get("at").and_then(Value::as_str).unwrap_or("")) }
                            td { (sh.get("rrule").and_then(Value::as_str).unwrap_or("")) }
                            td { @if writable { button.danger type="button" data-action={"DELETE /api/stations/" (station) "/shows/" (i)} data-confirm="Remove this show?" { "Remove" } } }
                        }
                    }
                }
            } }
            @if writable {
                form data-api={"POST /api/stations/" (station) "/shows"} {
                    (csrf_field(&page))
                    h3 { "Schedule a show" }
                    div.row {
                        label { "Title" input name="title" required; }
                        label { "Recording" select name="file" required {
                            @for t in tracks.iter().filter(|t| t.status == radio_store::Status::Ok) {
                                option value=(t.path) { (t.tags.artist.clone().unwrap_or_default()) " – " (t.tags.title.clone().unwrap_or_default()) }
                            }
                        } }
                    }
                    div.row {
                        label { "Starts (your local time)" input name="at" type="datetime-local" required data-type="datetime"; }
                        label { "Repeats (RRULE, optional)" input name="rrule" placeholder="FREQ=WEEKLY;BYDAY=MO"; }
                    }
                    button type="submit" { "Schedule" }
                    p.msg {}
                }
            } @else { p.muted { "This station is defined in the config file: its shows are changed there." } }
        }
        section.card.wide {
            h2 { "DJ windows" }
            p.muted { "A DJ with a calendar (iCalendar URL or file) may go live only during its events (with the entry and exit grace of the live settings). Change it on the DJs page." }
            ul { @for d in &djs { li { b { (d.get("user").and_then(Value::as_str).unwrap_or("")) } ": " (d.get("calendar").and_then(Value::as_str).unwrap_or("any time")) } } }
        }
    };
    Ok(frame(&page, &a, "schedule", body))
}

async fn djs(
    State(web): State<Arc<Web>>,
    page: Page,
    Path(station): Path<String>,
    headers: HeaderMap,
) -> Result<Markup, UiError> {
    let a = open(&web, &page, &station, None).await?;
    let manage = a.can("settings");
    let (settings, writable) = crate::web::settings::current(&web, &a, &station).await?;
    let settings = crate::web::settings::hide(settings);
    let me = page.user.username.clone();
    let mut all: Vec<Value> = settings
        .get("dj")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Accounts the gate has from elsewhere (the demo's DJ, the source password's user).
    if let Some(g) = &a.running.gate {
        for acc in g.accounts() {
            let known = all.iter().any(|d| {
                d.get("user")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u.eq_ignore_ascii_case(&acc.user))
            });
            if !known {
                all.push(serde_json::json!({"user": acc.user, "password": "********"}));
            }
        }
    }
    let list: Vec<Value> = all
        .into_iter()
        .filter(|d| {
            manage
                || d.get("user")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u.eq_ignore_ascii_case(&me))
        })
        .collect();
    let host_header = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8000");
    let (host, port) = host_header.rsplit_once(':').unwrap_or((host_header, "80"));
    let live = a.running.gate.as_ref().map(|g| g.mount().to_string());
    let store = web.store.clone();
    let s = station.clone();
    let now = chrono::Utc::now().timestamp();
    let bans = tokio::task::spawn_blocking(move || store.bans(&s, now)).await??;
    let ban_of = |user: &str| {
        bans.iter()
            .find(|(u, _)| u.eq_ignore_ascii_case(user))
            .map(|(_, until)| match until {
                Some(t) => format!("banned until {}", fmt_time(*t)),
                None => "banned".to_string(),
            })
    };
    let sc_port = a.running.spec.live.as_ref().and_then(|l| l.shoutcast_port);
    let body = html! {
        @if let Some(mount) = &live {
            section.card.wide {
                h2 { "Going live" }
                p { "Connect as an Icecast 2 source; your user name and password are those of your DJ entry below (or your stream key as the password)." }
                dl.settings {
                    dt { "Server" } dd { code { (host) } }
                    dt { "Port" } dd { code { (port) } }
                    dt { "Mount" } dd { code { (mount) } }
                    dt { "User" } dd { code { @if manage { "DJ user" } @else { (me) } } }
                    @if let Some(p) = sc_port { dt { "Shoutcast v1 (old encoders)" } dd { "port " code { (p) } ", password " code { "user:password" } } }
                }
                details { summary { "BUTT" } p { "Settings → Main → Server → Add: Type " b { "Icecast" } ", Address " code { (host) } ", Port " code { (port) } ", Password your password, Icecast mountpoint " code { (mount) } ", Icecast user your user name." } }
                details { summary { "Mixxx" } p { "Preferences → Live Broadcasting: Type " b { "Icecast 2" } ", Host " code { (host) } ", Port " code { (port) } ", Mount " code { (mount) } ", Login your user name, Password your password." } }
                details { summary { "OBS" } p { "Settings → Stream: Service " b { "Custom" } "; or Settings → Output → Recording → Type Custom Output (FFmpeg), Output to URL " code { "icecast://USER:PASSWORD@" (host) ":" (port) (mount) } ", container mp3 or ogg, audio encoder libmp3lame / libopus." } }
                details open { summary { "ffmpeg" } pre { code { "ffmpeg -re -i set.mp3 -c:a libmp3lame -b:a 192k -content_type audio/mpeg -f mp3 icecast://USER:PASSWORD@" (host) ":" (port) (mount) } } }
            }
        } @else {
            p.card { "This station has no live input (add one under Settings: live mount)." }
        }
        section.card.wide {
            h2 { @if manage { "DJs" } @else { "My DJ settings" } }
            div.scroll { table #djs {
                thead { tr { th { "User" } th { "Password" } th { "Stream key" } th { "Title on air" } th { "Calendar" } th { "Ban" } th {} } }
                tbody {
                    @for d in &list {
                        @let user = d.get("user").and_then(Value::as_str).unwrap_or("").to_string();
                        tr {
                            td { (user) }
                            td { (d.get("password").and_then(Value::as_str).unwrap_or("—")) }
                            td { (d.get("stream_key").and_then(Value::as_str).unwrap_or("—")) }
                            td { (d.get("title").and_then(Value::as_str).unwrap_or("")) }
                            td { (d.get("calendar").and_then(Value::as_str).unwrap_or("any time")) }
                            td { @if let Some(b) = ban_of(&user) { span.bad { (b) } } @else { "—" } }
                            td.actions {
                                @if a.can("ban") && live.is_some() {
                                    @if ban_of(&user).is_some() {
                                        button type="button" data-action={"DELETE /api/stations/" (station) "/djs/" (user) "/ban"} { "Unban" }
                                    } @else {
                                        button type="button" data-action={"POST /api/stations/" (station) "/djs/" (user) "/ban"} data-confirm={"Ban " (user) " from going live (and disconnect them)?"} { "Ban" }
                                    }
                                }
                                @if manage && writable {
                                    button.danger type="button" data-action={"DELETE /api/stations/" (station) "/djs/" (user)} data-confirm={"Remove " (user) "?"} { "Remove" }
                                }
                            }
                        }
                    }
                }
            } }
            @if writable {
                @if manage {
                    form data-api={"POST /api/stations/" (station) "/djs"} {
                        (csrf_field(&page))
                        h3 { "Add a DJ" }
                        div.row {
                            label { "User" input name="user" required; }
                            label { "Password" input name="password" type="password"; }
                            label { "Stream key (optional)" input name="stream_key"; }
                        }
                        div.row {
                            label { "Title on air" input name="title"; }
                            label { "Calendar URL (optional)" input name="calendar" type="url"; }
                        }
                        button type="submit" { "Add DJ" }
                        p.msg {}
                    }
                } @else if !list.is_empty() {
                    form data-api={"PUT /api/stations/" (station) "/djs/" (me)} {
                        (csrf_field(&page))
                        h3 { "Change my settings" }
                        div.row {
                            label { "New password" input name="password" type="password"; }
                            label { "Stream key" input name="stream_key"; }
                            label { "Title on air" input name="title"; }
                        }
                        button type="submit" { "Save" }
                        p.msg {}
                    }
                }
            } @else { p.muted { "This station is defined in the config file: its DJs are changed there." } }
        }
    };
    Ok(frame(&page, &a, "djs", body))
}

async fn outputs(
    State(web): State<Arc<Web>>,
    page: Page,
    Path(station): Path<String>,
) -> Result<Markup, UiError> {
    let a = open(&web, &page, &station, Some("settings")).await?;
    let (settings, writable) = crate::web::settings::current(&web, &a, &station).await?;
    let settings = crate::web::settings::hide(settings);
    let st = a.running.station.state();
    let outs: Vec<Value> = settings
        .get("output")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ups: Vec<Value> = settings
        .get("upstream")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let body = html! {
        section.card.wide {
            h2 { "Mounts" }
            div.scroll { table {
                thead { tr { th { "Mount" } th { "Codec" } th { "Bitrate" } th { "Listeners" } th {} } }
                tbody { @for (i, o) in outs.iter().enumerate() {
                    @let mount = o.get("mount").and_then(Value::as_str).unwrap_or("");
                    tr {
                        td { a href=(mount) { (mount) } }
                        td { (o.get("codec").and_then(Value::as_str).unwrap_or("mp3")) }
                        td { (o.get("bitrate").map(|b| b.to_string()).unwrap_or_else(|| "default".into())) }
                        td { (web.stations.server().mount(mount).map_or(0, |m| m.listeners())) }
                        td { @if writable && outs.len() > 1 { button.danger type="button" data-action={"DELETE /api/stations/" (station) "/outputs/" (i)} data-confirm="Remove this mount? Its listeners are cut off." { "Remove" } } }
                    }
                } }
            } }
            @if writable {
                form data-api={"POST /api/stations/" (station) "/outputs"} {
                    (csrf_field(&page))
                    div.row {
                        label { "Mount" input name="mount" required placeholder="/station.opus"; }
                        label { "Codec" select name="codec" { option value="mp3" { "MP3" } option value="opus" { "Opus" } } }
                        label { "Bitrate" input name="bitrate" type="number" min="8" max="320" value="128"; }
                    }
                    button type="submit" { "Add mount" }
                    p.msg {}
                }
            }
        }
        section.card.wide {
            h2 { "Upstream servers" }
            div.scroll { table {
                thead { tr { th { "URL" } th { "Protocol" } th { "Codec" } th { "State" } th {} } }
                tbody { @for (i, u) in ups.iter().enumerate() {
                    @let url = u.get("url").and_then(Value::as_str).unwrap_or("");
                    @let state = st.outputs.iter().find(|o| o.kind == "upstream" && url.contains(o.target.trim_start_matches("http://").split('/').next().unwrap_or("-")));
                    tr {
                        td { (url) }
                        td { (u.get("protocol").and_then(Value::as_str).unwrap_or("icecast")) }
                        td { (u.get("codec").and_then(Value::as_str).unwrap_or("mp3")) }
                        td { @match state { Some(o) if o.connected == Some(true) => { "connected" } Some(o) => { span.bad { (o.error.clone().unwrap_or_else(|| "not connected".into())) } } None => { "—" } } }
                        td { @if writable { button.danger type="button" data-action={"DELETE /api/stations/" (station) "/upstreams/" (i)} data-confirm="Remove this upstream?" { "Remove" } } }
                    }
                } }
            } }
            @if writable {
                form data-api={"POST /api/stations/" (station) "/upstreams"} {
                    (csrf_field(&page))
                    div.row {
                        label { "URL (http://host:port/mount)" input name="url" required; }
                        label { "Protocol" select name="protocol" { option { "icecast" } option { "shoutcast" } } }
                    }
                    div.row {
                        label { "User" input name="username" placeholder="source"; }
                        label { "Password" input name="password" type="password"; }
                        label { "Codec" select name="codec" { option value="mp3" { "MP3" } option value="opus" { "Opus" } } }
                        label { "Bitrate" input name="bitrate" type="number" value="128"; }
                    }
                    button type="submit" { "Add upstream" }
                    p.msg {}
                }
            } @else { p.muted { "This station is defined in the config file: its outputs are changed there." } }
        }
    };
    Ok(frame(&page, &a, "outputs", body))
}

/// The settings a form shows: key, label, kind.
const FIELDS: [(&str, &str, &str); 12] = [
    ("display_name", "Display name", "text"),
    ("description", "Description", "text"),
    ("genre", "Genre", "text"),
    ("url", "Web site", "url"),
    ("timezone", "Time zone", "text"),
    ("loudness", "Loudness target (LUFS)", "number"),
    ("crossfade", "Crossfade (s)", "number"),
    ("transition", "Live/AutoDJ fade (s)", "number"),
    ("silence_timeout", "Live silence timeout (s)", "number"),
    ("watchdog", "Silence alarm after (s)", "number"),
    ("jingle_every", "A jingle every n songs", "number"),
    ("requests", "Listeners may request", "checkbox"),
];

async fn settings(
    State(web): State<Arc<Web>>,
    page: Page,
    Path(station): Path<String>,
) -> Result<Markup, UiError> {
    let a = open(&web, &page, &station, Some("settings")).await?;
    let (settings, writable) = crate::web::settings::current(&web, &a, &station).await?;
    let members = if a.is_owner() {
        let store = web.store.clone();
        let s = station.clone();
        tokio::task::spawn_blocking(move || store.members(&s)).await??
    } else {
        Vec::new()
    };
    let body = html! {
        section.card.wide {
            h2 { "Station" }
            @if !writable { p.muted { "Defined in the config file: shown read-only; change it there." } }
            form data-api={"PATCH /api/stations/" (station)} {
                (csrf_field(&page))
                div.grid {
                    @for (key, label, kind) in FIELDS {
                        @let v = settings.get(key);
                        @if kind == "checkbox" {
                            label.check { input type="checkbox" name=(key) checked[v.and_then(Value::as_bool).unwrap_or(false)] disabled[!writable]; " " (label) }
                        } @else {
                            label { (label) input type=(kind) step=[(kind == "number").then_some("any")] name=(key) value=(v.map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).unwrap_or_default()) disabled[!writable]; }
                        }
                    }
                    label { "Live DJ mount" input name="live.mount" value=(settings.pointer("/live/mount").and_then(Value::as_str).unwrap_or("")) disabled[!writable]; }
                }
                @if writable { button type="submit" { "Save (applies now)" } }
                p.msg {}
            }
            details { summary { "All keys (JSON)" } pre { (serde_json::to_string_pretty(&crate::web::settings::hide(settings.clone())).unwrap_or_default()) } }
        }
        @if a.is_owner() {
            section.card.wide {
                h2 { "Members" }
                div.scroll { table {
                    thead { tr { th { "User" } th { "Role" } th { "Permissions" } th {} } }
                    tbody { @for m in &members {
                        tr {
                            td { (m.username) } td { (m.role.as_str()) } td { (m.permissions.join(", ")) }
                            td { button.danger type="button" data-action={"DELETE /api/stations/" (station) "/members/" (m.username)} data-confirm="Remove this member?" { "Remove" } }
                        }
                    } }
                } }
                form data-member=(station) {
                    (csrf_field(&page))
                    div.row {
                        label { "User" input name="user" required; }
                        label { "Role" select name="role" { option value="dj" { "DJ" } option value="owner" { "owner" } } }
                    }
                    fieldset { legend { "DJ permissions" }
                        @for p in PERMISSIONS { label.check { input type="checkbox" name="permissions[]" value=(p) checked[p == "request"]; " " (p) } }
                    }
                    button type="submit" { "Add or change member" }
                    p.msg {}
                }
            }
            section.card.wide {
                h2 { "Backup" }
                p { "One archive with the station's settings, library, playlists, history, statistics and files. Restore it on the stations page (administrators) or with " code { "radiopoint restore FILE" } "." }
                a.button href={"/api/stations/" (station) "/backup"} download { "Download a backup" }
                @if page.user.admin && a.running.from_api {
                    h2 { "Delete the station" }
                    button.danger type="button" data-action={"DELETE /api/stations/" (station)} data-confirm="Delete this station? Its files stay on disk." data-then="/ui/" { "Delete station" }
                }
            }
        }
    };
    Ok(frame(&page, &a, "settings", body))
}

async fn logs(
    State(web): State<Arc<Web>>,
    page: Page,
    Path(station): Path<String>,
) -> Result<Markup, UiError> {
    let a = open(&web, &page, &station, Some("logs")).await?;
    web.flush_stats().await;
    let store = web.store.clone();
    let s = station.clone();
    let (events, audit) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        Ok((store.events(&s, 300)?, store.audit_log(Some(&s), 300)?))
    })
    .await??;
    let body = html! {
        section.card.wide {
            h2 { "Station log" }
            div.scroll { table #events {
                thead { tr { th { "When (UTC)" } th { "What" } th { "" } } }
                tbody { @for e in &events {
                    tr class=[e.kind.ends_with("failed").then_some("bad").or(e.kind.ends_with("refused").then_some("bad"))] {
                        td { (fmt_time(e.at / 1000)) } td { code { (e.kind) } } td { (e.message) }
                    }
                } }
            } }
        }
        section.card.wide {
            h2 { "Changes and actions" }
            div.scroll { table {
                thead { tr { th { "When (UTC)" } th { "Who" } th { "What" } th { "" } } }
                tbody { @for e in &audit {
                    tr { td { (fmt_time(e.at)) } td { (e.username.clone().unwrap_or_else(|| "listener".into())) } td { code { (e.action) } } td { (e.detail.clone().unwrap_or_default()) } }
                } }
            } }
        }
    };
    Ok(frame(&page, &a, "logs", body))
}

async fn stats(
    State(web): State<Arc<Web>>,
    page: Page,
    Path(station): Path<String>,
) -> Result<Markup, UiError> {
    let a = open(&web, &page, &station, Some("logs")).await?;
    web.flush_stats().await;
    let store = web.store.clone();
    let s = station.clone();
    let now = chrono::Utc::now().timestamp_millis();
    let (day, month, sessions) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        Ok((
            store.session_summary(&s, now - 86_400_000, now)?,
            store.session_summary(&s, now - 30 * 86_400_000, now)?,
            store.listener_sessions(&s, 0, now, 50)?,
        ))
    })
    .await??;
    let base = format!("/api/stations/{station}/stats");
    let body = html! {
        section.card.wide {
            h2 { "Listeners" }
            div.cards {
                div.card { h3 { "Last 24 hours" } p.big { (day.sessions) } p.muted { "sessions, " (day.unique) " listeners, " (format!("{:.1}", day.hours)) " hours" } }
                div.card { h3 { "Last 30 days" } p.big { (month.sessions) } p.muted { "sessions, " (month.unique) " listeners, " (format!("{:.1}", month.hours)) " hours" } }
            }
            @for (range, label) in [("day", "Day"), ("week", "Week"), ("month", "Month")] {
                h3 { (label) }
                img.chart src={(base) "/chart.svg?range=" (range)} alt={"Listeners over the last " (range)};
            }
            p { "CSV: " a href={(base) "?format=csv&range=month"} { "listeners per step, last month" } " · " a href={(base) "?format=csv&what=sessions&range=month"} { "sessions, last month" } }
        }
        section.card.wide {
            h2 { "Recent sessions" }
            div.scroll { table {
                thead { tr { th { "Started (UTC)" } th { "Mount" } th { "Minutes" } th { "Address" } th { "Player" } } }
                tbody { @for x in &sessions {
                    tr { td { (fmt_time(x.started / 1000)) } td { (x.mount) } td { (format!("{:.1}", x.duration_ms as f64 / 60_000.0)) } td { (x.ip) } td { (x.user_agent) } }
                } }
            } }
        }
    };
    Ok(frame(&page, &a, "stats", body))
}
