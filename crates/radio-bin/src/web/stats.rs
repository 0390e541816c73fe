//! `/api/stations/{station}/stats` (listeners over time, sessions; JSON or CSV),
//! `.../stats/chart.svg` (the same drawn by the server) and `.../events` (the station's
//! log: DJs refused, sources, upstreams, the indexer).

use super::Web;
use super::auth::Caller;
use super::error::ApiError;
use super::stations::access;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::json;
use std::fmt::Write as _;
use std::sync::Arc;

#[derive(Deserialize, Default)]
pub struct StatsQuery {
    /// RFC 3339 or Unix seconds; default: `to` minus the range.
    from: Option<String>,
    /// RFC 3339 or Unix seconds; default: now.
    to: Option<String>,
    /// Seconds per point (a multiple of 60); default: the range in at most 1,440 points.
    step: Option<i64>,
    /// `day` (default), `week`, `month`: the range when `from` is not given.
    range: Option<String>,
    /// CSV: `series` (default) or `sessions`.
    what: Option<String>,
    /// Sessions listed (JSON), newest first: default 100, at most 10,000.
    limit: Option<usize>,
    /// `csv`: as `Accept: text/csv` (for links).
    format: Option<String>,
}

fn parse_time(name: &str, v: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(secs) = v.parse::<i64>() {
        return Utc
            .timestamp_opt(secs, 0)
            .single()
            .ok_or_else(|| ApiError::bad_request(format!("{name}: {v} is out of range")));
    }
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            ApiError::bad_request(format!(
                "{name}: {v:?} is neither RFC 3339 nor Unix seconds ({e})"
            ))
        })
}

/// The time range and step (minutes) a query asks for.
#[derive(Debug)]
struct Range {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step_min: i64,
}

impl StatsQuery {
    fn range(&self) -> Result<Range, ApiError> {
        let to = match &self.to {
            Some(t) => parse_time("to", t)?,
            None => Utc::now(),
        };
        let span = match self.range.as_deref() {
            None | Some("day") => chrono::Duration::days(1),
            Some("week") => chrono::Duration::days(7),
            Some("month") => chrono::Duration::days(30),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "range: {other:?} is not day, week or month"
                )));
            }
        };
        let from = match &self.from {
            Some(f) => parse_time("from", f)?,
            None => to - span,
        };
        if from >= to {
            return Err(ApiError::bad_request("from must be before to"));
        }
        let minutes = (to - from).num_minutes().max(1);
        if minutes > 400 * 1440 {
            return Err(ApiError::bad_request("at most 400 days at once"));
        }
        let step_min = match self.step {
            Some(s) if s < 60 || s % 60 != 0 => {
                return Err(ApiError::bad_request(format!(
                    "step: {s} is not a whole number of minutes in seconds (60, 300, 3600...)"
                )));
            }
            Some(s) => s / 60,
            None => {
                let want = (minutes + 1439) / 1440;
                [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440]
                    .into_iter()
                    .find(|&s| s >= want)
                    .unwrap_or(1440)
            }
        };
        if minutes / step_min > 100_000 {
            return Err(ApiError::bad_request(
                "step: more than 100,000 points; use a larger step",
            ));
        }
        Ok(Range { from, to, step_min })
    }
}

fn minute_time(m: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(m * 60, 0).single().unwrap_or_default()
}

