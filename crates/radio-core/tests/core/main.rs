//! radio-core with real signals: one module per area.

mod crossfade;
mod decode;
mod encode;
mod limiter;
mod live;
mod loudness;
mod resample;
mod silence;
mod util;
