//! The web interface: pages rendered here (maud, which escapes everything it prints),
//! with one small script of our own (`/ui/assets/app.js`) that sends the forms to the
//! JSON API (with the CSRF token from the form's hidden `csrf` field) and keeps the
//! dashboard live over the now-playing event stream. Nothing is fetched from elsewhere.
//!
//! - `/ui/login`, `/ui/` (stations; administrators make and restore stations there),
//!   `/ui/users` (accounts; everyone changes their own password there);
//! - `/ui/stations/{station}/...`: dashboard, media, playlists, schedule, djs, outputs,
//!   settings, logs, stats — each shown by the caller's permissions;
//! - `/station/{station}`: the public page (player, now playing, recent tracks, requests).

mod station;

use super::Web;
use super::error::ApiError;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use radio_store::User;
use std::sync::Arc;

/// A logged-in browser: the user and the session's CSRF token (put in every form).
pub struct Page {
    pub user: User,
    pub csrf: String,
}

/// Not logged in: to the login page, then back.
pub struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        let next: String = self
            .0
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        Redirect::to(&format!("/ui/login?next={next}")).into_response()
    }
}

impl FromRequestParts<Arc<Web>> for Page {
    type Rejection = ToLogin;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Page, ToLogin> {
        let back = ToLogin(parts.uri.path().to_string());
        let Some(token) = super::auth::cookie(&parts.headers, super::auth::COOKIE) else {
            return Err(back);
        };
        let store = web.store.clone();
        let found = tokio::task::spawn_blocking(move || store.session(&token))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten();
        match found {
            Some((user, csrf)) => Ok(Page { user, csrf }),
            None => Err(back),
        }
    }
}

impl Page {
    /// The same caller as the API sees it (for the station access checks).
    pub fn caller(&self) -> super::auth::Caller {
        super::auth::Caller {
            user: self.user.clone(),
            via: super::auth::Via::Session,
        }
    }
}

/// A page's frame: head, top bar, the caller's CSRF token for the script.
pub fn layout(title: &str, page: Option<&Page>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(p) = page { meta name="csrf" content=(p.csrf); }
                title { (title) " · radiopoint" }
                link rel="stylesheet" href="/ui/assets/app.css";
                script src="/ui/assets/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/ui/" { "radiopoint" }
                    @if let Some(p) = page {
                        nav {
                            a href="/ui/" { "Stations" }
                            a href="/ui/users" { @if p.user.admin { "Users" } @else { "Account" } }
                            a href="/api/docs" { "API" }
                            button.link type="button" data-action="POST /api/logout" data-then="/ui/login" { "Log out " (p.user.username) }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A form the script sends to the API: `api` is `METHOD /path`; `then`: where to go
/// after (default: reload).
pub fn csrf_field(page: &Page) -> Markup {
    html! { input type="hidden" name="csrf" value=(page.csrf); }
}

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(home))
        .route("/ui/login", get(login))
        .route("/ui/users", get(users))
        .route("/ui/assets/app.js", get(app_js))
        .route("/ui/assets/app.css", get(app_css))
        .route("/station/{station}", get(public))
        .merge(station::routes())
}

async fn app_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("app.js"),
    )
}

async fn app_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("app.css"),
    )
}

async fn login() -> Markup {
    layout(
        "Log in",
        None,
        html! {
            section.card.narrow {
                h1 { "Log in" }
                form #login data-login {
                    label { "User name" input name="username" autocomplete="username" required autofocus; }
                    label { "Password" input name="password" type="password" autocomplete="current-password" required; }
                    button type="submit" { "Log in" }
                    p.msg {}
                }
            }
        },
    )
}

/// `/ui/`: the stations the caller may see; administrators make and restore stations.
async fn home(State(web): State<Arc<Web>>, page: Page) -> Result<Markup, UiError> {
    let store = web.store.clone();
    let name = page.user.username.clone();
    let mine: Vec<String> = tokio::task::spawn_blocking(move || store.memberships(&name))
        .await??
        .into_iter()
        .map(|m| m.station)
        .collect();
    let stations: Vec<_> = web
        .stations
        .all()
        .into_iter()
        .filter(|r| page.user.admin || mine.contains(&r.spec.name))
        .collect();
    Ok(layout(
        "Stations",
        Some(&page),
        html! {
            h1 { "Stations" }
            @if stations.is_empty() { p { "No stations yet." @if !page.user.admin { " Ask an administrator to make you a member of one." } } }
            div.cards {
                @for r in &stations {
                    @let st = r.station.state();
                    a.card.station href={"/ui/stations/" (r.spec.name)} {
                        h2 { (r.spec.display_name) }
                        p.muted { (r.spec.name) " · " (if r.from_api { "made here" } else { "config file" }) }
                        p { "On air: " b { (st.on_air.clone().unwrap_or_else(|| "silence".into())) } }
                        p.title { (st.track.as_ref().map(|t| t.display.clone()).unwrap_or_default()) }
                    }
                }
            }
            @if page.user.admin {
                section.card {
                    h2 { "New station" }
                    form data-api="POST /api/stations" data-then="/ui/stations/{name}" {
                        (csrf_field(&page))
                        div.row {
                            label { "Name (in URLs)" input name="name" required pattern="[A-Za-z0-9_-]+" placeholder="rock"; }
                            label { "Display name" input name="display_name" placeholder="Rock FM"; }
                        }
                        div.row {
                            label { "Mount" input name="output.0.mount" required placeholder="/rock.mp3"; }
                            label { "Codec" select name="output.0.codec" { option value="mp3" { "MP3" } option value="opus" { "Opus" } } }
                            label { "Bitrate (kbit/s)" input name="output.0.bitrate" type="number" value="128" min="32" max="320"; }
                        }
                        div.row {
                            label { "Live DJ mount (optional)" input name="live.mount" placeholder="/rock-live"; }
                        }
                        button type="submit" { "Make station" }
                        p.msg {}
                    }
                }
                section.card {
                    h2 { "Restore a backup" }
                    form data-restore {
                        (csrf_field(&page))
                        div.row {
                            label { "Backup (.tar.gz)" input name="archive" type="file" accept=".gz,.tgz,application/gzip" required; }
                            label { "Under another name (optional)" input name="as" pattern="[A-Za-z0-9_-]+"; }
                        }
                        button type="submit" { "Restore" }
                        p.msg {}
                    }
                }
            }
        },
    ))
}

