//! `GET /api/stations/{station}/backup` (owners: the station as a `.tar.gz`) and
//! `POST /api/stations/restore` (administrators: the archive as the body; the station
//! starts at once). See [`crate::backup`].

use super::Web;
use super::auth::Caller;
use super::error::ApiError;
use super::stations::{access, audit, launch};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// A file that is gone from its folder already (unlinked, read through its handle).
fn scratch(
    dir: &std::path::Path,
    what: &str,
) -> Result<(std::fs::File, std::path::PathBuf), ApiError> {
    let mut token = [0u8; 8];
    getrandom::fill(&mut token)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("random: {e}")))?;
    let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(dir).map_err(|e| internal(what, e))?;
    let path = dir.join(format!(".{what}-{hex}.tar.gz"));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| internal(what, e))?;
    Ok((file, path))
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    tracing::warn!("{what}: {e}");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{what}: {e}"))
}

/// `GET /api/stations/{station}/backup`: the station's rows, settings and files (owners).
pub async fn backup(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
) -> Result<Response, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require_owner()?;
    let store = web.store.clone();
    let dir = web.data_dir.clone();
    let config = web
        .config_file
        .as_deref()
        .and_then(|c| crate::backup::config_station(c, &station));
    let s = station.clone();
    let file = tokio::task::spawn_blocking(move || -> Result<std::fs::File, ApiError> {
        let (file, path) = scratch(&dir, "backup")?;
        // Unlinked at once: the archive lives as long as the download.
        let _ = std::fs::remove_file(&path);
        let mut out = std::io::BufWriter::new(file);
        crate::backup::write(&store, &s, config, &mut out)
            .map_err(|e| internal("backup", format!("{e:#}")))?;
        let mut file = out
            .into_inner()
            .map_err(|e| internal("backup", e.error()))?;
        std::io::Seek::rewind(&mut file).map_err(|e| internal("backup", e))?;
        Ok(file)
    })
    .await??;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    audit(
        &web,
        &caller,
        &station,
        "backup",
        Some(format!("{len} bytes")),
    )
    .await;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let name = format!(
        "attachment; filename=\"{station}-{}.tar.gz\"",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip".to_string()),
            (header::CONTENT_LENGTH, len.to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct RestoreQuery {
    /// Restore under this name instead of the station's own.
    #[serde(rename = "as")]
    name: Option<String>,
}

/// `POST /api/stations/restore[?as=NAME]`: the archive as the body (administrators).
pub async fn restore(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Query(q): Query<RestoreQuery>,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    if !caller.user.admin {
        return Err(ApiError::forbidden("admin"));
    }
    let dir = web.data_dir.clone();
    let (file, path) = tokio::task::spawn_blocking(move || scratch(&dir, "restore")).await??;
    let _ = std::fs::remove_file(&path);
    let mut out = tokio::fs::File::from_std(file);
    let mut stream = body.into_data_stream();
    use futures_util::StreamExt as _;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("restore: {e}")))?;
        out.write_all(&chunk)
            .await
            .map_err(|e| internal("restore", e))?;
    }
    out.flush().await.map_err(|e| internal("restore", e))?;
    let mut file = out.into_std().await;
    let store = web.store.clone();
    let data_dir = web.data_dir.clone();
    let summary = tokio::task::spawn_blocking(move || {
        std::io::Seek::rewind(&mut file).map_err(|e| internal("restore", e))?;
        crate::backup::read(&store, file, &data_dir, q.name.as_deref()).map_err(|e| {
            let m = format!("{e:#}");
            if m.contains("exists") {
                ApiError::conflict(m)
            } else {
                ApiError::bad_request(m)
            }
        })
    })
    .await??;
    let config = summary.config.clone().unwrap_or_default();
    let spec = crate::config::resolve_api_station(&config, &web.data_dir)
        .map_err(|e| ApiError::bad_request(format!("restored settings: {e}")))?;
    let name = summary.station.clone();
    let (mounts, media) = launch(&web, spec).await?;
    audit(
        &web,
        &caller,
        &name,
        "restore",
        Some(format!("{} files", summary.files)),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"name": name, "files": summary.files, "bytes": summary.bytes, "mounts": mounts, "media": media}),
        ),
    ))
}
