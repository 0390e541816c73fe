//! Station backups: one `.tar.gz` with a station's rows, settings and files, and back.
//!
//! The archive holds, in this order:
//! - `radiopoint-backup.json`: the manifest (format, station, when, folders, settings);
//! - `store.json`: the station's rows ([`radio_store::StationDump`]: tracks with their
//!   analysis, artwork, playlists, history, members, logs, statistics);
//! - `files/{i}/...`: the files of the station's folder `i` (media, jingles), as they are.
//!
//! Restoring puts the files under `{data_dir}/stations/{name}/` (`media`, `jingles`, ...),
//! with their times kept so the indexer finds every track unchanged, and the rows into the
//! store with paths moved there; the station then runs from the store (as a station made
//! through the API) with the settings it had.

use anyhow::{Context, bail};
use radio_store::{StationDump, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// The manifest's name in the archive.
pub const MANIFEST: &str = "radiopoint-backup.json";
const ROWS: &str = "store.json";

/// What the archive says about itself.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// 1.
    pub format: u32,
    /// The station.
    pub station: String,
    /// When it was made (RFC 3339).
    pub made: String,
    /// The radiopoint that made it.
    pub radiopoint: String,
    /// The station's folders, by index in `files/`.
    pub folders: Vec<FolderEntry>,
    /// The station's `[[station]]` keys (JSON), when known.
    pub config: Option<Value>,
}

/// One folder of the station.
#[derive(Debug, Serialize, Deserialize)]
pub struct FolderEntry {
    /// `media`, `jingles`, `shows`.
    pub kind: String,
    /// Where it was.
    pub path: String,
}

/// What a backup or restore did.
#[derive(Debug, Default)]
pub struct Summary {
    /// The station.
    pub station: String,
    /// Files archived or restored.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// The settings restored (for starting the station).
    pub config: Option<Value>,
}

/// Writes the backup of `station` to `out`. `config`: its settings when the store does
/// not hold them (a station of the config file). Blocking.
pub fn write(
    store: &Store,
    station: &str,
    config: Option<Value>,
    out: impl Write,
) -> anyhow::Result<Summary> {
    let dump = store.export_station(station)?;
    let config = dump
        .rows("station_configs")
        .first()
        .and_then(|r| r.get("spec"))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .or(config);
    let folders: Vec<FolderEntry> = dump
        .rows("folders")
        .iter()
        .map(|r| FolderEntry {
            kind: r["kind"].as_str().unwrap_or("media").to_string(),
            path: r["path"].as_str().unwrap_or("").to_string(),
        })
        .collect();
    let manifest = Manifest {
        format: 1,
        station: station.to_string(),
        made: chrono::Utc::now().to_rfc3339(),
        radiopoint: env!("CARGO_PKG_VERSION").to_string(),
        folders,
        config,
    };
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    tar.follow_symlinks(false);
    let mut add_json = |name: &str, v: &[u8]| -> anyhow::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_size(v.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(chrono::Utc::now().timestamp().max(0) as u64);
        h.set_cksum();
        tar.append_data(&mut h, name, v)?;
        Ok(())
    };
    add_json(MANIFEST, &serde_json::to_vec_pretty(&manifest)?)?;
    add_json(ROWS, &serde_json::to_vec(&dump)?)?;
    let mut summary = Summary {
        station: station.to_string(),
        ..Summary::default()
    };
    for (i, f) in manifest.folders.iter().enumerate() {
        let root = PathBuf::from(&f.path);
        if !root.is_dir() {
            tracing::warn!("backup of {station}: folder {} is missing", root.display());
            continue;
        }
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))?;
            for e in entries {
                let e = e?;
                let path = e.path();
                let kind = e.file_type()?;
                let hidden = e.file_name().to_string_lossy().starts_with('.');
                if hidden || kind.is_symlink() {
                    continue;
                }
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() {
                    let rel = path.strip_prefix(&root).unwrap_or(&path);
                    let name = Path::new("files").join(i.to_string()).join(rel);
                    let mut file = std::fs::File::open(&path)
                        .with_context(|| format!("{}", path.display()))?;
                    tar.append_file(&name, &mut file)
                        .with_context(|| format!("archiving {}", path.display()))?;
                    summary.files += 1;
                    summary.bytes += e.metadata()?.len();
                }
            }
        }
    }
    tar.into_inner()?.finish()?.flush()?;
    Ok(summary)
}

