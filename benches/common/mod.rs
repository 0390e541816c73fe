//! Material shared by the benchmarks.

/// Music-like test material: two tones and noise, stereo at `rate`, `seconds` long.
pub fn material(rate: u32, seconds: usize) -> Vec<f32> {
    let n = seconds * rate as usize;
    let mut x = 12345u32;
    (0..n)
        .flat_map(|i| {
            let t = i as f32 / rate as f32;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let noise = (x as f32 / u32::MAX as f32 - 0.5) * 0.1;
            let tau = std::f32::consts::TAU;
            let v = 0.4 * (tau * 220.0 * t).sin() + 0.2 * (tau * 1375.0 * t).sin() + noise;
            [v, v * 0.9]
        })
        .collect()
}
