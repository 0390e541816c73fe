//! A pure relay: `radio-net` used alone, with no config file.
//!
//! ```sh
//! cargo run --release --example relay -- http://upstream.example.org:8000/live.mp3 /live.mp3 127.0.0.1:8100
//! ```
//! pulls the upstream mount (reconnecting with backoff, passing its titles on) and serves
//! it at `http://127.0.0.1:8100/live.mp3`, with burst-on-connect, ICY metadata and the
//! status pages. Ctrl-C stops it.

use radiopoint::net::{RelayConfig, Server, ServerConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(mount)) = (args.next(), args.next()) else {
        eprintln!("usage: relay UPSTREAM_URL LOCAL_MOUNT [LISTEN_ADDR]");
        std::process::exit(2);
    };
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8100".into())
        .parse()?;
    let mut config = ServerConfig::default();
    // Nobody may push to this server: it only relays.
    config.auth.source_password = None;
    config.allow_unconfigured_mounts = false;
    config
        .relays
        .push(RelayConfig::new(mount.clone(), url.clone()));
    let server = Server::new(config)?;
    let listener = radiopoint::net::bind(addr)?;
    println!("relaying {url} at http://{addr}{mount}");
    server.run(listener, None, tokio::signal::ctrl_c()).await?;
    Ok(())
}
