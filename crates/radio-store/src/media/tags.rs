//! Tags and artwork, read with lofty, with the fallbacks a real library needs: `Artist -
//! Title` from the file name when tags are missing, and legacy 8-bit text (ID3v1, ID3v2
//! frames marked Latin-1) repaired instead of shown as mojibake.

use crate::tracks::Tags;
use encoding_rs::Encoding;
use lofty::config::{ParseOptions, ParsingMode};
use lofty::file::TaggedFileExt;
use lofty::probe::Probe;
use lofty::tag::{Accessor, ItemKey, Tag};
use std::path::Path;

/// Embedded pictures larger than this are ignored (a tag can claim anything).
pub const MAX_ARTWORK_BYTES: usize = 8 * 1024 * 1024;

/// An embedded picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artwork {
    /// BLAKE3 of the bytes (the same image is stored once).
    pub hash: String,
    /// `image/jpeg`, `image/png`, ...
    pub mime: String,
    /// Width and height, when the header says.
    pub size: Option<(u32, u32)>,
    /// The image.
    pub data: Vec<u8>,
}

/// What the tag reader found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagInfo {
    /// Tags after fallbacks.
    pub tags: Tags,
    /// The front cover (or the first picture).
    pub artwork: Option<Artwork>,
}

/// Reads the tags of `path` (`legacy`: the 8-bit charset of tags marked Latin-1 that are
/// not UTF-8; windows-1252 when unsure). Tag damage is never fatal: what can be read is
/// kept and the file name fills the gaps.
pub fn read(path: &Path, legacy: &'static Encoding) -> TagInfo {
    let mut info = TagInfo::default();
    let options = ParseOptions::new()
        .read_properties(false)
        .parsing_mode(ParsingMode::Relaxed);
    let tagged = Probe::open(path)
        .ok()
        .and_then(|p| p.options(options).guess_file_type().ok())
        .and_then(|p| p.read().ok());
    if let Some(file) = tagged {
        // The primary tag first (ID3v2 over ID3v1, ...), each field from the first tag
        // that has it.
        let mut tags: Vec<&Tag> = file.primary_tag().into_iter().collect();
        let primary = file.primary_tag_type();
        tags.extend(file.tags().iter().filter(|t| t.tag_type() != primary));
        let text = |get: &dyn Fn(&Tag) -> Option<String>| {
            tags.iter()
                .find_map(|t| get(t).map(|s| repair(s.trim(), legacy)))
                .filter(|s| !s.is_empty())
        };
        info.tags.title = text(&|t| t.title().map(|s| s.into_owned()));
        info.tags.artist = text(&|t| t.artist().map(|s| s.into_owned()));
        info.tags.album = text(&|t| t.album().map(|s| s.into_owned()));
        info.tags.genre = text(&|t| t.genre().map(|s| s.into_owned()));
        info.tags.year = tags.iter().find_map(|t| year(t));
        info.tags.track_number = tags.iter().find_map(|t| t.track()).filter(|&n| n > 0);
        info.artwork = tags.iter().find_map(|t| artwork(t));
    }
    if info.tags.title.is_none() {
        let (artist, title) = from_file_name(path);
        info.tags.title = title;
        if info.tags.artist.is_none() {
            info.tags.artist = artist;
        }
    }
    info
}

fn year(tag: &Tag) -> Option<i32> {
    if let Some(ts) = tag.date() {
        return Some(i32::from(ts.year)).filter(|&y| y > 0);
    }
    // "2003-05", "(2003)", "2003/2004": the first four digits in a row.
    let s = tag
        .get_string(ItemKey::Year)
        .or_else(|| tag.get_string(ItemKey::RecordingDate))?;
    let digits: String = s
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (digits.len() == 4)
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|&y| y > 0)
}