/// `/ui/users`: administrators manage accounts; everyone changes their password.
async fn users(State(web): State<Arc<Web>>, page: Page) -> Result<Markup, UiError> {
    let list = if page.user.admin {
        let store = web.store.clone();
        tokio::task::spawn_blocking(move || store.users()).await??
    } else {
        Vec::new()
    };
    let me = page.user.username.clone();
    Ok(layout(
        "Users",
        Some(&page),
        html! {
            h1 { @if page.user.admin { "Users" } @else { "Account" } }
            @if page.user.admin {
                div.scroll { table {
                    thead { tr { th { "User" } th { "Administrator" } th { "Since" } th {} } }
                    tbody {
                        @for u in &list {
                            tr {
                                td { (u.username) }
                                td { @if u.admin { "yes" } @else { "no" } }
                                td { (fmt_time(u.created)) }
                                td { @if u.username != me {
                                    button.danger type="button" data-action={"DELETE /api/users/" (u.username)} data-confirm={"Delete " (u.username) "?"} { "Delete" }
                                } }
                            }
                        }
                    }
                } }
                section.card {
                    h2 { "New user" }
                    form data-api="POST /api/users" {
                        (csrf_field(&page))
                        div.row {
                            label { "User name" input name="username" required; }
                            label { "Password" input name="password" type="password" required minlength="8"; }
                            label.check { input name="admin" type="checkbox"; " administrator" }
                        }
                        button type="submit" { "Add user" }
                        p.msg {}
                    }
                }
            }
            section.card {
                h2 { "Change my password" }
                form data-api={"PATCH /api/users/" (me)} data-then="/ui/login" {
                    (csrf_field(&page))
                    label { "New password" input name="password" type="password" required minlength="8" autocomplete="new-password"; }
                    button type="submit" { "Change (logs you out everywhere)" }
                    p.msg {}
                }
            }
        },
    ))
}

/// A page that failed: its status, and the reason on a page of its own.
pub struct UiError(ApiError);

impl<E: Into<ApiError>> From<E> for UiError {
    fn from(e: E) -> UiError {
        UiError(e.into())
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let title = e.status.canonical_reason().unwrap_or("Error").to_string();
        (
            e.status,
            layout(
                &title,
                None,
                html! { section.card.narrow { h1 { (title) } p { (e.message) } p { a href="/ui/" { "Back to the stations" } } } },
            ),
        )
            .into_response()
    }
}

/// Unix seconds as a date and time (UTC).
pub fn fmt_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// `/station/{station}`: the public page.
async fn public(
    State(web): State<Arc<Web>>,
    Path(station): Path<String>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let Some(r) = web.stations.get(&station) else {
        return Ok((
            StatusCode::NOT_FOUND,
            layout("Not found", None, html! { h1 { "No station " (station) } }),
        )
            .into_response());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let st = r.station.state();
    let first = r
        .spec
        .outputs
        .first()
        .map(|o| o.mount.clone())
        .unwrap_or_default();
    Ok(layout(
        &r.spec.display_name,
        None,
        html! {
            section.card.public data-station=(station) data-live-page {
                h1 { (r.spec.display_name) }
                @if let Some(d) = &r.spec.description { p { (d) } }
                audio controls preload="none" src=(first) {}
                p.muted { "Listen in your player:" }
                ul.streams { @for o in &r.spec.outputs {
                    li { a href=(o.mount) { code { "http://" (host) (o.mount) } } " (" (o.format) ") · " a href={(o.mount) ".m3u"} { "M3U" } " · " a href={(o.mount) ".pls"} { "PLS" } }
                } }
                h2 { "Now playing" }
                p.nowtitle #np-title { (st.track.as_ref().map(|t| t.display.clone()).unwrap_or_default()) }
                div.progress { div #np-progress {} }
                h2 { "Recently played" }
                ol #np-history { @for t in st.history.iter().skip(1).take(10) { li { (t.display) } } }
            }
            @if r.spec.requests {
                section.card data-requests=(station) {
                    h2 { "Request a song" }
                    input type="search" placeholder="Search title or artist" data-request-search;
                    ul.requests #request-results {}
                    p.msg {}
                }
            }
        },
    )
    .into_response())
}
