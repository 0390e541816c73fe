//! Running the host: logging, the runtime, the server and its stations, until a signal.

use crate::{config, demo, host, statlog};
use anyhow::Context as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tracing_subscriber::prelude::*;

fn level(n: u8) -> tracing::Level {
    match n {
        1 => tracing::Level::ERROR,
        2 => tracing::Level::WARN,
        3 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    }
}

pub fn run(mut cfg: config::Resolved, demo: bool, media: Vec<PathBuf>) -> anyhow::Result<()> {
    // error.log (when a log directory is set) and stderr, both filtered by level 1–4.
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(level(cfg.logging.level))
        .with_target("symphonia", tracing_subscriber::filter::LevelFilter::OFF)
        .with_target("lofty", tracing_subscriber::filter::LevelFilter::OFF)
        .with_target(
            "radio_sched::harbor",
            tracing_subscriber::filter::LevelFilter::WARN,
        );
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
                "{},symphonia=off,lofty=off,radio_sched::harbor=warn",
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
    let stations = host::Stations::new(&server);
    // The store holds accounts and media for every station; opened (and migrated) first.
    let db = cfg
        .database
        .clone()
        .unwrap_or_else(|| PathBuf::from("radiopoint.db"));
    let admin_password = cfg.server.auth.admin_password.clone();
    let store = tokio::task::spawn_blocking(move || -> anyhow::Result<radio_store::Store> {
        let store = radio_store::Store::open(&db)?;
        crate::web::bootstrap_admin(&store, admin_password.as_deref())?;
        Ok(store)
    })
    .await??;
    let recorder =
        host::record::Recorder::start(store.clone(), &stations, cfg.stats_retention_days);
    let web = Arc::new(crate::web::Web {
        store: store.clone(),
        stations: stations.clone(),
        limiter: crate::web::LoginLimiter::default(),
        secure_cookies: false,
        metrics_token: cfg.metrics_token.clone(),
        data_dir: data_dir(&cfg, &store),
        max_upload: cfg.max_upload,
        import_private: cfg.import_private,
        recorder: Some(recorder.clone()),
        config_file: cfg.file.clone(),
    });
    server.set_host(Arc::new(host::StationHost {
        stations: stations.clone(),
        web: Some(crate::web::router(web)),
        recorder: Some(recorder.clone()),
    }));
    let started = start_stations(&cfg, &server, &stations, store, demo, media, main_addr).await;
    if let Err(e) = started {
        stations.stop_all();
        recorder.stop();
        return Err(e);
    }
    tracing::info!(
        "radiopoint listening on http://{main_addr}/ (Shoutcast v1 sources: {})",
        cfg.shoutcast_port.map_or("off".to_string(), |p| format!(
            "port {p}, mount {}",
            cfg.server.shoutcast_mount
        ))
    );
    server.run(listener, shoutcast, shutdown_signal()).await?;
    let s = stations.clone();
    tokio::task::spawn_blocking(move || {
        s.stop_all();
        // The listeners' sessions, ended by the shutdown, go into the store.
        recorder.stop();
    })
    .await?;
    if let Some(s) = stat {
        s.stop();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Starts the config's stations, the demo or the `--media` station.
async fn start_stations(
    cfg: &config::Resolved,
    server: &radio_net::Server,
    stations: &Arc<host::Stations>,
    store: radio_store::Store,
    demo: bool,
    media: Vec<PathBuf>,
    main_addr: SocketAddr,
) -> anyhow::Result<()> {
    use host::build::Music;
    let runtime = tokio::runtime::Handle::current();
    let clock: Arc<dyn radio_sched::Clock> = Arc::new(radio_sched::SystemClock);
    let mut specs: Vec<config::StationSpec> = cfg.stations.clone();
    if !media.is_empty() {
        for d in &media {
            if !d.is_dir() {
                anyhow::bail!("--media {}: not a folder", d.display());
            }
        }
        specs.push(config::StationSpec::autodj("default", "/radio.mp3", media));
    }
    let store = Some(store);
    for spec in specs {
        let music = match &store {
            Some(s) if !spec.media.is_empty() || !spec.jingles.is_empty() => {
                Music::Store(s.clone())
            }
            _ => Music::Memory(
                Arc::new(radio_sched::autodj::library::MemoryLibrary::files(
                    Vec::new(),
                )),
                Vec::new(),
            ),
        };
        let running = start_one(spec, music, server, &runtime, &clock, Vec::new()).await?;
        if let Some(s) = &store {
            host::apply_bans(s, &running);
        }
        stations.insert(running);
    }
    // Stations made through the API, kept in the store (a config station of the same
    // name wins).
    if let Some(store) = &store {
        let data_dir = data_dir(cfg, store);
        let s = store.clone();
        let saved = tokio::task::spawn_blocking(move || s.station_configs()).await??;
        for (name, json) in saved {
            if stations.get(&name).is_some() {
                tracing::warn!(
                    "station {name} is in the config and in the store; the config's runs"
                );
                continue;
            }
            let spec = serde_json::from_str(&json)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .and_then(|v| {
                    config::resolve_api_station(&v, &data_dir).map_err(|e| anyhow::anyhow!("{e}"))
                });
            match spec {
                Ok(spec) => {
                    let music = Music::Store(store.clone());
                    let mut running =
                        start_one(spec, music, server, &runtime, &clock, Vec::new()).await?;
                    running.from_api = true;
                    host::apply_bans(store, &running);
                    stations.insert(running);
                }
                Err(e) => tracing::error!("station {name} (saved): {e}; not started"),
            }
        }
    }
    if demo {
        let password = cfg
            .server
            .auth
            .source_password
            .clone()
            .unwrap_or_else(|| "hackme".into());
        let dj = radio_station::DjAccount {
            user: demo::DJ.into(),
            password: password.clone(),
            ..Default::default()
        };
        let running = start_one(
            demo::spec(),
            demo::music(),
            server,
            &runtime,
            &clock,
            vec![dj],
        )
        .await?;
        if let Some(s) = &store {
            host::apply_bans(s, &running);
        }
        stations.insert(running);
        println!(
            "radiopoint demo station on air (--no-demo to leave it out):\n  \
             listen:    http://{main_addr}{mp3}  (MP3)   http://{main_addr}{opus}  (Opus)\n  \
             now:       http://{main_addr}/api/nowplaying/demo   (page: http://{main_addr}/station/demo)\n  \
             manage:    http://{main_addr}/ui/  (user admin, password {admin})\n  \
             go live:   mount {live}, user {dj}, password {password} (Icecast 2: BUTT, Mixxx, ffmpeg...)\n  \
             e.g.       ffmpeg -re -i song.mp3 -c:a libmp3lame -b:a 128k -content_type audio/mpeg -f mp3 icecast://{dj}:{password}@{main_addr}{live}",
            mp3 = demo::MOUNT,
            opus = demo::OPUS_MOUNT,
            live = demo::LIVE_MOUNT,
            dj = demo::DJ,
            admin = cfg
                .server
                .auth
                .admin_password
                .as_deref()
                .unwrap_or("(none: set [auth] admin_password)"),
        );
    }
    for r in stations.all() {
        let outputs: Vec<String> = r
            .spec
            .outputs
            .iter()
            .map(|o| format!("http://{main_addr}{} ({})", o.mount, o.format))
            .collect();
        tracing::info!(
            "{} station on air: {}{}",
            r.spec.name,
            outputs.join(", "),
            r.gate
                .as_ref()
                .map(|g| format!("; DJs connect to {}", g.mount()))
                .unwrap_or_default()
        );
        if let (Some(live), Some(_)) = (&r.spec.live, &r.gate)
            && let Some(port) = live.shoutcast_port
        {
            let l = radio_net::bind(SocketAddr::new(main_addr.ip(), port))?;
            server.serve_shoutcast(l, &live.mount);
            tracing::info!(
                "{} station: Shoutcast v1 DJs on port {port} (password \"user:password\")",
                r.spec.name
            );
        }
    }
    Ok(())
}

/// Where stations made through the API keep their files: `[server] data_dir`, else the
/// database's folder.
fn data_dir(cfg: &config::Resolved, store: &radio_store::Store) -> PathBuf {
    cfg.data_dir.clone().unwrap_or_else(|| {
        store
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    })
}

pub async fn start_one(
    spec: config::StationSpec,
    music: host::build::Music,
    server: &radio_net::Server,
    runtime: &tokio::runtime::Handle,
    clock: &Arc<dyn radio_sched::Clock>,
    extra: Vec<radio_station::DjAccount>,
) -> anyhow::Result<host::build::Running> {
    let (server, runtime, clock) = (server.clone(), runtime.clone(), clock.clone());
    // Opening the library, probing show files and starting the watcher block.
    tokio::task::spawn_blocking(move || {
        host::build::start(&spec, music, &server, runtime, clock, extra)
    })
    .await?
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// `radiopoint backup|restore`.
pub(crate) fn command(
    cfg: &config::Resolved,
    config_file: Option<&Path>,
    command: crate::Command,
) -> anyhow::Result<()> {
    let db = cfg
        .database
        .clone()
        .unwrap_or_else(|| PathBuf::from("radiopoint.db"));
    if !db.exists() {
        anyhow::bail!(
            "{}: no database (give --db FILE or --config FILE)",
            db.display()
        );
    }
    let store = radio_store::Store::open(&db)?;
    match command {
        crate::Command::Backup { station, output } => {
            let config = config_file.and_then(|c| crate::backup::config_station(c, &station));
            let output = output.unwrap_or_else(|| {
                PathBuf::from(format!(
                    "{station}-{}.tar.gz",
                    chrono::Local::now().format("%Y%m%d-%H%M%S")
                ))
            });
            if output.as_os_str() == "-" {
                crate::backup::write(&store, &station, config, std::io::stdout().lock())?;
            } else {
                // Written beside, then renamed: a failed backup leaves no half archive.
                let part = output.with_extension("part");
                let file =
                    std::fs::File::create(&part).with_context(|| format!("{}", part.display()))?;
                let done = crate::backup::write(&store, &station, config, file);
                if done.is_err() {
                    let _ = std::fs::remove_file(&part);
                }
                let summary = done?;
                std::fs::rename(&part, &output)?;
                eprintln!(
                    "backed up {station}: {} files, {:.1} MB, to {}",
                    summary.files,
                    summary.bytes as f64 / 1e6,
                    output.display()
                );
            }
        }
        crate::Command::Restore { archive, name } => {
            let data_dir = data_dir(cfg, &store);
            let summary = if archive.as_os_str() == "-" {
                crate::backup::read(&store, std::io::stdin().lock(), &data_dir, name.as_deref())?
            } else {
                let file = std::fs::File::open(&archive)
                    .with_context(|| format!("{}", archive.display()))?;
                crate::backup::read(&store, file, &data_dir, name.as_deref())?
            };
            eprintln!(
                "restored {}: {} files, {:.1} MB, under {}; it starts with radiopoint (a running radiopoint: at its next start)",
                summary.station,
                summary.files,
                summary.bytes as f64 / 1e6,
                data_dir.join("stations").join(&summary.station).display()
            );
        }
    }
    Ok(())
}
