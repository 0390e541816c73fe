//! Accounts: users, browser sessions, API keys, who may do what on which station, and the
//! audit log of what they did.
//!
//! The store keeps only hashes: passwords as the PHC strings the caller made (argon2id in
//! the host, off its reactor), session tokens and API keys as BLAKE3 hashes of the random
//! secrets the caller hands out once. Usernames compare case-insensitively.

use crate::error::{Error, Result, SqlContext};
use crate::store::Store;
use rusqlite::{OptionalExtension, params};

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Administrator of the whole server.
    pub admin: bool,
    /// When it was made (Unix seconds).
    pub created: i64,
}

/// A user's role on a station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything about the station.
    Owner,
    /// Their own air time, credentials and sets.
    Dj,
}

impl Role {
    /// Its name in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Dj => "dj",
        }
    }

    fn parse(s: &str) -> Role {
        if s == "owner" { Role::Owner } else { Role::Dj }
    }
}

/// A user's membership of a station.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    /// The station.
    pub station: String,
    /// The user.
    pub username: String,
    /// Their role.
    pub role: Role,
    /// The permissions granted (names such as "skip", "kick", "media").
    pub permissions: Vec<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// When (Unix seconds).
    pub at: i64,
    /// Who did it (`None`: the system).
    pub username: Option<String>,
    /// On which station.
    pub station: Option<String>,
    /// What ("skip", "kick", "ban", "settings", ...).
    pub action: String,
    /// Details.
    pub detail: Option<String>,
}

/// The BLAKE3 hash (hex) of a secret: what the store keeps of tokens and keys.
pub fn secret_hash(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Checks a username: 1–64 letters, digits, `.`, `-`, `_`.
pub fn check_username(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(Error::Invalid(format!(
            "user name {name:?}: use 1–64 letters, digits, '.', '-' or '_'"
        )));
    }
    Ok(())
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        admin: r.get(2)?,
        created: r.get(3)?,
    })
}

