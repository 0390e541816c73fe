//! The edit list of an MP4/M4A sound track: where its real audio starts (after the AAC
//! encoder's priming samples) and how long it is (before the padding of the last frame).
//!
//! symphonia 0.6's MP4 reader ignores edit lists, so an M4A decodes with 1024–2112
//! samples of priming silence in front and padding behind: a duration tens of
//! milliseconds long and cue points that much late. This reads `moov/mvhd` (movie time
//! scale), then per `trak`: `mdia/hdlr` (is it sound?), `mdia/mdhd` (media time scale) and
//! `edts/elst` (the first non-empty edit), nothing else.

use std::io::{Read, Seek, SeekFrom};

/// The `moov` box is read whole, up to this size (real ones are kilobytes to a few MiB).
const MAX_MOOV: u64 = 32 * 1024 * 1024;

/// The first non-empty edit of the first sound track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    /// Where the presentation starts, in media samples (the priming to skip).
    pub start: u64,
    /// How long it lasts, in media samples (`None`: to the end).
    pub length: Option<u64>,
}

fn be32(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_be_bytes(
        b.get(at..at + 4)?.try_into().ok()?,
    )))
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The boxes directly inside `data`: (type, payload).
fn boxes(data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let size = be32(data, at)?;
        let kind = data.get(at + 4..at + 8)?;
        let (header, size) = match size {
            1 => (16, be64(data, at + 8)?),
            0 => (8, (data.len() - at) as u64),
            n => (8, n),
        };
        let end = at.checked_add(usize::try_from(size).ok()?)?;
        if size < header as u64 || end > data.len() {
            return None;
        }
        let payload = &data[at + header..end];
        at = end;
        Some((kind, payload))
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| *k == kind).map(|(_, p)| p)
}

/// `mvhd`/`mdhd`: the time scale (version 0: after 4 + 4 + 4 bytes; 1: after 4 + 8 + 8).
fn timescale(header: &[u8]) -> Option<u64> {
    match header.first()? {
        0 => be32(header, 12),
        1 => be32(header, 20),
        _ => None,
    }
    .filter(|&t| t > 0)
}

/// The first edit with a media time (an empty edit, `-1`, is a delay we do not model).
fn first_edit(elst: &[u8]) -> Option<(u64, u64)> {
    let version = *elst.first()?;
    let count = be32(elst, 4)?;
    let mut at = 8;
    for _ in 0..count.min(1024) {
        let (duration, media_time) = if version == 1 {
            let d = be64(elst, at)?;
            let t = be64(elst, at + 8)? as i64;
            at += 20;
            (d, t)
        } else {
            let d = be32(elst, at)?;
            let t = i64::from(be32(elst, at + 4)? as u32 as i32);
            at += 12;
            (d, t)
        };
        if media_time >= 0 {
            return Some((duration, media_time as u64));
        }
    }
    None
}

/// The edit of the first sound track of an MP4 file, when it has one. Any damage or
/// surprise gives `None` (the file then plays as symphonia reads it).
pub fn sound_edit(file: &mut (impl Read + Seek)) -> Option<Edit> {
    let moov = read_moov(file)?;
    let movie_scale = timescale(child(&moov, b"mvhd")?)?;
    for (kind, trak) in boxes(&moov) {
        if kind != b"trak" {
            continue;
        }
        let mdia = child(trak, b"mdia")?;
        if child(mdia, b"hdlr")?.get(8..12)? != b"soun" {
            continue;
        }
        let media_scale = timescale(child(mdia, b"mdhd")?)?;
        let elst = child(child(trak, b"edts")?, b"elst")?;
        let (duration, start) = first_edit(elst)?;
        // The edit's duration is in the movie's time scale; 0 means "to the end".
        let length = (duration > 0).then(|| {
            (u128::from(duration) * u128::from(media_scale) / u128::from(movie_scale)) as u64
        });
        return Some(Edit { start, length });
    }
    None
}

fn read_moov(file: &mut (impl Read + Seek)) -> Option<Vec<u8>> {
    let mut at = 0u64;
    let end = file.seek(SeekFrom::End(0)).ok()?;
    while at + 8 <= end {
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut head = [0u8; 16];
        file.read_exact(&mut head[..8]).ok()?;
        let size = be32(&head, 0)?;
        let (header, size) = match size {
            1 => {
                file.read_exact(&mut head[8..]).ok()?;
                (16, be64(&head, 8)?)
            }
            0 => (8, end - at),
            n => (8, n),
        };
        if size < header {
            return None;
        }
        if &head[4..8] == b"moov" {
            let len = size - header;
            if len > MAX_MOOV {
                return None;
            }
            let mut moov = vec![0u8; len as usize];
            file.read_exact(&mut moov).ok()?;
            return Some(moov);
        }
        at = at.checked_add(size)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(payload);
        v
    }

    fn header_v0(scale: u32) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        v.extend(scale.to_be_bytes());
        v.extend([0u8; 8]);
        v
    }

    fn movie(handler: &[u8; 4], edits: &[(u32, i32)]) -> Vec<u8> {
        let mut elst = vec![0, 0, 0, 0];
        elst.extend((edits.len() as u32).to_be_bytes());
        for (d, t) in edits {
            elst.extend(d.to_be_bytes());
            elst.extend(t.to_be_bytes());
            elst.extend(0x0001_0000u32.to_be_bytes());
        }
        let mut hdlr = vec![0u8; 8];
        hdlr.extend_from_slice(handler);
        hdlr.extend([0u8; 13]);
        let mdia = [bx(b"mdhd", &header_v0(44_100)), bx(b"hdlr", &hdlr)].concat();
        let trak = [
            bx(b"tkhd", &[0; 84]),
            bx(b"edts", &bx(b"elst", &elst)),
            bx(b"mdia", &mdia),
        ]
        .concat();
        let moov = [bx(b"mvhd", &header_v0(1000)), bx(b"trak", &trak)].concat();
        [
            bx(b"ftyp", b"M4A \0\0\0\0"),
            bx(b"mdat", &[7; 100]),
            bx(b"moov", &moov),
        ]
        .concat()
    }

    #[test]
    fn the_priming_and_length_of_an_aac_track_are_read() {
        // ffmpeg's AAC: 1024 samples of priming, 8.5 s at 44.1 kHz (in ms of movie time).
        let file = movie(b"soun", &[(8500, 1024)]);
        let edit = sound_edit(&mut std::io::Cursor::new(file)).unwrap();
        assert_eq!(
            edit,
            Edit {
                start: 1024,
                length: Some(374_850)
            }
        );
        // An empty edit first (a delay) is passed over.
        let file = movie(b"soun", &[(100, -1), (8500, 2112)]);
        assert_eq!(
            sound_edit(&mut std::io::Cursor::new(file)).unwrap().start,
            2112
        );
    }

    #[test]
    fn no_sound_track_or_damage_gives_none() {
        let file = movie(b"vide", &[(8500, 1024)]);
        assert_eq!(sound_edit(&mut std::io::Cursor::new(file)), None);
        let mut file = movie(b"soun", &[(8500, 1024)]);
        let n = file.len();
        file.truncate(n - 10);
        assert_eq!(sound_edit(&mut std::io::Cursor::new(file)), None);
        assert_eq!(sound_edit(&mut std::io::Cursor::new(vec![0xff; 64])), None);
        assert_eq!(sound_edit(&mut std::io::Cursor::new(Vec::new())), None);
    }
}
