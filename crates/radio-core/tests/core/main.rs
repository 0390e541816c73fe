//! radio-core with real signals: one module per area.

mod decode;
mod encode;
mod resample;
mod util;
