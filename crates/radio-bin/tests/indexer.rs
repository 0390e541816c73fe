//! `content_indexer` as a user runs it: JSON lines, exit codes, the config, the station
//! lock, and `kill -9` in the middle of a scan.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;

use common::{temp_dir, write_wav};

const BIN: &str = env!("CARGO_BIN_EXE_content_indexer");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn summary(lines: &[serde_json::Value]) -> serde_json::Value {
    lines.last().unwrap()["summary"].clone()
}

#[test]
fn a_folder_is_indexed_with_a_json_line_per_file_and_a_summary() {
    let dir = temp_dir("json");
    let music = dir.join("music");
    std::fs::create_dir(&music).unwrap();
    write_wav(&music.join("Some Artist - A Song.wav"), 2.0, 440.0);
    std::fs::write(music.join("broken.mp3"), b"this is no mp3").unwrap();
    std::fs::write(music.join("cover.jpg"), b"not audio, not scanned").unwrap();
    let out = run(&dir, &["--json", "music"]);
    assert!(
        out.status.success(),
        "bad files do not fail the run: {out:?}"
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let song = lines
        .iter()
        .find(|l| l["path"].as_str().unwrap().ends_with("A Song.wav"))
        .unwrap();
    assert_eq!(song["status"], "added");
    assert_eq!(song["tags"]["artist"], "Some Artist");
    assert_eq!(song["tags"]["title"], "A Song");
    assert!((song["duration"].as_f64().unwrap() - 2.0).abs() < 0.001);
    assert!(song["loudness"].as_f64().unwrap() < -10.0);
    assert!(song["true_peak"].as_f64().unwrap() < -11.0);
    let bad = lines
        .iter()
        .find(|l| l["path"].as_str().unwrap().ends_with("broken.mp3"))
        .unwrap();
    assert_eq!(bad["status"], "failed");
    assert!(
        bad["reason"]
            .as_str()
            .unwrap()
            .contains("not a supported audio file")
    );
    let s = summary(&lines);
    assert_eq!(
        (s["added"].as_u64(), s["failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(dir.join("radiopoint.db").exists(), "the default database");
    let log = std::fs::read_to_string(dir.join("stations/default/indexer.log")).unwrap();
    assert!(
        log.contains("broken.mp3: not a supported audio file"),
        "{log}"
    );

    // Again, with the folders remembered: nothing opened.
    let out = run(&dir, &["--json"]);
    assert!(out.status.success(), "{out:?}");
    let s = summary(&json_lines(&out));
    assert_eq!(
        (s["unchanged"].as_u64(), s["added"].as_u64()),
        (Some(2), Some(0))
    );
}

#[test]
fn plain_output_off_a_terminal_is_log_lines_and_a_summary() {
    let dir = temp_dir("plain");
    std::fs::create_dir(dir.join("m")).unwrap();
    write_wav(&dir.join("m/one.wav"), 1.0, 440.0);
    let out = run(&dir, &["--station", "rock", "m"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rock: 1 files to analyse, 0 unchanged"),
        "{err}"
    );
    assert!(
        err.contains("rock: added ") && err.contains("one.wav"),
        "{err}"
    );
    assert!(
        err.contains("rock: 1 added, 0 updated, 0 moved, 0 removed, 0 failed, 0 unchanged in"),
        "{err}"
    );
}

#[test]
fn exit_status_says_whether_the_scan_could_run() {
    let dir = temp_dir("exit");
    let out = run(&dir, &["no-such-folder"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-folder"), "{err}");

    let out = run(&dir, &["--db", "/nonexistent/x/radiopoint.db", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x"));

    let out = run(&dir, &[]);
    assert_eq!(out.status.code(), Some(1), "nothing to index");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to index"));

    let out = run(&dir, &["--jobs", "many"]);
    assert_eq!(out.status.code(), Some(2), "bad arguments");

    let out = run(&dir, &["--charset", "klingon", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("klingon"));
}

#[test]
fn the_config_names_the_database_and_the_stations_folders() {
    let dir = temp_dir("config");
    for d in ["rock/music", "rock/jingles", "jazz", "data"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    write_wav(&dir.join("rock/music/r.wav"), 1.0, 440.0);
    write_wav(&dir.join("rock/jingles/j.wav"), 0.5, 880.0);
    write_wav(&dir.join("jazz/z.wav"), 1.0, 220.0);
    std::fs::write(
        dir.join("radiopoint.toml"),
        "[server]\ndatabase = \"data/radio.db\"\n\n[[station]]\nname = \"rock\"\n\
         media = [\"rock/music\"]\njingles = \"rock/jingles\"\n\n[[station]]\nname = \"jazz\"\n\
         media = [\"jazz\"]\n",
    )
    .unwrap();
    // From another working directory: paths are the config's.
    let out = run(
        &std::env::temp_dir(),
        &["--config", dir.join("radiopoint.toml").to_str().unwrap()],
    );
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rock: 2 added") && err.contains("jazz: 1 added"),
        "{err}"
    );
    let store = radio_store::Store::open(&dir.join("data/radio.db")).unwrap();
    let rock = store.station("rock").unwrap().unwrap();
    let kinds: Vec<_> = store.tracks(rock).unwrap().iter().map(|t| t.kind).collect();
    assert!(
        kinds.contains(&radio_store::FolderKind::Jingles),
        "{kinds:?}"
    );

    std::fs::write(dir.join("bad.toml"), "[[station]]\nmedia = [\"x\"]\n").unwrap();
    let out = run(&dir, &["--config", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("station[0].name"));
}

#[test]
fn a_second_indexer_waits_or_with_no_wait_says_one_is_running() {
    let dir = temp_dir("lock");
    std::fs::create_dir(dir.join("m")).unwrap();
    write_wav(&dir.join("m/a.wav"), 1.0, 440.0);
    let held = radio_store::media::lock::StationLock::acquire(
        &dir.join("radiopoint.db"),
        "default",
        false,
        &mut |_| {},
    )
    .unwrap();
    let out = run(&dir, &["--no-wait", "m"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another indexer is scanning station 'default'"),
        "{err}"
    );
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );

    // Without --no-wait it says so and waits; it finishes once the lock is released.
    let mut child = Command::new(BIN)
        .current_dir(&dir)
        .arg("m")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("waiting for it"), "{line}");
    drop(held);
    assert!(child.wait().unwrap().success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(rest.contains("1 added"), "{rest}");
}

#[test]
fn kill_9_in_the_middle_of_a_scan_leaves_a_consistent_database_and_the_next_run_finishes() {
    let dir = temp_dir("kill9");
    std::fs::create_dir(dir.join("m")).unwrap();
    let n = 60;
    for i in 0..n {
        write_wav(
            &dir.join(format!("m/{i:03}.wav")),
            4.0,
            200.0 + i as f64 * 10.0,
        );
    }
    let mut child = Command::new(BIN)
        .current_dir(&dir)
        .args(["--json", "--jobs", "1", "m"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once some files are committed, while others are being analysed.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut committed = 0;
    let mut line = String::new();
    while committed < 5 {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the scan ended before the kill"
        );
        committed += usize::from(line.contains("\"added\""));
    }
    // Child::kill is SIGKILL on Unix: no chance to clean up, as with `kill -9`.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );

    let store = radio_store::Store::open(&dir.join("radiopoint.db")).unwrap();
    assert_eq!(store.check_integrity().unwrap(), Vec::<String>::new());
    let station = store.station("default").unwrap().unwrap();
    let partial = store.tracks(station).unwrap().len();
    assert!(
        (5..n).contains(&partial),
        "{partial} of {n} indexed when killed"
    );

    let out = run(&dir, &["--json", "m"]);
    assert!(out.status.success(), "{out:?}");
    let s = summary(&json_lines(&out));
    assert_eq!(s["added"].as_u64(), Some((n - partial) as u64), "{s}");
    assert_eq!(s["unchanged"].as_u64(), Some(partial as u64), "{s}");
    assert_eq!(s["failed"].as_u64(), Some(0));
    let tracks = store.tracks(station).unwrap();
    assert_eq!(tracks.len(), n);
    assert!(tracks.iter().all(|t| t.status == radio_store::Status::Ok));
    assert_eq!(store.check_integrity().unwrap(), Vec::<String>::new());
}
