//! The error type of `radio-core`.

use std::path::PathBuf;

/// Everything that can go wrong in `radio-core`.
///
/// Recoverable, per the variant docs: a station skips the track ([`Error::Open`],
/// [`Error::Unsupported`], [`Error::Decode`]) and carries on. [`Error::Resample`] means a
/// programming error in the caller's parameters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or read. Recoverable: skip the track.
    #[error("cannot read {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The media is not a format or codec we decode. Recoverable: skip the track.
    #[error("{what}: unsupported media ({reason})")]
    Unsupported {
        /// The file or stream.
        what: String,
        /// What was not supported.
        reason: String,
    },
    /// The media is damaged beyond what resynchronisation can handle. Recoverable: skip.
    #[error("{what}: cannot decode ({reason})")]
    Decode {
        /// The file or stream.
        what: String,
        /// The decoder's message.
        reason: String,
    },
    /// An encoder could not be set up or failed (bad settings name the setting).
    #[error("encoder: {0}")]
    Encode(String),
    /// A resampler could not be built or run with these parameters.
    #[error("resampler: {0}")]
    Resample(String),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
