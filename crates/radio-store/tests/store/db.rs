//! The database: migrations, the writer thread, concurrent writers, integrity.

use radio_store::{Error, Store, schema};

#[test]
fn a_new_database_is_migrated_to_the_current_version_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("radiopoint.db");
    let store = Store::open(&path).unwrap();
    let id = store.ensure_station("rock").unwrap();
    assert_eq!(store.ensure_station("rock").unwrap(), id, "the same row");
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.station("rock").unwrap(), Some(id));
    let (version, journal, fk): (i64, String, i64) = store
        .read(|c| {
            let v = c
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            let j = c
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            let f = c
                .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                .unwrap();
            Ok((v, j, f))
        })
        .unwrap();
    assert_eq!(version, schema::current_version());
    assert_eq!((journal.as_str(), fk), ("wal", 1));
    assert!(store.check_integrity().unwrap().is_empty());
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("radiopoint.db");
    drop(Store::open(&path).unwrap());
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 999).unwrap();
    }
    match Store::open(&path) {
        Err(Error::TooNew { found, .. }) => assert_eq!(found, 999),
        other => panic!("expected TooNew, got {other:?}"),
    }
}

#[test]
fn a_missing_folder_for_the_database_is_a_clear_error() {
    let err = Store::open(std::path::Path::new("/nonexistent/dir/radiopoint.db")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/dir"), "{err}");
}

#[test]
fn bad_station_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    for bad in ["", "a b", "../x", "é", &"x".repeat(65)] {
        let err = store.ensure_station(bad).unwrap_err();
        assert!(err.to_string().contains("station name"), "{err}");
    }
}

#[test]
fn writes_from_many_threads_and_two_handles_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("radiopoint.db");
    let a = Store::open(&path).unwrap();
    // A second handle on the same file is what a second process is to SQLite.
    let b = Store::open(&path).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                for j in 0..25 {
                    s.ensure_station(&format!("s{i}-{j}")).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(a.stations().unwrap().len(), 200);
    assert!(a.check_integrity().unwrap().is_empty());
}

#[test]
fn a_failing_write_rolls_back_and_the_writer_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let r: radio_store::Result<()> = store.write(|tx| {
        tx.execute(
            "INSERT INTO stations (name, created) VALUES ('half', 0)",
            [],
        )
        .unwrap();
        Err(Error::Invalid("changed my mind".into()))
    });
    assert!(r.is_err());
    let r: radio_store::Result<()> = store.write(|tx| {
        tx.execute(
            "INSERT INTO stations (name, created) VALUES ('panicky', 0)",
            [],
        )
        .unwrap();
        panic!("a bug in a write");
    });
    assert!(matches!(r, Err(Error::Closed)), "the caller hears of it");
    assert_eq!(store.station("half").unwrap(), None);
    assert_eq!(store.station("panicky").unwrap(), None);
    store.ensure_station("after").unwrap();
    assert!(store.station("after").unwrap().is_some());
}
