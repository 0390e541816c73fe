//! The hosting platform's store under load: listener statistics as the API serves them.
//!
//! - `stats/month_per_minute_100_mounts`: a station with 100 mounts and a month of
//!   per-minute counts (4.32 million mount rows, 43,200 station rows): the month at
//!   per-minute resolution, as `GET /api/stations/{s}/stats?range=month&step=60` reads it;
//! - `stats/month_hourly`: the same month in hourly steps (the chart);
//! - `stats/session_summary_month`: sessions, unique listeners and hours of a month of one
//!   million sessions.
//!
//! Before measuring, it prints the store's size per million listener sessions (the README
//! figure). Run with `cargo bench --bench platform`.

use criterion::{Criterion, criterion_group, criterion_main};
use radio_store::{ListenerSession, MinuteCount, StationMinute, Store};
use std::hint::black_box;

const MOUNTS: usize = 100;
const MINUTES: i64 = 30 * 1440;
const SESSIONS: usize = 1_000_000;

fn size(path: &std::path::Path) -> u64 {
    let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
    std::fs::metadata(path).map_or(0, |m| m.len()) + std::fs::metadata(wal).map_or(0, |m| m.len())
}

fn month_of_minutes(store: &Store, start: i64) {
    for day in 0..30 {
        let mut mounts = Vec::with_capacity(MOUNTS * 1440);
        let mut totals = Vec::with_capacity(1440);
        for m in 0..1440 {
            let minute = start + day * 1440 + m;
            let mut total = 0;
            for k in 0..MOUNTS {
                // A daily curve, different per mount.
                let n = 20 + ((minute + k as i64 * 7) % 1440 - 720).abs() / 10;
                total += n;
                mounts.push(MinuteCount {
                    mount: format!("/big-{k}.mp3"),
                    station: Some("big".into()),
                    minute,
                    listeners: n,
                });
            }
            totals.push(StationMinute {
                station: "big".into(),
                minute,
                listeners: total,
            });
        }
        store.record_minutes(mounts).unwrap();
        store.record_station_minutes(totals).unwrap();
    }
}

fn sessions(store: &Store, start_ms: i64) {
    let agents = [
        "VLC/3.0.18 LibVLC/3.0.18",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0 Safari/537.36",
        "iTunes/12.12 (Windows; Microsoft Windows 10 x64) AppleWebKit/7613.2007",
        "Lavf/59.27.100",
    ];
    for batch in 0..(SESSIONS / 10_000) {
        let rows = (0..10_000)
            .map(|i| {
                let n = batch * 10_000 + i;
                ListenerSession {
                    station: Some("big".into()),
                    mount: format!("/big-{}.mp3", n % MOUNTS),
                    started: start_ms + (n as i64 * 2_592_000_000 / SESSIONS as i64),
                    duration_ms: 60_000 + (n as i64 * 7919) % 3_600_000,
                    bytes: 1_000_000 + (n as i64 * 104_729) % 50_000_000,
                    ip: format!("10.{}.{}.{}", n % 7, (n / 7) % 250, (n / 1750) % 250),
                    user_agent: agents[n % agents.len()].to_string(),
                }
            })
            .collect();
        store.record_sessions(rows).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    // Sessions alone first: the size per million sessions.
    let sdb = dir.path().join("sessions.db");
    let store = Store::open(&sdb).unwrap();
    let empty = size(&sdb);
    let start_ms = 1_790_000_000_000;
    sessions(&store, start_ms);
    store.checkpoint().unwrap();
    let per_million = (size(&sdb) - empty) as f64 * 1_000_000.0 / SESSIONS as f64;
    eprintln!(
        "store: {:.0} MB per million listener sessions ({:.0} bytes each, indexes included)",
        per_million / 1e6,
        per_million / 1e6
    );
    let start = start_ms / 60_000;
    month_of_minutes(&store, start);
    store.checkpoint().unwrap();
    eprintln!(
        "store: {:.0} MB with a month of per-minute counts of {MOUNTS} mounts and {SESSIONS} sessions",
        size(&sdb) as f64 / 1e6
    );
    let t = std::time::Instant::now();
    let cold = store
        .session_summary("big", start_ms, start_ms + 2_592_000_000)
        .unwrap();
    eprintln!(
        "store: first month summary (sums up 30 days, kept): {:.0} ms, {} sessions, {} listeners",
        t.elapsed().as_secs_f64() * 1000.0,
        cold.sessions,
        cold.unique
    );
    let mut g = c.benchmark_group("stats");
    g.sample_size(20);
    g.bench_function("month_per_minute_100_mounts", |b| {
        b.iter(|| {
            let s = store
                .listener_series("big", start, start + MINUTES - 1, 1)
                .unwrap();
            assert_eq!(s.len(), MINUTES as usize);
            black_box(s)
        })
    });
    g.bench_function("month_hourly", |b| {
        b.iter(|| {
            black_box(
                store
                    .listener_series("big", start, start + MINUTES - 1, 60)
                    .unwrap(),
            )
        })
    });
    g.bench_function("session_summary_month", |b| {
        b.iter(|| {
            black_box(
                store
                    .session_summary("big", start_ms, start_ms + 2_592_000_000)
                    .unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
