//! Errors of radio-station.

/// What can go wrong putting a station on air.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The station cannot be built (a bad name, a harbor that cannot be made).
    #[error("{0}")]
    Build(String),
    /// An output cannot be set up (its mount is taken, its URL is wrong, ...).
    #[error("output {output}: {message}")]
    Output {
        /// The mount path or upstream URL.
        output: String,
        /// What is wrong.
        message: String,
    },
    /// An encoder failed.
    #[error("encoder: {0}")]
    Encode(#[from] radio_core::Error),
    /// The station's thread could not be started.
    #[error("cannot start the station's thread: {0}")]
    Thread(std::io::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
