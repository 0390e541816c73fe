//! Tags: ID3v2 written by lofty, ID3v1 with 8-bit text, artwork stored once per image.

use crate::util::*;
use lofty::config::WriteOptions;
use lofty::picture::{MimeType, Picture, PictureType};
use lofty::tag::{Accessor, ItemKey, Tag, TagExt, TagType};
use std::io::Write;
use std::path::Path;

/// The start of a PNG (signature and IHDR): enough to be recognised and sized.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    v.extend(width.to_be_bytes());
    v.extend(height.to_be_bytes());
    v.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    v.extend(vec![0u8; 64]);
    v
}

fn tag_file(path: &Path, title: &str, artist: &str, cover: Option<Vec<u8>>) {
    let mut tag = Tag::new(TagType::Id3v2);
    tag.set_title(title.to_string());
    tag.set_artist(artist.to_string());
    tag.set_album("The Album".to_string());
    tag.set_genre("Electronic".to_string());
    tag.set_track(7);
    tag.insert_text(ItemKey::RecordingDate, "1999-05-01".to_string());
    if let Some(data) = cover {
        tag.push_picture(
            Picture::unchecked(data)
                .pic_type(PictureType::CoverFront)
                .mime_type(MimeType::Png)
                .build(),
        );
    }
    tag.save_to_path(path, WriteOptions::default()).unwrap();
}

#[test]
fn id3v2_tags_and_artwork_are_read_and_each_image_stored_once() {
    let lib = Lib::new();
    let pcm = tone(0.0, 1.0, 0.0, 440.0, -10.0);
    for (name, cover) in [
        ("a.mp3", png(300, 300)),
        ("b.mp3", png(300, 300)),
        ("c.mp3", png(64, 32)),
    ] {
        write_mp3(&lib.file(name), &pcm);
        tag_file(
            &lib.file(name),
            &format!("Title {name}"),
            "Ünïcode Ärtist",
            Some(cover),
        );
    }
    write_mp3(&lib.file("plain.mp3"), &pcm);
    let s = lib.scan();
    assert_eq!((s.added, s.failed), (4, 0), "{s:?}");
    let a = lib.track("a.mp3");
    assert_eq!(a.tags.title.as_deref(), Some("Title a.mp3"));
    assert_eq!(a.tags.artist.as_deref(), Some("Ünïcode Ärtist"));
    assert_eq!(a.tags.album.as_deref(), Some("The Album"));
    assert_eq!(a.tags.genre.as_deref(), Some("Electronic"));
    assert_eq!(a.tags.year, Some(1999));
    assert_eq!(a.tags.track_number, Some(7));
    let (b, c) = (lib.track("b.mp3"), lib.track("c.mp3"));
    assert!(a.artwork.is_some());
    assert_eq!(a.artwork, b.artwork, "the same image is stored once");
    assert_ne!(a.artwork, c.artwork);
    assert_eq!(lib.track("plain.mp3").artwork, None);
    let (mime, data) = lib.store.artwork(a.artwork.unwrap()).unwrap().unwrap();
    assert_eq!((mime.as_str(), data), ("image/png", png(300, 300)));
    assert_eq!(
        lib.track("plain.mp3").tags.title.as_deref(),
        Some("plain"),
        "file name"
    );

    // Unused artwork goes with its last track.
    std::fs::remove_file(lib.file("c.mp3")).unwrap();
    lib.scan();
    assert!(lib.store.artwork(c.artwork.unwrap()).unwrap().is_none());
    assert!(lib.store.artwork(a.artwork.unwrap()).unwrap().is_some());
}

#[test]
fn id3v1_latin1_text_is_decoded_without_mojibake() {
    let lib = Lib::new();
    let pcm = tone(0.0, 1.0, 0.0, 440.0, -10.0);
    write_mp3(&lib.file("v1.mp3"), &pcm);
    // A tagger that wrote UTF-8 into ID3v1, and one that wrote windows-1252.
    let tag = id3v1(
        "Björk".as_bytes(),
        b"Caf\xe9 \x93Noir\x94",
        b"Alb\xfcm",
        b"2003",
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(lib.file("v1.mp3"))
        .unwrap()
        .write_all(&tag)
        .unwrap();
    let s = lib.scan();
    assert_eq!(s.failed, 0, "{s:?}");
    let t = lib.track("v1.mp3");
    assert_eq!(t.tags.title.as_deref(), Some("Björk"));
    assert_eq!(t.tags.artist.as_deref(), Some("Café \u{201c}Noir\u{201d}"));
    assert_eq!(t.tags.album.as_deref(), Some("Albüm"));
    assert_eq!(t.tags.year, Some(2003));
}

#[test]
fn a_legacy_charset_can_be_chosen_per_library() {
    let lib = Lib::new();
    write_mp3(&lib.file("ru.mp3"), &tone(0.0, 1.0, 0.0, 440.0, -10.0));
    let tag = id3v1(b"\xca\xe8\xed\xee", b"\xc3\xf0\xf3\xef\xef\xe0", b"", b"");
    std::fs::OpenOptions::new()
        .append(true)
        .open(lib.file("ru.mp3"))
        .unwrap()
        .write_all(&tag)
        .unwrap();
    lib.scan_with(&radio_store::ScanOptions {
        legacy_charset: encoding_rs::WINDOWS_1251,
        ..radio_store::ScanOptions::default()
    });
    let t = lib.track("ru.mp3");
    assert_eq!(t.tags.title.as_deref(), Some("Кино"));
    assert_eq!(t.tags.artist.as_deref(), Some("Группа"));
}
