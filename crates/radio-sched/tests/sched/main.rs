//! radio-sched's behaviour, under the simulated clock.

mod autodj;
mod day;
mod harbor;
mod live;
mod shows;
mod util;
