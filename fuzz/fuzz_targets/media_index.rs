//! The indexer on arbitrary files: byte 0 picks the file's extension, the rest is its
//! content. Analysis (probe, decode to the end, loudness, cue points, truncation and
//! damage checks) and the tag reader (lofty: ID3v1/v2, APE, Vorbis comments, MP4 ilst,
//! RIFF INFO, AIFF, embedded pictures; then the charset repair and file-name fallback)
//! must never panic; a bad file is a reason string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radio_store::media::{analyse, tags};

const EXTENSIONS: &[&str] = &["mp3", "flac", "ogg", "opus", "m4a", "wav", "aiff", "aac"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let ext = EXTENSIONS[usize::from(pick) % EXTENSIONS.len()];
    let dir = std::env::temp_dir().join(format!("radiopoint-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("07 - Some Artist - Title.{ext}"));
    if std::fs::write(&path, content).is_err() {
        return;
    }
    if let Ok(a) = analyse::analyse(&path, content.len() as u64) {
        assert!(a.duration > 0.0 && a.duration.is_finite());
        assert!(a.cue_in <= a.cue_out && a.cue_out <= a.duration + 1e-6);
    }
    let info = tags::read(&path, encoding_rs::WINDOWS_1252);
    assert!(info.tags.title.is_some(), "the file name always gives a title");
    if let Some(art) = info.artwork {
        assert!(art.data.len() <= tags::MAX_ARTWORK_BYTES);
    }
});
