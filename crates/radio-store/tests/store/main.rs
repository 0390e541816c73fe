//! radio-store's tests: real SQLite files, real audio files generated here.

mod accounts;
mod db;
mod library;
mod scan;
mod tags;
mod util;
