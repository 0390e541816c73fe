//! Accounts in a real database: users, sessions, API keys, memberships, the audit log.

use radio_store::accounts::secret_hash;
use radio_store::{Role, Store};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("radiopoint.db")).unwrap();
    (dir, store)
}

#[test]
fn users_are_unique_case_insensitively_and_keep_only_hashes() {
    let (dir, store) = store();
    let alice = store.create_user("alice", "$argon2id$fake", false).unwrap();
    assert!(!alice.admin);
    let again = store
        .create_user("Alice", "$argon2id$other", true)
        .unwrap_err();
    assert!(again.to_string().contains("exists already"), "{again}");
    let bad = store.create_user("al ice", "h", false).unwrap_err();
    assert!(bad.to_string().contains("user name"), "{bad}");
    let (found, hash) = store.user_with_hash("ALICE").unwrap().unwrap();
    assert_eq!(
        (found.username.as_str(), hash.as_str()),
        ("alice", "$argon2id$fake")
    );
    store.create_user("bob", "h", true).unwrap();
    let names: Vec<String> = store
        .users()
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    // A session's token is never stored, only its hash.
    store
        .create_session(alice.id, "tok-123", "csrf-1", i64::MAX)
        .unwrap();
    let (u, csrf) = store.session("tok-123").unwrap().unwrap();
    assert_eq!((u.username.as_str(), csrf.as_str()), ("alice", "csrf-1"));
    assert!(store.session("tok-124").unwrap().is_none());
    let db = std::fs::read(dir.path().join("radiopoint.db")).unwrap_or_default();
    let wal = std::fs::read(dir.path().join("radiopoint.db-wal")).unwrap_or_default();
    let raw = [db, wal].concat();
    let has = |needle: &str| raw.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!has("tok-123"), "the token itself is in the database file");
    assert!(has(&secret_hash("tok-123")), "its hash is");
    // Expired sessions do not count; a new password ends the sessions.
    store.create_session(alice.id, "old", "c", 1).unwrap();
    assert!(store.session("old").unwrap().is_none());
    assert!(
        store
            .update_user("alice", Some("$new".into()), None)
            .unwrap()
    );
    assert!(store.session("tok-123").unwrap().is_none());
    assert!(!store.update_user("nobody", None, Some(true)).unwrap());
}

#[test]
fn api_keys_memberships_and_the_audit_log() {
    let (_dir, store) = store();
    let alice = store.create_user("alice", "h", false).unwrap();
    let bob = store.create_user("bob", "h", false).unwrap();
    let id = store.create_api_key(alice.id, "key-abc").unwrap();
    assert_eq!(
        store.api_key_user("key-abc").unwrap().unwrap().username,
        "alice"
    );
    assert!(!store.delete_api_key(bob.id, id).unwrap(), "not bob's key");
    assert!(store.delete_api_key(alice.id, id).unwrap());
    assert!(store.api_key_user("key-abc").unwrap().is_none());
    store.ensure_station("rock").unwrap();
    store.ensure_station("jazz").unwrap();
    store.set_member("rock", "alice", Role::Owner, &[]).unwrap();
    store
        .set_member("rock", "bob", Role::Dj, &["skip".into(), "logs".into()])
        .unwrap();
    store.set_member("jazz", "bob", Role::Owner, &[]).unwrap();
    let m = store.member("rock", "bob").unwrap().unwrap();
    assert_eq!(m.role, Role::Dj);
    assert_eq!(m.permissions, ["skip", "logs"]);
    assert_eq!(store.members("rock").unwrap().len(), 2);
    let bobs: Vec<String> = store
        .memberships("bob")
        .unwrap()
        .into_iter()
        .map(|m| m.station)
        .collect();
    assert_eq!(bobs, ["jazz", "rock"]);
    assert!(store.member("jazz", "alice").unwrap().is_none());
    let missing = store.set_member("pop", "alice", Role::Dj, &[]).unwrap_err();
    assert!(missing.to_string().contains("not found"), "{missing}");
    assert!(store.remove_member("rock", "bob").unwrap());
    assert!(!store.remove_member("rock", "bob").unwrap());
    // Deleting a user takes their memberships with them.
    assert!(store.delete_user("bob").unwrap());
    assert!(store.memberships("bob").unwrap().is_empty());
    store
        .audit(Some("alice"), Some("rock"), "skip", None)
        .unwrap();
    store
        .audit(Some("alice"), Some("rock"), "kick", Some("bob"))
        .unwrap();
    store.audit(None, Some("jazz"), "settings", None).unwrap();
    let log = store.audit_log(Some("rock"), 10).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["kick", "skip"], "newest first, rock only");
    assert_eq!(store.audit_log(None, 10).unwrap().len(), 3);
}
