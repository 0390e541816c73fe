//! `content_indexer`: indexes a station's media into the radiopoint database.
//!
//! ```text
//! content_indexer music/                       # station "default" in ./radiopoint.db
//! content_indexer --db /srv/radio.db --station rock /srv/rock/music
//! content_indexer --config radiopoint.toml     # every station's folders, the config's database
//! content_indexer --json music/ | jq .         # a JSON object per file, then a summary
//! ```
//! Never writes the audio files. Exit status 0 when the scan ran (bad files are recorded
//! with the reason and counted as failed), 1 when it could not run (database, folders,
//! another indexer with `--no-wait`), 2 for bad arguments or config.

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use radio_store::{Change, FileReport, Folder, FolderKind, Progress, ScanOptions, Store, Summary};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "content_indexer",
    version,
    about = "Index a station's audio files (tags, duration, loudness, cue points) into the \
             radiopoint database. Files are only read, never rewritten."
)]
struct Args {
    /// The database (default: the config's `[server] database`, else radiopoint.db beside
    /// the config, else ./radiopoint.db).
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// radiopoint's config file: its database and its stations' folders.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The station to index (default: every station of the config, else "default").
    #[arg(long, value_name = "NAME")]
    station: Option<String>,
    /// Print a JSON object per file and a summary object, instead of progress.
    #[arg(long)]
    json: bool,
    /// Files analysed at once (default: all cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Fail at once when another indexer is scanning the station, instead of waiting.
    #[arg(long)]
    no_wait: bool,
    /// Charset of 8-bit tags that are not UTF-8 (default windows-1252; e.g. windows-1251,
    /// iso-8859-2, shift_jis).
    #[arg(long, value_name = "NAME")]
    charset: Option<String>,
    /// Music folders of the station (they replace its stored folders). Without any, the
    /// folders from the config or from the last run are scanned.
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
}

/// A station to scan and its folders.
struct Job {
    station: String,
    folders: Vec<Folder>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,symphonia=off,lofty=off".into()),
        )
        .init();
    let legacy = match &args.charset {
        None => encoding_rs::WINDOWS_1252,
        Some(name) => match encoding_rs::Encoding::for_label(name.as_bytes()) {
            Some(e) => e,
            None => {
                eprintln!("content_indexer: --charset {name}: not a charset name this tool knows");
                return ExitCode::from(2);
            }
        },
    };
    let from_config = match &args.config {
        Some(path) => match ConfigStations::load(path) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("content_indexer: bad config: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let db = args
        .db
        .clone()
        .or_else(|| from_config.as_ref().and_then(|c| c.database.clone()))
        .unwrap_or_else(|| PathBuf::from("radiopoint.db"));
    let store = match Store::open(&db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("content_indexer: {e}");
            return ExitCode::from(1);
        }
    };
    let jobs = match plan(&args, &store, from_config) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("content_indexer: {e}");
            return ExitCode::from(1);
        }
    };
    let options = ScanOptions {
        jobs: args.jobs.unwrap_or(ScanOptions::default().jobs).max(1),
        legacy_charset: legacy,
        wait: !args.no_wait,
        ..ScanOptions::default()
    };
    let mut status = ExitCode::SUCCESS;
    for job in jobs {
        let mut progress: Box<dyn Report> = if args.json {
            Box::new(Json)
        } else if std::io::stderr().is_terminal() {
            Box::new(Bar::new(&job.station))
        } else {
            Box::new(Lines {
                station: job.station.clone(),
            })
        };
        match radio_store::scan(
            &store,
            &job.station,
            &job.folders,
            &options,
            progress.as_mut(),
        ) {
            Ok(summary) => {
                progress.done(&summary);
                // Remembered once they scanned: the next run without folders uses them.
                let stored = store
                    .ensure_station(&job.station)
                    .and_then(|id| store.set_folders(id, &job.folders));
                if let Err(e) = stored {
                    eprintln!("content_indexer: {}: {e}", job.station);
                    status = ExitCode::from(1);
                }
            }
            Err(e) => {
                progress.abandon();
                eprintln!("content_indexer: {}: {e}", job.station);
                status = ExitCode::from(1);
            }
        }
    }
    if let Err(e) = store.checkpoint() {
        eprintln!("content_indexer: {e}");
    }
    status
}

