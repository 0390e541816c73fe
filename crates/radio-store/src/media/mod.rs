//! The media library: scanning a station's folders into the store ([`scan::scan`]),
//! analysing files ([`analyse`]), reading tags ([`tags`]), one indexer per station
//! ([`lock`]) and keeping it in sync while stations run ([`watch`]).

pub mod analyse;
pub mod lock;
pub mod scan;
pub mod tags;
pub mod watch;
