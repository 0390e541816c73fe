//! Generated fixtures: audio files written with radio-core's encoders (MP3, Opus) or by
//! hand (WAV), in a temporary library with its own database.

use radio_core::encode::{Chunk, Encoder, Mp3Encoder, Mp3Settings, OpusEncoder, OpusSettings};
use radio_core::loudness::Meter;
use radio_core::{BLOCK_FRAMES, Block, Metadata};
use radio_store::{Folder, Quiet, ScanOptions, Store, Summary, Track};
use std::path::{Path, PathBuf};

/// A library: a temporary folder with `music/` and a database.
pub struct Lib {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

impl Lib {
    pub fn new() -> Lib {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("music")).unwrap();
        let store = Store::open(&dir.path().join("radiopoint.db")).unwrap();
        Lib { dir, store }
    }

    pub fn music(&self) -> PathBuf {
        self.dir.path().join("music")
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.music().join(name)
    }

    pub fn scan(&self) -> Summary {
        self.scan_with(&ScanOptions::default())
    }

    pub fn scan_with(&self, options: &ScanOptions) -> Summary {
        radio_store::scan(
            &self.store,
            "test",
            &[Folder::media(self.music())],
            options,
            &mut Quiet,
        )
        .unwrap()
    }

    pub fn station(&self) -> i64 {
        self.store.station("test").unwrap().expect("scanned")
    }

    pub fn tracks(&self) -> Vec<Track> {
        self.store.tracks(self.station()).unwrap()
    }

    /// The track stored for `name` under music/.
    pub fn track(&self, name: &str) -> Track {
        let path = std::fs::canonicalize(self.music())
            .unwrap()
            .join(name)
            .to_string_lossy()
            .into_owned();
        self.store
            .track_at(self.station(), &path)
            .unwrap()
            .unwrap_or_else(|| panic!("{name} is not in the library"))
    }
}

/// 48 kHz stereo: `lead` s of silence, `seconds` of a sine at `dbfs` peak, `tail` s of
/// silence.
pub fn tone(lead: f64, seconds: f64, tail: f64, freq: f64, dbfs: f64) -> Vec<f32> {
    let rate = 48_000.0;
    let amp = 10f64.powf(dbfs / 20.0);
    let (l, n, t) = (
        (lead * rate).round() as usize,
        (seconds * rate).round() as usize,
        (tail * rate).round() as usize,
    );
    let mut v = vec![0.0f32; 2 * l];
    for i in 0..n {
        let s = (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / rate).sin()) as f32;
        v.push(s);
        v.push(s);
    }
    v.extend(std::iter::repeat_n(0.0, 2 * t));
    v
}

/// Integrated loudness of 48 kHz stereo, measured in memory.
pub fn loudness(samples: &[f32]) -> f32 {
    let mut m = Meter::new(48_000).unwrap();
    m.add(samples).unwrap();
    m.result().unwrap().integrated.unwrap().0
}

/// Writes 16-bit PCM WAV (interleaved input with `channels` channels).
pub fn write_wav(path: &Path, rate: u32, channels: usize, samples: &[f32]) {
    std::fs::write(path, wav_bytes(rate, channels, samples)).unwrap();
}

pub fn wav_bytes(rate: u32, channels: usize, samples: &[f32]) -> Vec<u8> {
    radio_core::wav::wav16(rate, channels, samples)
}

fn encode(mut enc: Box<dyn Encoder>, mut out: Vec<Chunk>, samples: &[f32]) -> Vec<u8> {
    let mut block = Block::silence();
    for piece in samples.chunks(BLOCK_FRAMES * 2) {
        block.clear();
        block.samples_mut()[..piece.len()].copy_from_slice(piece);
        enc.encode(&block, &mut out).unwrap();
    }
    enc.finish(&mut out).unwrap();
    out.iter().flat_map(|c| c.data.iter().copied()).collect()
}

/// MP3 (LAME, 128 kbit/s, 48 kHz stereo) of 48 kHz stereo samples.
pub fn write_mp3(path: &Path, samples: &[f32]) {
    let enc = Mp3Encoder::new(Mp3Settings::default()).unwrap();
    std::fs::write(path, encode(Box::new(enc), Vec::new(), samples)).unwrap();
}

/// Ogg Opus of 48 kHz stereo samples.
pub fn write_opus(path: &Path, samples: &[f32], title: &str) {
    let mut out = Vec::new();
    let meta = Metadata {
        title: Some(title.to_string()),
        ..Metadata::default()
    };
    let enc = OpusEncoder::new(OpusSettings::default(), &meta, &mut out).unwrap();
    std::fs::write(path, encode(Box::new(enc), out, samples)).unwrap();
}

/// A 128-byte ID3v1 tag with raw (8-bit) fields.
pub fn id3v1(title: &[u8], artist: &[u8], album: &[u8], year: &[u8]) -> Vec<u8> {
    let field = |b: &[u8], n: usize| {
        let mut v = b[..b.len().min(n)].to_vec();
        v.resize(n, 0);
        v
    };
    let mut t = b"TAG".to_vec();
    t.extend(field(title, 30));
    t.extend(field(artist, 30));
    t.extend(field(album, 30));
    t.extend(field(year, 4));
    t.extend(field(b"", 30));
    t.push(255);
    t
}

/// Sets a file's modification time `secs` into the past (a changed file with the same
/// size needs a different mtime to be noticed, as with any rsync-style tool).
pub fn age(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
    f.set_modified(t).unwrap();
}