/// Which stations and folders this run scans.
fn plan(args: &Args, store: &Store, config: Option<ConfigStations>) -> Result<Vec<Job>, String> {
    if !args.dirs.is_empty() {
        let station = args
            .station
            .clone()
            .or_else(|| {
                config
                    .as_ref()
                    .filter(|c| c.stations.len() == 1)
                    .map(|c| c.stations[0].station.clone())
            })
            .unwrap_or_else(|| "default".to_string());
        return Ok(vec![Job {
            station,
            folders: args.dirs.iter().map(Folder::media).collect(),
        }]);
    }
    let mut jobs: Vec<Job> = config.map(|c| c.stations).unwrap_or_default();
    if let Some(name) = &args.station {
        jobs.retain(|j| &j.station == name);
        if jobs.is_empty() {
            // Not in the config: the folders this station was last indexed from.
            let folders = match store.station(name).map_err(|e| e.to_string())? {
                Some(id) => store.folders(id).map_err(|e| e.to_string())?,
                None => Vec::new(),
            };
            if folders.is_empty() {
                return Err(format!(
                    "station '{name}' has no folders yet: give them (content_indexer --station \
                     {name} DIR...) or name them in radiopoint's config"
                ));
            }
            jobs.push(Job {
                station: name.clone(),
                folders,
            });
        }
    } else if jobs.is_empty() {
        for (id, name) in store.stations().map_err(|e| e.to_string())? {
            let folders = store.folders(id).map_err(|e| e.to_string())?;
            if !folders.is_empty() {
                jobs.push(Job {
                    station: name,
                    folders,
                });
            }
        }
        if jobs.is_empty() {
            return Err(
                "nothing to index: give the music folders (content_indexer DIR...), or \
                 --config with stations that have media folders"
                    .into(),
            );
        }
    }
    Ok(jobs)
}

/// The parts of radiopoint's config the indexer needs, read leniently (the server
/// validates the rest): `[server] database` and each `[[station]]`'s name and folders,
/// relative paths taken from the config's folder.
struct ConfigStations {
    database: Option<PathBuf>,
    stations: Vec<Job>,
}

impl ConfigStations {
    fn load(path: &Path) -> Result<ConfigStations, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value: toml::Value =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &str| base.join(p);
        let bad = |key: &str, what: &str| format!("{}: {key}: {what}", path.display());
        let database = match value.get("server").and_then(|s| s.get("database")) {
            // Beside the config, as radiopoint keeps it.
            None => Some(resolve("radiopoint.db")),
            Some(toml::Value::String(s)) => Some(resolve(s)),
            Some(_) => return Err(bad("server.database", "expected a file name")),
        };
        let mut stations = Vec::new();
        let list = match value.get("station") {
            None => &Vec::new(),
            Some(toml::Value::Array(a)) => a,
            Some(_) => return Err(bad("station", "expected [[station]] tables")),
        };
        for (i, st) in list.iter().enumerate() {
            let name = st
                .get("name")
                .and_then(|n| n.as_str())
                .ok_or_else(|| bad(&format!("station[{i}].name"), "missing"))?;
            let mut folders = Vec::new();
            for (key, kind) in [
                ("media", FolderKind::Media),
                ("jingles", FolderKind::Jingles),
                ("shows", FolderKind::Shows),
            ] {
                let paths: Vec<&str> = match st.get(key) {
                    None => Vec::new(),
                    Some(toml::Value::String(s)) => vec![s.as_str()],
                    Some(toml::Value::Array(a)) => a
                        .iter()
                        .map(|v| {
                            v.as_str().ok_or_else(|| {
                                bad(&format!("station[{i}].{key}"), "expected folder names")
                            })
                        })
                        .collect::<Result<_, _>>()?,
                    Some(_) => {
                        return Err(bad(
                            &format!("station[{i}].{key}"),
                            "expected a folder or a list of folders",
                        ));
                    }
                };
                folders.extend(paths.into_iter().map(|p| Folder {
                    kind,
                    path: resolve(p),
                }));
            }
            if !folders.is_empty() {
                stations.push(Job {
                    station: name.to_string(),
                    folders,
                });
            }
        }
        Ok(ConfigStations { database, stations })
    }
}

/// Progress with an ending.
trait Report: Progress {
    fn done(&mut self, summary: &Summary);
    fn abandon(&mut self) {}
}

