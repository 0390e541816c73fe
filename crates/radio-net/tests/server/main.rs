//! radio-net against real sockets on 127.0.0.1: one module per area.
// Tests start from the defaults and change the one setting under test.
#![allow(clippy::field_reassign_with_default)]

mod admin;
mod fallback;
mod icy;
mod ingest;
mod limits;
mod listeners;
mod logs;
mod ogg;
mod relay;
mod util;
