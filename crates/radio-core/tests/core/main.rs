//! radio-core with real signals: one module per area.

mod decode;
mod resample;
mod util;