impl Store {
    /// Makes a user; [`Error::Invalid`] if the name is taken or malformed.
    pub fn create_user(&self, username: &str, password_hash: &str, admin: bool) -> Result<User> {
        check_username(username)?;
        let path = self.path().to_path_buf();
        let (name, hash) = (username.to_string(), password_hash.to_string());
        self.write(move |tx| {
            let taken: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)",
                    [&name],
                    |r| r.get(0),
                )
                .db(&path)?;
            if taken {
                return Err(Error::Invalid(format!("user {name} exists already")));
            }
            let t = now();
            tx.execute(
                "INSERT INTO users (username, password_hash, admin, created, password_changed) \
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![name, hash, admin, t],
            )
            .db(&path)?;
            Ok(User {
                id: tx.last_insert_rowid(),
                username: name,
                admin,
                created: t,
            })
        })
    }

    /// A user and their password hash.
    pub fn user_with_hash(&self, username: &str) -> Result<Option<(User, String)>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            c.query_row(
                "SELECT id, username, admin, created, password_hash FROM users WHERE username = ?1",
                [username],
                |r| Ok((user_row(r)?, r.get(4)?)),
            )
            .optional()
            .db(&path)
        })
    }

    /// A user.
    pub fn user(&self, username: &str) -> Result<Option<User>> {
        Ok(self.user_with_hash(username)?.map(|(u, _)| u))
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare("SELECT id, username, admin, created FROM users ORDER BY username")
                .db(&path)?;
            let rows = st.query_map([], user_row).db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// How many users exist.
    pub fn user_count(&self) -> Result<i64> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
                .db(&path)
        })
    }

    /// Changes a user's password hash and/or admin flag; a new password ends their
    /// sessions. `false` if there is no such user.
    pub fn update_user(
        &self,
        username: &str,
        password_hash: Option<String>,
        admin: Option<bool>,
    ) -> Result<bool> {
        let path = self.path().to_path_buf();
        let name = username.to_string();
        self.write(move |tx| {
            let id: Option<i64> = tx
                .query_row("SELECT id FROM users WHERE username = ?1", [&name], |r| {
                    r.get(0)
                })
                .optional()
                .db(&path)?;
            let Some(id) = id else { return Ok(false) };
            if let Some(h) = password_hash {
                tx.execute(
                    "UPDATE users SET password_hash = ?1, password_changed = ?2 WHERE id = ?3",
                    params![h, now(), id],
                )
                .db(&path)?;
                tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])
                    .db(&path)?;
            }
            if let Some(a) = admin {
                tx.execute("UPDATE users SET admin = ?1 WHERE id = ?2", params![a, id])
                    .db(&path)?;
            }
            Ok(true)
        })
    }

    /// Deletes a user (their sessions, keys and memberships go too). `false` if unknown.
    pub fn delete_user(&self, username: &str) -> Result<bool> {
        let path = self.path().to_path_buf();
        let name = username.to_string();
        self.write(move |tx| {
            Ok(tx
                .execute("DELETE FROM users WHERE username = ?1", [&name])
                .db(&path)?
                > 0)
        })
    }

    /// Records a session (the hash of its token), valid until `expires` (Unix seconds).
    pub fn create_session(
        &self,
        user_id: i64,
        token: &str,
        csrf: &str,
        expires: i64,
    ) -> Result<()> {
        let path = self.path().to_path_buf();
        let (hash, csrf) = (secret_hash(token), csrf.to_string());
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE expires < ?1", [now()])
                .db(&path)?;
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf, created, expires) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![hash, user_id, csrf, now(), expires],
            )
            .db(&path)?;
            Ok(())
        })
    }

    /// The user of a live session and its CSRF token.
    pub fn session(&self, token: &str) -> Result<Option<(User, String)>> {
        let path = self.path().to_path_buf();
        let hash = secret_hash(token);
        self.read(|c| {
            c.query_row(
                "SELECT u.id, u.username, u.admin, u.created, s.csrf FROM sessions s \
                 JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires > ?2",
                params![hash, now()],
                |r| Ok((user_row(r)?, r.get(4)?)),
            )
            .optional()
            .db(&path)
        })
    }

    /// Ends a session.
    pub fn delete_session(&self, token: &str) -> Result<()> {
        let path = self.path().to_path_buf();
        let hash = secret_hash(token);
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])
                .db(&path)?;
            Ok(())
        })
    }

    /// Records an API key (its hash) for a user; returns its id.
    pub fn create_api_key(&self, user_id: i64, key: &str) -> Result<i64> {
        let path = self.path().to_path_buf();
        let hash = secret_hash(key);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO api_keys (user_id, key_hash, created) VALUES (?1, ?2, ?3)",
                params![user_id, hash, now()],
            )
            .db(&path)?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The user an API key belongs to.
    pub fn api_key_user(&self, key: &str) -> Result<Option<User>> {
        let path = self.path().to_path_buf();
        let hash = secret_hash(key);
        self.read(|c| {
            c.query_row(
                "SELECT u.id, u.username, u.admin, u.created FROM api_keys k \
                 JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?1",
                [hash],
                user_row,
            )
            .optional()
            .db(&path)
        })
    }

    /// Deletes one of a user's API keys; `false` if they have no such key.
    pub fn delete_api_key(&self, user_id: i64, id: i64) -> Result<bool> {
        let path = self.path().to_path_buf();
        self.write(move |tx| {
            Ok(tx
                .execute(
                    "DELETE FROM api_keys WHERE id = ?1 AND user_id = ?2",
                    params![id, user_id],
                )
                .db(&path)?
                > 0)
        })
    }

    /// Makes (or changes) a user's membership of a station.
    pub fn set_member(
        &self,
        station: &str,
        username: &str,
        role: Role,
        permissions: &[String],
    ) -> Result<()> {
        let path = self.path().to_path_buf();
        let (station, name) = (station.to_string(), username.to_string());
        let perms = permissions.join(",");
        self.write(move |tx| {
            let sid: Option<i64> = tx
                .query_row("SELECT id FROM stations WHERE name = ?1", [&station], |r| {
                    r.get(0)
                })
                .optional()
                .db(&path)?;
            let uid: Option<i64> = tx
                .query_row("SELECT id FROM users WHERE username = ?1", [&name], |r| {
                    r.get(0)
                })
                .optional()
                .db(&path)?;
            let (Some(sid), Some(uid)) = (sid, uid) else {
                return Err(Error::NotFound(format!("station {station} or user {name}")));
            };
            tx.execute(
                "INSERT INTO members (station_id, user_id, role, permissions) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (station_id, user_id) DO UPDATE SET role = ?3, permissions = ?4",
                params![sid, uid, role.as_str(), perms],
            )
            .db(&path)?;
            Ok(())
        })
    }

    /// A user's membership of a station.
    pub fn member(&self, station: &str, username: &str) -> Result<Option<Member>> {
        Ok(self
            .members_where("s.name = ?1 AND u.username = ?2", &[station, username])?
            .pop())
    }

    /// The members of a station.
    pub fn members(&self, station: &str) -> Result<Vec<Member>> {
        self.members_where("s.name = ?1", &[station])
    }

    /// The stations a user belongs to.
    pub fn memberships(&self, username: &str) -> Result<Vec<Member>> {
        self.members_where("u.username = ?1", &[username])
    }

    fn members_where(&self, cond: &str, args: &[&str]) -> Result<Vec<Member>> {
        let path = self.path().to_path_buf();
        let sql = format!(
            "SELECT s.name, u.username, m.role, m.permissions FROM members m \
             JOIN stations s ON s.id = m.station_id JOIN users u ON u.id = m.user_id \
             WHERE {cond} ORDER BY s.name, u.username"
        );
        self.read(|c| {
            let mut st = c.prepare(&sql).db(&path)?;
            let rows = st
                .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                    let perms: String = r.get(3)?;
                    Ok(Member {
                        station: r.get(0)?,
                        username: r.get(1)?,
                        role: Role::parse(&r.get::<_, String>(2)?),
                        permissions: perms
                            .split(',')
                            .filter(|p| !p.is_empty())
                            .map(str::to_string)
                            .collect(),
                    })
                })
                .db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }

    /// Removes a membership; `false` if there was none.
    pub fn remove_member(&self, station: &str, username: &str) -> Result<bool> {
        let path = self.path().to_path_buf();
        let (station, name) = (station.to_string(), username.to_string());
        self.write(move |tx| {
            Ok(tx
                .execute(
                    "DELETE FROM members WHERE station_id = (SELECT id FROM stations WHERE name = ?1) \
                     AND user_id = (SELECT id FROM users WHERE username = ?2)",
                    params![station, name],
                )
                .db(&path)?
                > 0)
        })
    }

    /// Appends to the audit log.
    pub fn audit(
        &self,
        username: Option<&str>,
        station: Option<&str>,
        action: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        let path = self.path().to_path_buf();
        let row = (
            username.map(str::to_string),
            station.map(str::to_string),
            action.to_string(),
            detail.map(str::to_string),
        );
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO audit_log (at, username, station, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![now(), row.0, row.1, row.2, row.3],
            )
            .db(&path)?;
            Ok(())
        })
    }

    /// The newest `limit` audit entries of a station (all stations: `None`), newest first.
    pub fn audit_log(&self, station: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        let path = self.path().to_path_buf();
        self.read(|c| {
            let mut st = c
                .prepare(
                    "SELECT at, username, station, action, detail FROM audit_log \
                     WHERE ?1 IS NULL OR station = ?1 ORDER BY id DESC LIMIT ?2",
                )
                .db(&path)?;
            let rows = st
                .query_map(params![station, limit as i64], |r| {
                    Ok(AuditEntry {
                        at: r.get(0)?,
                        username: r.get(1)?,
                        station: r.get(2)?,
                        action: r.get(3)?,
                        detail: r.get(4)?,
                    })
                })
                .db(&path)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db(&path)
        })
    }
}