fn artwork(tag: &Tag) -> Option<Artwork> {
    use lofty::picture::PictureType;
    let pictures = tag.pictures();
    let picture = pictures
        .iter()
        .find(|p| p.pic_type() == PictureType::CoverFront)
        .or_else(|| pictures.first())?;
    let data = picture.data();
    if data.is_empty() || data.len() > MAX_ARTWORK_BYTES {
        return None;
    }
    let sniffed = imagesize::image_type(data).ok();
    let mime = match sniffed {
        Some(imagesize::ImageType::Jpeg) => "image/jpeg".to_string(),
        Some(imagesize::ImageType::Png) => "image/png".to_string(),
        Some(imagesize::ImageType::Gif) => "image/gif".to_string(),
        Some(imagesize::ImageType::Webp) => "image/webp".to_string(),
        Some(imagesize::ImageType::Bmp) => "image/bmp".to_string(),
        // Not an image a browser shows: keep the track, drop the picture.
        _ => return None,
    };
    let size = imagesize::blob_size(data)
        .ok()
        .map(|s| (s.width as u32, s.height as u32));
    Some(Artwork {
        hash: blake3::hash(data).to_hex().to_string(),
        mime,
        size,
        data: data.to_vec(),
    })
}

/// Undoes the usual mojibake of 8-bit tags. lofty decodes text marked Latin-1 (all of
/// ID3v1, ID3v2 frames with encoding 0) byte for byte, so each char below U+0100 is one
/// original byte. Taggers very often wrote UTF-8 or a local code page there anyway:
/// - if those bytes are valid UTF-8 with non-ASCII in them, they were UTF-8;
/// - otherwise they are decoded with `legacy` (windows-1252 by default, which is
///   Latin-1 with the curly quotes and dashes of 0x80–0x9F where Latin-1 has controls).
///
/// Text with any char above U+00FF came from a Unicode frame and is kept as it is.
pub fn repair(s: &str, legacy: &'static Encoding) -> String {
    if s.is_ascii() || s.chars().any(|c| c as u32 > 0xFF) {
        return s.to_string();
    }
    let bytes: Vec<u8> = s.chars().map(|c| c as u8).collect();
    if let Ok(utf8) = std::str::from_utf8(&bytes) {
        return utf8.to_string();
    }
    let (text, _, _) = legacy.decode(&bytes);
    text.into_owned()
}

/// Tags from the file name alone (for files that cannot be read).
pub fn read_name_only(path: &Path) -> Tags {
    let (artist, title) = from_file_name(path);
    Tags {
        artist,
        title,
        ..Tags::default()
    }
}