/// `GET /api/stations/{station}/stats` (permission `logs`).
pub async fn stats(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
    Query(q): Query<StatsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("logs")?;
    let range = q.range()?;
    web.flush_stats().await;
    let csv = q.format.as_deref() == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv"));
    let store = web.store.clone();
    let (from_ms, to_ms) = (range.from.timestamp_millis(), range.to.timestamp_millis());
    let (from_min, to_min) = (from_ms / 60_000, to_ms / 60_000);
    let step = range.step_min;
    let what = q.what.clone().unwrap_or_else(|| "series".into());
    if csv {
        let s = station.clone();
        let body = tokio::task::spawn_blocking(move || -> Result<String, ApiError> {
            let mut out = String::new();
            match what.as_str() {
                "sessions" => {
                    out.push_str("started,mount,seconds,bytes,ip,user_agent\n");
                    for x in store.listener_sessions(&s, from_ms, to_ms, usize::MAX >> 1)? {
                        let _ = writeln!(
                            out,
                            "{},{},{:.1},{},{},{}",
                            Utc.timestamp_millis_opt(x.started)
                                .single()
                                .unwrap_or_default()
                                .to_rfc3339(),
                            csv_field(&x.mount),
                            x.duration_ms as f64 / 1000.0,
                            x.bytes,
                            x.ip,
                            csv_field(&x.user_agent)
                        );
                    }
                }
                "series" => {
                    out.push_str("time,peak,average\n");
                    for p in store.listener_series(&s, from_min, to_min, step)? {
                        let _ = writeln!(
                            out,
                            "{},{},{:.2}",
                            minute_time(p.minute).to_rfc3339(),
                            p.peak,
                            p.average
                        );
                    }
                }
                other => {
                    return Err(ApiError::bad_request(format!(
                        "what: {other:?} is not series or sessions"
                    )));
                }
            }
            Ok(out)
        })
        .await??;
        let file = format!("attachment; filename=\"{station}-listeners.csv\"");
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, file),
            ],
            body,
        )
            .into_response());
    }
    let limit = q.limit.unwrap_or(100).min(10_000);
    let s = station.clone();
    let (series, summary, sessions) = tokio::task::spawn_blocking(move || {
        Ok::<_, ApiError>((
            store.listener_series(&s, from_min, to_min, step)?,
            store.session_summary(&s, from_ms, to_ms)?,
            store.listener_sessions(&s, from_ms, to_ms, limit)?,
        ))
    })
    .await??;
    let peak = series.iter().max_by_key(|p| p.peak);
    let server = web.stations.server();
    let now: serde_json::Map<String, serde_json::Value> = a
        .running
        .spec
        .outputs
        .iter()
        .map(|o| {
            let n = server.mount(&o.mount).map_or(0, |m| m.listeners());
            (o.mount.clone(), json!(n))
        })
        .collect();
    Ok(axum::Json(json!({
        "station": station,
        "from": range.from.to_rfc3339(),
        "to": range.to.to_rfc3339(),
        "step": step * 60,
        "listeners_now": now,
        "peak": peak.map(|p| json!({"listeners": p.peak, "at": minute_time(p.minute).to_rfc3339()})),
        "summary": summary,
        "series": series.iter().map(|p| json!({"time": minute_time(p.minute).to_rfc3339(), "peak": p.peak, "average": (p.average * 100.0).round() / 100.0})).collect::<Vec<_>>(),
        "sessions": sessions.iter().map(|x| json!({
            "mount": x.mount,
            "started": Utc.timestamp_millis_opt(x.started).single().unwrap_or_default().to_rfc3339(),
            "seconds": x.duration_ms as f64 / 1000.0,
            "bytes": x.bytes,
            "ip": x.ip,
            "user_agent": x.user_agent,
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `GET /api/stations/{station}/stats/chart.svg?range=day|week|month` (or `from`, `to`,
/// `step`): listeners drawn as an SVG image (peak line over the average area).
pub async fn chart(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Response, ApiError> {
    let a = access(&web, &caller, &station).await?;
    a.require("logs")?;
    let range = q.range()?;
    web.flush_stats().await;
    let store = web.store.clone();
    let (from_min, to_min) = (range.from.timestamp() / 60, range.to.timestamp() / 60);
    let step = range.step_min;
    let s = station.clone();
    let series =
        tokio::task::spawn_blocking(move || store.listener_series(&s, from_min, to_min, step))
            .await??;
    let svg = draw(&series, from_min, to_min, step, &station);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

/// The chart: 720 × 240, buckets with no row are zero.
pub fn draw(
    series: &[radio_store::SeriesPoint],
    from_min: i64,
    to_min: i64,
    step: i64,
    title: &str,
) -> String {
    let (w, h) = (720.0f64, 240.0f64);
    let (left, right, top, bottom) = (44.0, 10.0, 24.0, 28.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let max = series.iter().map(|p| p.peak).max().unwrap_or(0).max(1);
    // A round top for the y axis.
    let top_value = [
        1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000,
    ]
    .into_iter()
    .chain((1..).map(|k| 10_000 * k))
    .find(|&v| v >= max)
    .unwrap_or(max);
    let first = from_min / step * step;
    let buckets = ((to_min - first) / step + 1).max(1);
    let x = |m: i64| left + pw * ((m - first) as f64 / (buckets as f64 * step as f64));
    let y = |v: f64| top + ph * (1.0 - v / top_value as f64);
    let mut by_bucket = std::collections::HashMap::new();
    for p in series {
        by_bucket.insert(p.minute, p);
    }
    let mut peak_line = String::new();
    let mut area = format!("{:.1},{:.1} ", x(first), y(0.0));
    for i in 0..buckets {
        let m = first + i * step;
        let (pk, av) = by_bucket
            .get(&m)
            .map_or((0.0, 0.0), |p| (p.peak as f64, p.average));
        let _ = write!(peak_line, "{:.1},{:.1} ", x(m), y(pk));
        let _ = write!(area, "{:.1},{:.1} ", x(m), y(av));
    }
    let _ = write!(area, "{:.1},{:.1}", x(first + (buckets - 1) * step), y(0.0));
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         role=\"img\" aria-label=\"Listeners of {t}\" font-family=\"sans-serif\" font-size=\"11\">\
         <title>Listeners of {t}</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>",
        t = html_escape(title)
    );
    for frac in [0.0, 0.5, 1.0] {
        let v = top_value as f64 * frac;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            w - right,
            left - 4.0,
            y(v) + 4.0,
            v.round() as i64,
            yy = y(v)
        );
    }
    let span_days = (to_min - from_min) as f64 / 1440.0;
    let fmt = if span_days <= 2.0 { "%H:%M" } else { "%d %b" };
    for k in 0..=4 {
        let m = from_min + (to_min - from_min) * k / 4;
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"#555\">{}</text>",
            x(m).clamp(left, w - right),
            h - 8.0,
            minute_time(m).format(fmt)
        );
    }
    let _ = write!(
        svg,
        "<polygon points=\"{area}\" fill=\"#9ecae1\" fill-opacity=\"0.6\"><title>average</title></polygon>\
         <polyline points=\"{}\" fill=\"none\" stroke=\"#08519c\" stroke-width=\"1.5\"><title>peak</title></polyline>\
         <text x=\"{left}\" y=\"14\" fill=\"#222\">Listeners (peak {max}, line; average, area) — UTC</text></svg>",
        peak_line.trim_end()
    );
    svg
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /api/stations/{station}/events`: the station's log, newest first (permission
/// `logs`): DJs refused and why, DJs connected and gone, upstreams failing and back,
/// silence, restarts, files the indexer could not use. A DJ without `logs` gets the
/// entries of their own sets.
pub async fn events(
    State(web): State<Arc<Web>>,
    caller: Caller,
    Path(station): Path<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let a = access(&web, &caller, &station).await?;
    // Without `logs`, a DJ reads the log of their own sets: their logins refused,
    // their connections and disconnections.
    let own = match a.require("logs") {
        Ok(()) => None,
        Err(refused) if a.is_owner() => return Err(refused),
        Err(_) => Some(format!("{} ", caller.user.username.to_lowercase())),
    };
    web.flush_stats().await;
    let store = web.store.clone();
    let list = tokio::task::spawn_blocking(move || store.events(&station, 500)).await??;
    Ok(axum::Json(json!(
        list.iter()
            .filter(|e| own.as_ref().is_none_or(|me| {
                e.kind.starts_with("dj.") && e.message.to_lowercase().starts_with(me.as_str())
            }))
            .map(|e| json!({
                "at": Utc.timestamp_millis_opt(e.at).single().unwrap_or_default().to_rfc3339(),
                "kind": e.kind,
                "message": e.message,
            }))
            .collect::<Vec<_>>()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_pick_a_step_and_refuse_nonsense() {
        let q = StatsQuery {
            range: Some("month".into()),
            to: Some("2026-11-30T00:00:00Z".into()),
            ..Default::default()
        };
        let r = q.range().unwrap();
        assert_eq!(r.step_min, 30);
        assert_eq!((r.to - r.from).num_days(), 30);
        let bad = StatsQuery {
            step: Some(90),
            ..Default::default()
        };
        assert!(bad.range().is_err());
        let bad = StatsQuery {
            from: Some("yesterday".into()),
            ..Default::default()
        };
        assert!(bad.range().unwrap_err().message.contains("from"));
    }

    #[test]
    fn the_chart_is_svg_with_the_peak() {
        let series = vec![radio_store::SeriesPoint {
            minute: 1000,
            peak: 7,
            average: 3.5,
        }];
        let svg = draw(&series, 990, 1010, 1, "rock & roll");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("peak 7") && svg.contains("rock &amp; roll"));
    }
}
