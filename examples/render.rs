//! Offline render: files in order → one normalised, limited, crossfaded MP3 or Opus file.
//!
//! ```sh
//! cargo run --release --example render -- -o OUT.mp3 [--bitrate 128] [--target-lufs -16] \
//!     [--crossfade SECONDS] FILE...
//! ```
//! The output format follows the extension (`.mp3`, or `.opus`/`.ogg` for Opus in Ogg).
//! It runs as fast as the CPU allows and prints the real-time factor it achieved.
//!
//! For measuring the chain: `--gain DB` applies a fixed gain to every file instead of
//! measuring its loudness first, and `-o null` runs everything but the encoder
//! (`benches/chain/compare.sh` runs it side by side with liquidsoap).

use radiopoint::core::crossfade::{CrossfadeSettings, Crossfader, Track};
use radiopoint::core::encode::{
    Encoder, Mp3Encoder, Mp3Mode, Mp3Settings, OpusEncoder, OpusSettings,
};
use radiopoint::core::gain::Gain;
use radiopoint::core::limiter::{Limiter, LimiterSettings};
use radiopoint::core::loudness::{LoudnessSettings, measure_file};
use radiopoint::core::{Block, Db, Event, FileSource, Lufs, Metadata, Pull, Source};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Args {
    out: PathBuf,
    bitrate: u32,
    target: f32,
    crossfade: f64,
    gain: Option<f32>,
    files: Vec<PathBuf>,
}

fn usage(msg: &str) -> ! {
    eprintln!("render: {msg}");
    eprintln!(
        "usage: render -o OUT.mp3|OUT.opus [--bitrate KBPS] [--target-lufs LUFS] [--crossfade SECONDS] [--gain DB] FILE..."
    );
    std::process::exit(2);
}

fn parse() -> Args {
    let mut a = Args {
        out: PathBuf::new(),
        bitrate: 128,
        target: -16.0,
        crossfade: 3.0,
        gain: None,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "-o" | "--output" => a.out = value("-o").into(),
            "--bitrate" => {
                a.bitrate = value("--bitrate")
                    .parse()
                    .unwrap_or_else(|_| usage("--bitrate takes kbps"))
            }
            "--target-lufs" => {
                a.target = value("--target-lufs")
                    .parse()
                    .unwrap_or_else(|_| usage("--target-lufs takes a number"))
            }
            "--crossfade" => {
                a.crossfade = value("--crossfade")
                    .parse()
                    .unwrap_or_else(|_| usage("--crossfade takes seconds"))
            }
            "--gain" => {
                a.gain = Some(
                    value("--gain")
                        .parse()
                        .unwrap_or_else(|_| usage("--gain takes dB")),
                )
            }
            s if s.starts_with('-') => usage(&format!("unknown option {s}")),
            file => a.files.push(file.into()),
        }
    }
    if a.out.as_os_str().is_empty() {
        usage("-o OUT is required");
    }
    if a.files.is_empty() {
        usage("no input files");
    }
    if a.crossfade.is_nan() || a.crossfade < 0.0 {
        usage("--crossfade must be 0 or more");
    }
    a
}

fn main() {
    let args = parse();
    let started = Instant::now();
    let loudness = LoudnessSettings {
        target: Lufs(args.target),
        ..LoudnessSettings::default()
    };
    // Measure every file first (what the library's indexer stores), then play them.
    let mut tracks = Vec::new();
    for f in &args.files {
        let gain = match args.gain {
            Some(db) => Db(db),
            None => match measure_file(f) {
                Ok(m) => m.gain(&loudness),
                Err(e) => {
                    eprintln!("render: skipping {}: {e}", f.display());
                    continue;
                }
            },
        };
        match FileSource::open(f) {
            Ok(src) => {
                println!("{}: gain {:+.1} dB", f.display(), gain.0);
                tracks.push(Track::new(Box::new(Gain::new(src, gain))));
            }
            Err(e) => eprintln!("render: skipping {}: {e}", f.display()),
        }
    }
    if tracks.is_empty() {
        eprintln!("render: nothing to render");
        std::process::exit(1);
    }
    let fade = Duration::from_secs_f64(args.crossfade);
    let settings = CrossfadeSettings {
        fade_in: fade,
        fade_out: fade,
        ..CrossfadeSettings::default()
    };
    let mut mix = Crossfader::new(tracks.into_iter(), settings);
    let mut limiter = Limiter::new(LimiterSettings::broadcast());
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut chunks = Vec::new();
    let null = args.out.as_os_str() == "null";
    if !null && !matches!(ext.as_str(), "mp3" | "opus" | "ogg") {
        usage(&format!(
            "unknown output format {ext:?} (use .mp3 or .opus)"
        ));
    }
    let make_encoder = |meta: &Metadata, chunks: &mut Vec<_>| -> Box<dyn Encoder> {
        match ext.as_str() {
            "mp3" => Box::new(
                Mp3Encoder::new(Mp3Settings {
                    mode: Mp3Mode::Cbr(args.bitrate),
                    quality: 5,
                })
                .unwrap_or_else(|e| usage(&e.to_string())),
            ),
            _ => Box::new(
                OpusEncoder::new(
                    OpusSettings {
                        bitrate: args.bitrate as i32 * 1000,
                        ..OpusSettings::default()
                    },
                    meta,
                    chunks,
                )
                .unwrap_or_else(|e| usage(&e.to_string())),
            ),
        }
    };
    // Created at the first track, so an Opus stream's first chain carries its tags.
    let mut encoder: Option<Box<dyn Encoder>> = None;
    let mut file: Box<dyn Write> = if null {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::BufWriter::new(
            std::fs::File::create(&args.out)
                .unwrap_or_else(|e| usage(&format!("{}: {e}", args.out.display()))),
        ))
    };
    let (mut block, mut events) = (Block::silence(), Vec::new());
    let mut blocks = 0u64;
    let render_started = Instant::now();
    loop {
        events.clear();
        let more = mix.pull(&mut block, &mut events) == Pull::Audio;
        if !more {
            // Play out the limiter's lookahead.
            block.clear();
        }
        for e in &events {
            let Event::TrackStart(m) = e;
            println!("{:>8.2} s  {}", blocks as f64 * 0.02, m.display());
            match &mut encoder {
                _ if null => {}
                Some(enc) => enc.set_metadata(m, &mut chunks).expect("encoder"),
                None => encoder = Some(make_encoder(m, &mut chunks)),
            }
        }
        limiter.process(&mut block);
        if !null {
            let enc =
                encoder.get_or_insert_with(|| make_encoder(&Metadata::default(), &mut chunks));
            enc.encode(&block, &mut chunks).expect("encoder");
        }
        blocks += 1;
        for c in chunks.drain(..) {
            file.write_all(&c.data).expect("write");
        }
        if !more {
            break;
        }
    }
    if let Some(enc) = &mut encoder {
        enc.finish(&mut chunks).expect("encoder");
    }
    for c in chunks.drain(..) {
        file.write_all(&c.data).expect("write");
    }
    file.flush().expect("write");
    let audio = blocks as f64 * 0.02;
    let took = render_started.elapsed().as_secs_f64();
    println!(
        "rendered {audio:.1} s of audio to {} in {took:.2} s: {:.0}× real time ({:.2} s including loudness analysis)",
        args.out.display(),
        audio / took.max(1e-9),
        started.elapsed().as_secs_f64()
    );
}
