//! # radio-net — an Icecast2/Shoutcast-compatible streaming server
//!
//! Sources push encoded audio in (Icecast2 `PUT`/`SOURCE`, Shoutcast v1, relays, or your
//! own code through [`Server::attach_source`]); listeners pull it out over HTTP with
//! burst-on-connect, ICY metadata and Ogg header replay. Status documents
//! (`/status-json.xsl`, `/info.json`, `/info.html`, `/monitor.html`) and Icecast's admin
//! commands come with it. The crate moves bytes only; it never decodes audio.
//!
//! ```no_run
//! use radio_net::{Server, ServerConfig};
//!
//! # async fn demo() -> radio_net::Result<()> {
//! let server = Server::new(ServerConfig::default())?;
//! let listener = radio_net::bind("127.0.0.1:8000".parse().unwrap())?;
//! let shoutcast = radio_net::bind("127.0.0.1:8001".parse().unwrap())?;
//! server.run(listener, Some(shoutcast), tokio::signal::ctrl_c()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Feeding a mount from your own code:
//!
//! ```
//! # use radio_net::{Server, ServerConfig, SourceInfo};
//! let server = Server::new(ServerConfig::default()).unwrap();
//! let mut feed = server.attach_source("/live.mp3", SourceInfo::new("audio/mpeg")).unwrap();
//! feed.write(&[0xFF, 0xFB, 0x90, 0x64]); // MP3 frames as an encoder makes them
//! feed.publish();
//! drop(feed); // the source leaves; listeners drain, then move to the fallback or close
//! ```
//!
//! ## Vocabulary
//! - **mount**: a stream path such as `/live.mp3` ([`mount`]);
//! - **source**: whoever feeds a mount; **listener**: whoever plays it;
//! - **chunk**: a piece of a mount's stream that starts on a frame or page boundary
//!   ([`framing`]); **burst**: the recent chunks a new listener gets at once;
//! - **publish**: making appended chunks visible to listeners, in batches ([`config::FanoutConfig`]).
#![deny(missing_docs)]

pub mod accesslog;
mod admin;
pub mod chunked;
pub mod config;
pub mod dump;
mod error;
pub mod framing;
pub mod host;
pub mod icy;
mod listener;
pub mod mount;
pub mod procstat;
pub mod push;
pub mod query;
pub mod relay;
pub mod request;
pub mod response;
mod routes;
mod server;
pub mod shoutcast;
mod source;
mod status;

pub use config::{
    AuthConfig, FanoutConfig, Limits, MountConfig, MountDefaults, RelayConfig, ServerConfig,
    StreamInfo,
};
pub use error::{Error, Result};
pub use host::{Host, HostConnection, ListenerSession, SourceLogin, SourceSink, SourceVerdict};
pub use mount::{SourceFeed, SourceInfo};
pub use push::{PushClient, PushConfig, PushProtocol};
pub use server::{AttachError, Server, ServerStats, bind};

/// What the server calls itself in `Server:` headers and status pages.
pub const SERVER_ID: &str = concat!("radiopoint/", env!("CARGO_PKG_VERSION"));
