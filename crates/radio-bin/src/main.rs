//! `radiopoint`: the station host — the streaming server and the stations of the config
//! (or the demo station, or the AutoDJ of a music folder).
//!
//! ```text
//! radiopoint                          # embedded default: 127.0.0.1:8000, password hackme
//! radiopoint --media ~/Music          # AutoDJ of a folder on /radio.mp3 (indexed, watched)
//! radiopoint --config radiopoint.toml # our TOML config (see README)
//! radiopoint --config config.json     # PenguinCast's config.json, unchanged
//! ```
//! A bad config is reported with the key and the problem, and exits with status 2.

mod backup;
mod config;
mod demo;
mod host;
pub mod run;
mod statlog;
mod web;

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "radiopoint",
    version,
    about = "Internet-radio station engine: Icecast/Shoutcast-compatible streaming server"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Config file: radiopoint TOML, or PenguinCast's config.json.
    #[arg(short, long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Listen on this port instead of the configured one.
    #[arg(short, long)]
    port: Option<u16>,
    /// Listen on this address (`ADDR` or `ADDR:PORT`) instead of the configured one.
    #[arg(short, long, value_name = "ADDR[:PORT]")]
    bind: Option<String>,
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
    #[arg(long, value_name = "FILE", global = true)]
    db: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Writes a station (rows, settings, media, artwork) to one .tar.gz; safe while it runs.
    Backup {
        /// The station.
        station: String,
        /// The archive (default: STATION-YYYYmmdd-HHMMSS.tar.gz here; - for stdout).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Restores a station from a backup; its files go under [server] data_dir/stations/NAME.
    Restore {
        /// The archive (- for stdin).
        archive: PathBuf,
        /// Restore it under this name instead of its own.
        #[arg(long = "as", value_name = "NAME")]
        name: Option<String>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut cfg = match &args.config {
        Some(path) => match config::load(path) {
            Ok(mut c) => {
                c.file = Some(path.clone());
                c
            }
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
    if let Some(b) = &args.bind {
        match parse_bind(b) {
            Ok((ip, port)) => {
                cfg.bind = ip;
                if let Some(p) = port.filter(|_| args.port.is_none()) {
                    cfg.port = p;
                    if cfg.shoutcast_port.is_some() {
                        cfg.shoutcast_port = p.checked_add(1);
                    }
                }
            }
            Err(e) => {
                eprintln!("radiopoint: --bind {b}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if args.check {
        println!("config OK");
        return ExitCode::SUCCESS;
    }
    if let Some(command) = args.command {
        return match run::command(&cfg, args.config.as_deref(), command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("radiopoint: {e:#}");
                ExitCode::from(1)
            }
        };
    }
    match run::run(cfg, demo, args.media) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("radiopoint: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `ADDR`, `ADDR:PORT` or `[V6]:PORT`.
fn parse_bind(s: &str) -> Result<(std::net::IpAddr, Option<u16>), String> {
    if let Ok(ip) = s.parse() {
        return Ok((ip, None));
    }
    match s.parse::<SocketAddr>() {
        Ok(a) if a.port() != 0 => Ok((a.ip(), Some(a.port()))),
        Ok(_) => Err("the port must be from 1 to 65535".into()),
        Err(_) => Err("not an address (e.g. 0.0.0.0, 127.0.0.1:8000 or [::1]:8000)".into()),
    }
}
