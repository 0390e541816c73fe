//! `GET /metrics`: the whole server in the OpenMetrics text format Prometheus scrapes —
//! listeners and bytes per mount, sources, stations and what they have on air, their
//! restarts and silence, the store's accounts. Open unless `[server] metrics_token` is set
//! (then `Authorization: Bearer TOKEN`). Labels are per mount and station, never per
//! listener.

use super::Web;
use super::error::ApiError;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

type Labels = Vec<(String, String)>;

fn label(k: &str, v: &str) -> Labels {
    vec![(k.to_string(), v.to_string())]
}

pub async fn metrics(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = &web.metrics_token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if sent != Some(token.as_str()) {
            return Err(ApiError::unauthorized(
                "metrics need Authorization: Bearer <[server] metrics_token>",
            ));
        }
    }
    let store = web.store.clone();
    let (users, figures) = tokio::task::spawn_blocking(move || {
        Ok::<_, ApiError>((store.user_count()?, store.figures()?))
    })
    .await??;
    let server = web.stations.server();
    let stats = server.stats();
    let mut reg = <Registry>::with_prefix("radiopoint");
    let listeners = Family::<Labels, Gauge>::default();
    let sent = Family::<Labels, Counter>::default();
    let read = Family::<Labels, Counter>::default();
    let live = Family::<Labels, Gauge>::default();
    for m in &stats.mounts {
        let l = label("mount", &m.path);
        listeners.get_or_create(&l).set(m.listeners as i64);
        sent.get_or_create(&l).inc_by(m.bytes_sent);
        read.get_or_create(&l).inc_by(m.bytes_read);
        live.get_or_create(&l).set(i64::from(m.live));
    }
    reg.register(
        "mount_listeners",
        "Listeners connected to a mount",
        listeners,
    );
    reg.register(
        "mount_sent_bytes",
        "Bytes sent to a mount's listeners",
        sent,
    );
    reg.register(
        "mount_received_bytes",
        "Bytes received from a mount's source",
        read,
    );
    reg.register(
        "mount_live",
        "Whether a mount has a source (1) or not (0)",
        live,
    );
    let g = |v: i64| {
        let g = Gauge::<i64>::default();
        g.set(v);
        g
    };
    reg.register(
        "listeners",
        "Listeners connected to the server",
        g(stats.listeners as i64),
    );
    reg.register(
        "sources",
        "Sources feeding the server's mounts",
        g(stats.sources as i64),
    );
    let c = |v: u64| {
        let c = Counter::<u64>::default();
        c.inc_by(v);
        c
    };
    reg.register(
        "listener_connections",
        "Listener connections served",
        c(stats.listener_connections),
    );
    reg.register(
        "source_connections",
        "Source connections accepted",
        c(stats.source_connections),
    );
    let on_air = Family::<Labels, Gauge>::default();
    let running = Family::<Labels, Gauge>::default();
    let restarts = Family::<Labels, Counter>::default();
    let silent = Family::<Labels, Gauge>::default();
    let live_dj = Family::<Labels, Gauge>::default();
    let blocks = Family::<Labels, Counter>::default();
    let mix = Family::<Labels, Counter<f64, AtomicU64>>::default();
    let encoding = Family::<Labels, Counter<f64, AtomicU64>>::default();
    let slowest = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    let all = web.stations.all();
    for r in &all {
        let st = r.station.state();
        let name = r.spec.name.as_str();
        if let Some(input) = &st.on_air {
            on_air
                .get_or_create(&vec![
                    ("station".to_string(), name.to_string()),
                    ("input".to_string(), input.clone()),
                ])
                .set(1);
        }
        let l = label("station", name);
        running.get_or_create(&l).set(i64::from(st.running));
        restarts.get_or_create(&l).inc_by(u64::from(st.restarts));
        silent
            .get_or_create(&l)
            .set(i64::from(st.silent_since.is_some()));
        live_dj.get_or_create(&l).set(i64::from(st.live.is_some()));
        let t = r.station.timing();
        blocks.get_or_create(&l).inc_by(t.blocks);
        mix.get_or_create(&l).inc_by(t.mix_ns as f64 / 1e9);
        encoding.get_or_create(&l).inc_by(t.encode_ns as f64 / 1e9);
        slowest.get_or_create(&l).set(t.max_ns as f64 / 1e9);
    }
    reg.register(
        "station_on_air",
        "The input a station has on air (1)",
        on_air,
    );
    reg.register(
        "station_running",
        "Whether a station's thread runs",
        running,
    );
    reg.register(
        "station_restarts",
        "Restarts of a station's thread after a panic",
        restarts,
    );
    reg.register(
        "station_silent",
        "Whether a station's output has been silent past its watchdog",
        silent,
    );
    reg.register(
        "station_live_dj",
        "Whether a DJ is connected to a station",
        live_dj,
    );
    reg.register(
        "station_blocks",
        "20 ms blocks a station's thread has made",
        blocks,
    );
    reg.register_with_unit(
        "station_mix",
        "Time a station's thread spent making blocks (inputs, mixing, limiter)",
        Unit::Seconds,
        mix,
    );
    reg.register_with_unit(
        "station_encode",
        "Time a station's thread spent encoding blocks and handing them to mounts",
        Unit::Seconds,
        encoding,
    );
    reg.register_with_unit(
        "station_slowest_block",
        "The slowest block of a station so far (budget: 0.02 s)",
        Unit::Seconds,
        slowest,
    );
    reg.register_with_unit(
        "store_size",
        "The database file with its write-ahead log",
        Unit::Bytes,
        g(figures.bytes as i64),
    );
    reg.register(
        "store_tracks",
        "Tracks in the media library",
        g(figures.tracks),
    );
    reg.register(
        "store_tracks_failed",
        "Files the indexer could not use",
        g(figures.failed),
    );
    reg.register(
        "store_listener_sessions",
        "Listener sessions kept",
        g(figures.sessions),
    );
    reg.register("stations", "Stations configured", g(all.len() as i64));
    reg.register("users", "User accounts in the store", g(users));
    let mut text = String::new();
    encode(&mut text, &reg).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding metrics: {e}"),
        )
    })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
