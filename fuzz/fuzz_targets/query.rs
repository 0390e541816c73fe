//! Fuzzes query-string parsing, percent-decoding, charset handling and Basic credentials
//! (`/admin/metadata?...`, `Authorization:` headers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use radio_net::query::{Query, encode_text, parse_basic, percent_decode};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();

    let q = Query::parse(s);
    let _ = q.get("song");
    let _ = q.get_in("song", Some("ISO-8859-1"));
    let _ = q.get_in("song", Some("Shift_JIS"));
    let _ = q.get_in("song", Some("no-such-charset"));
    let _ = q.bytes("mode");

    let _ = parse_basic(s);

    let decoded = percent_decode(s);
    assert!(
        decoded.len() <= s.len(),
        "percent_decode grew {} -> {}",
        s.len(),
        decoded.len()
    );

    // Latin-1 is one byte per character (`?` for the ones it cannot hold).
    let latin1 = encode_text(s, "ISO-8859-1");
    assert_eq!(latin1.len(), s.chars().count());
    let _ = encode_text(s, "windows-1251");
    assert_eq!(&*encode_text(s, "UTF-8"), s.as_bytes());
});
