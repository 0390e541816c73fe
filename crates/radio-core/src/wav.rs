//! 16-bit PCM WAV files: what tests, fixtures and offline renders write when they want a
//! file any tool reads without a codec in between.

/// A complete WAV file (RIFF header and data) of interleaved `samples` with `channels`
/// channels at `rate` Hz, 16-bit, clamped to ±1 and rounded.
pub fn wav16(rate: u32, channels: usize, samples: &[f32]) -> Vec<u8> {
    let data_len = samples.len() * 2;
    let mut b = Vec::with_capacity(44 + data_len);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&((36 + data_len) as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&(channels as u16).to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * channels as u32 * 2).to_le_bytes());
    b.extend_from_slice(&((channels * 2) as u16).to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data_len as u32).to_le_bytes());
    for s in samples {
        b.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes());
    }
    b
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_wav_file_decodes_to_its_samples() {
        let samples: Vec<f32> = (0..4800).map(|i| ((i as f32) * 0.01).sin() * 0.5).collect();
        let path =
            std::env::temp_dir().join(format!("radio-core-wav16-{}.wav", std::process::id()));
        std::fs::write(&path, super::wav16(48_000, 2, &samples)).unwrap();
        let mut dec = crate::decode::FileDecoder::open(&path).unwrap();
        let mut out = Vec::new();
        while dec.decode_next(&mut out).unwrap() {}
        std::fs::remove_file(&path).unwrap();
        assert_eq!(out.len(), samples.len());
        assert!(out.iter().zip(&samples).all(|(a, b)| (a - b).abs() < 1e-4));
    }
}