/// `(artist, title)` from a file name: `Artist - Title.mp3`, with a leading track number
/// (`01 - `, `01. `, `01 `) dropped and underscores read as spaces in names without
/// spaces. Without a ` - `, the whole name is the title.
pub fn from_file_name(path: &Path) -> (Option<String>, Option<String>) {
    let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
        return (None, None);
    };
    let mut name = stem.trim().to_string();
    if !name.contains(' ') && name.contains('_') {
        name = name.replace('_', " ");
    }
    // A leading track number: digits followed by ' ', '.', '-' or ')'.
    let digits = name.chars().take_while(|c| c.is_ascii_digit()).count();
    if (1..=3).contains(&digits) {
        let rest = &name[digits..];
        if let Some(stripped) = rest
            .strip_prefix(" - ")
            .or_else(|| rest.strip_prefix(". "))
            .or_else(|| rest.strip_prefix(") "))
            .or_else(|| rest.strip_prefix(' '))
        {
            let stripped = stripped.trim_start_matches(['-', ' ']);
            if !stripped.is_empty() {
                name = stripped.to_string();
            }
        }
    }
    let clean = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    match name.split_once(" - ") {
        Some((artist, title)) => match (clean(artist), clean(title)) {
            (Some(a), Some(t)) => (Some(a), Some(t)),
            (a, t) => (None, t.or(a)),
        },
        None => (None, clean(&name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{WINDOWS_1251, WINDOWS_1252};

    #[test]
    fn file_names_give_artist_and_title() {
        let f = |s: &str| from_file_name(Path::new(s));
        let both = |a: &str, t: &str| (Some(a.to_string()), Some(t.to_string()));
        assert_eq!(
            f("music/Daft Punk - One More Time.mp3"),
            both("Daft Punk", "One More Time")
        );
        assert_eq!(f("03 - Björk - Jóga.flac"), both("Björk", "Jóga"));
        assert_eq!(
            f("07. Air - La Femme d'Argent.ogg"),
            both("Air", "La Femme d'Argent")
        );
        assert_eq!(f("Artist_-_Some_Title.mp3"), both("Artist", "Some Title"));
        assert_eq!(f("just a title.wav"), (None, Some("just a title".into())));
        assert_eq!(
            f("1979.mp3"),
            (None, Some("1979".into())),
            "a number alone stays"
        );
        assert_eq!(f("A - B - C.mp3"), both("A", "B - C"));
    }

    #[test]
    fn latin1_text_is_repaired_without_mojibake() {
        // UTF-8 bytes stored in a Latin-1 frame: "BjÃ¶rk" → "Björk".
        let mislabelled: String = "Björk".bytes().map(char::from).collect();
        assert_eq!(mislabelled, "BjÃ¶rk");
        assert_eq!(repair(&mislabelled, WINDOWS_1252), "Björk");
        // Real Latin-1 stays Latin-1.
        assert_eq!(repair("Café", WINDOWS_1252), "Café");
        // windows-1252's curly quote at 0x92, which Latin-1 calls a control char.
        assert_eq!(repair("Don\u{92}t", WINDOWS_1252), "Don\u{2019}t");
        // A Cyrillic tag in a Latin-1 frame, with the library's charset set.
        let cp1251: String = [0xCA, 0xE8, 0xED, 0xEE]
            .iter()
            .map(|&b| char::from(b))
            .collect();
        assert_eq!(repair(&cp1251, WINDOWS_1251), "Кино");
        // Unicode frames are left alone.
        assert_eq!(repair("Кино", WINDOWS_1252), "Кино");
    }
}

/// Tag changes: `Some("")` removes a field, `None` leaves it as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagEdit {
    /// Title.
    pub title: Option<String>,
    /// Artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// Genre.
    pub genre: Option<String>,
    /// Year (0 removes it).
    pub year: Option<i32>,
}

/// Writes `edit` into the file at `path`, safely for a file that is being played: the
/// tags are written into a copy beside it (a hidden name the indexer skips), which then
/// replaces the file in one rename — a reader holding the old file keeps reading it.
/// The error says what failed.
pub fn write(path: &Path, edit: &TagEdit) -> Result<(), String> {
    use lofty::config::WriteOptions;
    use lofty::file::AudioFile;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let copy = path.with_file_name(format!(".{name}.tagging"));
    let result = (|| {
        std::fs::copy(path, &copy).map_err(|e| format!("cannot copy the file: {e}"))?;
        let mut file = Probe::open(&copy)
            .map_err(|e| format!("cannot open it: {e}"))?
            .guess_file_type()
            .map_err(|e| format!("cannot open it: {e}"))?
            .read()
            .map_err(|e| format!("cannot read its tags: {e}"))?;
        if file.primary_tag().is_none() {
            let kind = file.primary_tag_type();
            file.insert_tag(Tag::new(kind));
        }
        let tag = file
            .primary_tag_mut()
            .ok_or_else(|| "this format holds no tags".to_string())?;
        let text =
            |tag: &mut Tag, v: &Option<String>, set: fn(&mut Tag, String), key: ItemKey| match v
                .as_deref()
                .map(str::trim)
            {
                None => {}
                Some("") => tag.remove_key(key),
                Some(s) => set(tag, s.to_string()),
            };
        text(tag, &edit.title, |t, s| t.set_title(s), ItemKey::TrackTitle);
        text(
            tag,
            &edit.artist,
            |t, s| t.set_artist(s),
            ItemKey::TrackArtist,
        );
        text(tag, &edit.album, |t, s| t.set_album(s), ItemKey::AlbumTitle);
        text(tag, &edit.genre, |t, s| t.set_genre(s), ItemKey::Genre);
        match edit.year {
            None => {}
            Some(y) if y <= 0 => {
                tag.remove_key(ItemKey::Year);
                tag.remove_key(ItemKey::RecordingDate);
            }
            Some(y) => {
                tag.remove_key(ItemKey::Year);
                tag.insert_text(ItemKey::RecordingDate, y.to_string());
            }
        }
        file.save_to_path(&copy, WriteOptions::default())
            .map_err(|e| format!("cannot write the tags: {e}"))?;
        std::fs::rename(&copy, path).map_err(|e| format!("cannot replace the file: {e}"))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&copy);
    }
    result
}
