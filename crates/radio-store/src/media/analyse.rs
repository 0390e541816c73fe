//! Analysis of one file through radio-core: exact duration (counted while decoding, not
//! the header's guess), EBU R128 integrated loudness and true peak, and the cue points
//! where leading and trailing silence end and begin. The file is only read.

use crate::tracks::Analysis;
use radio_core::decode::FileDecoder;
use radio_core::loudness::Meter;
use std::io::Read;
use std::path::Path;

/// Samples at or below this level (−50 dBFS) are silence for the cue points.
pub const CUE_THRESHOLD_DBFS: f32 = -50.0;

/// Why a file cannot be used, in words for the user (stored as the track's reason).
pub type Reason = String;

/// Decodes `path` (of `size` bytes) to the end and measures it.
pub fn analyse(path: &Path, size: u64) -> Result<Analysis, Reason> {
    if size == 0 {
        return Err("empty file (0 bytes)".into());
    }
    let mut decoder = FileDecoder::open(path).map_err(|e| match e {
        radio_core::Error::Open { source, .. } => format!("cannot read the file: {source}"),
        radio_core::Error::Unsupported { reason, .. } => {
            format!("not a supported audio file ({reason})")
        }
        other => other.to_string(),
    })?;
    let info = decoder.info().clone();
    let rate = info.rate.0;
    if rate == 0 {
        return Err("the file declares a sample rate of 0".into());
    }
    let mut meter = Meter::new(rate).map_err(|e| e.to_string())?;
    let threshold = 10f32.powf(CUE_THRESHOLD_DBFS / 20.0);
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut samples: u64 = 0;
    let mut packets: u64 = 0;
    let mut first_loud: Option<u64> = None;
    let mut last_loud: Option<u64> = None;
    loop {
        buf.clear();
        match decoder.decode_next(&mut buf) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                if samples == 0 {
                    return Err(format!("cannot decode: {e}"));
                }
                return Err(format!(
                    "corrupt after {:.1} s: {e}",
                    samples as f64 / 2.0 / f64::from(rate)
                ));
            }
        }
        packets += 1;
        meter.add(&buf).map_err(|e| e.to_string())?;
        if first_loud.is_none()
            && let Some(i) = buf.iter().position(|s| s.abs() > threshold)
        {
            first_loud = Some(samples + i as u64);
        }
        if let Some(i) = buf.iter().rposition(|s| s.abs() > threshold) {
            last_loud = Some(samples + i as u64);
        }
        samples += buf.len() as u64;
    }
    let frames = samples / 2;
    let damaged = decoder.damaged_packets();
    if frames == 0 {
        return Err(if damaged > 0 {
            format!("corrupt: none of its {damaged} packets decode")
        } else {
            "no audio in the file".into()
        });
    }
    // A few bad packets play as a short glitch; many mean the file is not what its name
    // says (random bytes can look like MP3 frame headers) or is badly damaged.
    if damaged * 20 > packets + damaged {
        return Err(format!(
            "corrupt: {damaged} of {} packets do not decode",
            packets + damaged
        ));
    }
    let duration = frames as f64 / f64::from(rate);
    if let Some(declared) = info.duration
        && declared - duration > (0.02 * declared).max(1.0)
    {
        return Err(format!(
            "truncated: {duration:.1} s of audio where its header declares {declared:.1} s"
        ));
    }
    let (Some(first), Some(last)) = (first_loud, last_loud) else {
        return Err(format!(
            "silent: nothing above {CUE_THRESHOLD_DBFS} dBFS in {duration:.1} s"
        ));
    };
    let loudness = meter.result().map_err(|e| e.to_string())?;
    Ok(Analysis {
        duration,
        codec: info.codec.clone(),
        sample_rate: rate,
        channels: info.channels as u32,
        bitrate: ((size as f64 * 8.0) / duration)
            .round()
            .min(f64::from(u32::MAX)) as u32,
        loudness: loudness.integrated.map(|l| l.0),
        true_peak: loudness.true_peak.0,
        cue_in: (first / 2) as f64 / f64::from(rate),
        cue_out: (last / 2 + 1) as f64 / f64::from(rate),
    })
}

/// BLAKE3 of a file's bytes, as hex.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}