/// `--json`: one object per file on stdout, then `{"summary": {...}}`.
struct Json;

impl Progress for Json {
    fn file(&mut self, report: &FileReport) {
        let mut obj = serde_json::json!({
            "path": report.path,
            "status": report.status,
        });
        if let Some(reason) = &report.reason {
            obj["reason"] = reason.clone().into();
        }
        if let Some(from) = &report.from {
            obj["from"] = from.clone().into();
        }
        if let Some(t) = &report.track {
            obj["id"] = t.id.into();
            obj["tags"] = serde_json::to_value(&t.tags).unwrap_or_default();
            obj["artwork"] = t.artwork.into();
            if let Some(a) = &t.analysis {
                obj["duration"] = a.duration.into();
                obj["loudness"] = a.loudness.into();
                obj["true_peak"] = a.true_peak.into();
                obj["cue_in"] = a.cue_in.into();
                obj["cue_out"] = a.cue_out.into();
                obj["codec"] = a.codec.clone().into();
                obj["sample_rate"] = a.sample_rate.into();
                obj["channels"] = a.channels.into();
                obj["bitrate"] = a.bitrate.into();
            }
        }
        println_json(&obj);
    }
}

impl Report for Json {
    fn done(&mut self, summary: &Summary) {
        println_json(&serde_json::json!({ "summary": summary }));
    }
}

fn println_json(v: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
}

/// Not a terminal: a line per change on stderr, and the summary.
struct Lines {
    station: String,
}

impl Progress for Lines {
    fn waiting(&mut self, holder: &str) {
        eprintln!(
            "{}: another indexer is scanning ({holder}); waiting for it",
            self.station
        );
    }

    fn begin(&mut self, to_analyse: usize, unchanged: usize) {
        eprintln!(
            "{}: {to_analyse} files to analyse, {unchanged} unchanged",
            self.station
        );
    }

    fn file(&mut self, r: &FileReport) {
        if let Some(line) = describe(r) {
            eprintln!("{}: {line}", self.station);
        }
    }
}

impl Report for Lines {
    fn done(&mut self, summary: &Summary) {
        eprintln!("{}: {summary}", self.station);
    }
}

fn describe(r: &FileReport) -> Option<String> {
    Some(match r.status {
        Change::Unchanged => return None,
        Change::Failed => format!(
            "failed {}: {}",
            r.path,
            r.reason.as_deref().unwrap_or("unknown")
        ),
        Change::Moved => format!("moved {} -> {}", r.from.as_deref().unwrap_or("?"), r.path),
        Change::Added => format!("added {}", r.path),
        Change::Updated => format!("updated {}", r.path),
        Change::Removed => format!("removed {}", r.path),
    })
}

/// A terminal: a progress bar with counts and ETA; failures printed above it.
struct Bar {
    station: String,
    bar: ProgressBar,
    counts: Summary,
}

impl Bar {
    fn new(station: &str) -> Bar {
        let bar = ProgressBar::new_spinner();
        bar.set_message(format!("{station}: looking for files"));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar {
            station: station.to_string(),
            bar,
            counts: Summary::default(),
        }
    }
}

impl Progress for Bar {
    fn waiting(&mut self, holder: &str) {
        self.bar.set_message(format!(
            "{}: waiting for another indexer ({holder})",
            self.station
        ));
    }

    fn begin(&mut self, to_analyse: usize, _unchanged: usize) {
        self.bar.set_length(to_analyse as u64);
        self.bar.set_position(0);
        self.bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} {msg} ({per_sec}, ETA {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        self.bar.set_prefix(self.station.clone());
    }

    fn file(&mut self, r: &FileReport) {
        self.counts.add(r.status);
        if matches!(r.status, Change::Added | Change::Updated | Change::Failed) {
            self.bar.inc(1);
        }
        if r.status == Change::Failed
            && let Some(line) = describe(r)
        {
            self.bar.println(line);
        }
        let c = &self.counts;
        self.bar.set_message(format!(
            "{} added, {} updated, {} moved, {} removed, {} failed",
            c.added, c.updated, c.moved, c.removed, c.failed
        ));
    }
}

impl Report for Bar {
    fn done(&mut self, summary: &Summary) {
        self.bar.finish_and_clear();
        eprintln!("{}: {summary}", self.station);
    }

    fn abandon(&mut self) {
        self.bar.abandon();
    }
}