/// Restores a backup from `archive` into `store`, its files under
/// `{data_dir}/stations/{name}` (`name`: the station's own, unless given). Refuses, before
/// writing anything, a station that exists or a folder that is not empty. Blocking.
pub fn read(
    store: &Store,
    archive: impl Read,
    data_dir: &Path,
    name: Option<&str>,
) -> anyhow::Result<Summary> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let mut entries = tar.entries().context("not a radiopoint backup (.tar.gz)")?;
    let mut next_json = |what: &str| -> anyhow::Result<Vec<u8>> {
        let mut e = entries
            .next()
            .with_context(|| format!("not a radiopoint backup: no {what}"))?
            .context("not a radiopoint backup (.tar.gz)")?;
        if e.path()?.as_os_str() != what {
            bail!("not a radiopoint backup: {what} is not where it belongs");
        }
        let mut v = Vec::new();
        e.read_to_end(&mut v)?;
        Ok(v)
    };
    let manifest: Manifest = serde_json::from_slice(&next_json(MANIFEST)?)
        .with_context(|| format!("{MANIFEST} is not valid"))?;
    if manifest.format != 1 {
        bail!(
            "backup format {} is not known to this radiopoint",
            manifest.format
        );
    }
    let name = name.unwrap_or(&manifest.station).to_string();
    radio_store::stations::check_name(&name)?;
    if store.station(&name)?.is_some() {
        bail!("station {name} exists already (restore it under another name with --as NAME)");
    }
    let base = data_dir.join("stations").join(&name);
    if base.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} exists and is not empty; remove it or restore under another name",
            base.display()
        );
    }
    // Folder i goes to base/kind, or base/kind-i for a second folder of a kind.
    let mut targets = Vec::new();
    for (i, f) in manifest.folders.iter().enumerate() {
        let kind = match f.kind.as_str() {
            k @ ("media" | "jingles" | "shows") => k,
            other => bail!("backup: unknown folder kind {other:?}"),
        };
        let first = manifest.folders[..i].iter().all(|g| g.kind != f.kind);
        let dir = if first {
            base.join(kind)
        } else {
            base.join(format!("{kind}-{i}"))
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
        targets.push((f.path.clone(), dir));
    }
    let dump: StationDump = serde_json::from_slice(&next_json(ROWS)?)
        .with_context(|| format!("{ROWS} is not valid"))?;
    let mut summary = Summary {
        station: name.clone(),
        ..Summary::default()
    };
    for e in entries {
        let mut e = e?;
        if !e.header().entry_type().is_file() {
            continue;
        }
        let path = e.path()?.into_owned();
        let mut parts = path.components();
        let (Some(Component::Normal(files)), Some(Component::Normal(idx))) =
            (parts.next(), parts.next())
        else {
            bail!("backup: unexpected entry {}", path.display());
        };
        let rel: PathBuf = parts.collect();
        // Only plain names below the folder: nothing can land outside it.
        if files != "files"
            || rel.as_os_str().is_empty()
            || rel.components().any(|c| !matches!(c, Component::Normal(_)))
        {
            bail!("backup: refusing entry {}", path.display());
        }
        let i: usize = idx
            .to_str()
            .and_then(|s| s.parse().ok())
            .filter(|&i| i < targets.len())
            .with_context(|| format!("backup: entry {} has no folder", path.display()))?;
        let dest = targets[i].1.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        summary.bytes += e.header().size()?;
        e.set_preserve_mtime(true);
        e.unpack(&dest)
            .with_context(|| format!("restoring {}", dest.display()))?;
        summary.files += 1;
    }
    let moves: Vec<(String, String)> = targets
        .iter()
        .map(|(old, new)| (old.clone(), new.display().to_string()))
        .collect();
    let move_path = move |p: &str| -> String {
        for (old, new) in &moves {
            if let Some(rest) = p.strip_prefix(old.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return format!("{new}{rest}");
            }
        }
        p.to_string()
    };
    // The settings, with the folders where they are now.
    let mut config = manifest
        .config
        .clone()
        .unwrap_or_else(|| serde_json::json!({}));
    if let Some(obj) = config.as_object_mut() {
        obj.insert("name".into(), Value::from(name.clone()));
        for kind in ["media", "jingles"] {
            let dirs: Vec<Value> = manifest
                .folders
                .iter()
                .zip(&targets)
                .filter(|(f, _)| f.kind == kind)
                .map(|(_, (_, d))| Value::from(d.display().to_string()))
                .collect();
            if dirs.is_empty() {
                obj.remove(kind);
            } else {
                obj.insert(kind.into(), Value::Array(dirs));
            }
        }
    }
    store.import_station(dump, &name, Some(config.to_string()), move_path)?;
    summary.config = Some(config);
    Ok(summary)
}

/// The `[[station]]` table of `name` in a TOML config file, as JSON (for the backup of a
/// station of the config file).
pub fn config_station(config: &Path, name: &str) -> Option<Value> {
    let text = std::fs::read_to_string(config).ok()?;
    let doc: toml::Value = toml::from_str(&text).ok()?;
    let table = doc
        .get("station")?
        .as_array()?
        .iter()
        .find(|s| s.get("name").and_then(|n| n.as_str()) == Some(name))?;
    serde_json::to_value(table).ok()
}
