//! `radiopoint`: the station host. For now it runs the streaming server, the demo station
//! and the AutoDJ of a music folder.
//!
//! ```text
//! radiopoint                          # embedded default: 127.0.0.1:8000, password hackme
//! radiopoint --media ~/Music          # AutoDJ of a folder on /radio.mp3 (indexed, watched)
//! radiopoint --config radiopoint.toml # our TOML config (see README)
//! radiopoint --config config.json     # PenguinCast's config.json, unchanged
//! ```
//! A bad config is reported with the key and the problem, and exits with status 2.

mod config;
mod demo;
mod media;
mod onair;
mod statlog;

use anyhow::Context as _;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::prelude::*;

#[derive(Debug, Parser)]
#[command(
    name = "radiopoint",
    version,
    about = "Internet-radio station engine: Icecast/Shoutcast-compatible streaming server"
)]
struct Args {
    /// Config file: radiopoint TOML, or PenguinCast's config.json.
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Listen on this port instead of the configured one.
    #[arg(short, long)]
    port: Option<u16>,
    /// Listen on this address instead of the configured one.
    #[arg(short, long)]
    bind: Option<std::net::IpAddr>,
    /// Check the config and exit.
    #[arg(long)]
    check: bool,
    /// Without a config file, do not start the demo station on /demo.mp3.
    #[arg(long)]
    no_demo: bool,
    /// AutoDJ this music folder on /radio.mp3 (indexed, then watched); repeat for more.
    #[arg(long, value_name = "DIR")]
    media: Vec<PathBuf>,
    /// The database (default: the config's `[server] database`, else ./radiopoint.db).
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut cfg = match &args.config {
        Some(path) => match config::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("radiopoint: bad config: {e}");
                return ExitCode::from(2);
            }
        },
        None => config::Resolved::embedded(),
    };
    let demo = args.config.is_none() && !args.no_demo && args.media.is_empty();
    if let Some(db) = &args.db {
        cfg.database = Some(db.clone());
    }
    if let Some(p) = args.port {
        cfg.port = p;
        if cfg.shoutcast_port.is_some() {
            cfg.shoutcast_port = p.checked_add(1);
        }
    }
    if let Some(b) = args.bind {
        cfg.bind = b;
    }
    if args.check {
        println!("config OK");
        return ExitCode::SUCCESS;
    }
    match run(cfg, demo, args.media) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("radiopoint: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn level(n: u8) -> tracing::Level {
    match n {
        1 => tracing::Level::ERROR,
        2 => tracing::Level::WARN,
        3 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    }
}

fn run(mut cfg: config::Resolved, demo: bool, media: Vec<PathBuf>) -> anyhow::Result<()> {
    // error.log (when a log directory is set) and stderr, both filtered by level 1–4.
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(level(cfg.logging.level))
        .with_target("symphonia", tracing_subscriber::filter::LevelFilter::OFF)
        .with_target("lofty", tracing_subscriber::filter::LevelFilter::OFF);
    let mut _guard = None;
    let file_layer = match &cfg.logging.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create log directory {}", dir.display()))?;
            let path = dir.join("error.log");
            // PenguinCast's Logsize: keep error.log under this many KiB by rotating it
            // to error.log.1 at start.
            if let Some(max) = cfg.logging.max_error_log_kib
                && std::fs::metadata(&path).is_ok_and(|m| m.len() > max * 1024)
            {
                std::fs::rename(&path, dir.join("error.log.1"))
                    .with_context(|| format!("cannot rotate {}", path.display()))?;
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("error.log"))
                .with_context(|| format!("cannot open {}", dir.join("error.log").display()))?;
            let (writer, guard) = tracing_appender::non_blocking(file);
            _guard = Some(guard);
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(writer)
                    .with_ansi(false)
                    .with_target(false)
                    .with_filter(filter),
            )
        }
        None => None,
    };
    // symphonia and lofty log every oddity of every media file at info/warn; the library
    // records what matters on the track (and in the station's indexer.log).
    let stderr_filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(format!(
                "{},symphonia=off,lofty=off",
                level(cfg.logging.level).as_str()
            ))
        });
    tracing_subscriber::registry()
        .with(file_layer)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .with_filter(stderr_filter),
        )
        .init();
    if cfg.logging.access_log
        && let Some(dir) = &cfg.logging.dir
    {
        cfg.server.access_log = Some(dir.join("access.log"));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("radiopoint")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(cfg, demo, media))
}

async fn serve(cfg: config::Resolved, demo: bool, media: Vec<PathBuf>) -> anyhow::Result<()> {
    let server = radio_net::Server::new(cfg.server.clone())?;
    let main_addr = SocketAddr::new(cfg.bind, cfg.port);
    let listener = radio_net::bind(main_addr)?;
    let shoutcast = match cfg.shoutcast_port {
        Some(p) => Some(radio_net::bind(SocketAddr::new(cfg.bind, p))?),
        None => None,
    };
    for p in &cfg.pushes {
        server.push_mount(&p.mount, p.push.clone())?;
    }
    let stat = match (cfg.logging.stat_interval, &cfg.logging.dir) {
        (Some(every), Some(dir)) => Some(statlog::start(
            &dir.join("stat.log"),
            every,
            server.clone(),
        )?),
        _ => None,
    };
    let demo = if demo {
        let station = demo::start(&server)?;
        tracing::info!(
            "demo station on air: http://{main_addr}{} (--no-demo to leave it out)",
            demo::MOUNT
        );
        Some(station)
    } else {
        None
    };
    let media = if media.is_empty() {
        None
    } else {
        let db = cfg
            .database
            .clone()
            .unwrap_or_else(|| PathBuf::from("radiopoint.db"));
        let srv = server.clone();
        let dirs = media.clone();
        // Opening the store and starting the watcher are blocking work.
        let station = tokio::task::spawn_blocking(move || media::start(&srv, &db, &dirs)).await??;
        tracing::info!(
            "AutoDJ of {} on air: http://{main_addr}{}",
            media
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            media::MOUNT
        );
        Some(station)
    };
    tracing::info!(
        "radiopoint listening on http://{main_addr}/ (Shoutcast v1 sources: {})",
        cfg.shoutcast_port.map_or("off".to_string(), |p| format!(
            "port {p}, mount {}",
            cfg.server.shoutcast_mount
        ))
    );
    server.run(listener, shoutcast, shutdown_signal()).await?;
    if let Some(d) = demo {
        d.stop();
    }
    if let Some(m) = media {
        tokio::task::spawn_blocking(move || m.stop()).await?;
    }
    if let Some(s) = stat {
        s.stop();
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
