//! Where a station's program goes: encoded formats, local mounts and upstream servers.
//!
//! Every output names a [`Format`]; outputs with the same format share one encoder, so a
//! station with an MP3 mount and an MP3 upstream at the same bitrate encodes once. Every
//! encoder is fed the same blocks, so all outputs carry the same program, in step.

use radio_core::Metadata;
use radio_core::encode::{Encoder, Mp3Encoder, Mp3Mode, Mp3Settings, OpusEncoder, OpusSettings};
use radio_net::config::StreamInfo;
use radio_net::mount::SourceInfo;
use radio_net::push::PushConfig;

/// A codec the station encodes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// MP3 (LAME), constant bitrate.
    Mp3,
    /// Opus in Ogg.
    Opus,
}

impl Codec {
    /// Its name in configs and status ("mp3", "opus").
    pub fn name(self) -> &'static str {
        match self {
            Codec::Mp3 => "mp3",
            Codec::Opus => "opus",
        }
    }
}

impl std::str::FromStr for Codec {
    type Err = String;
    fn from_str(s: &str) -> Result<Codec, String> {
        match s.to_ascii_lowercase().as_str() {
            "mp3" | "mpeg" => Ok(Codec::Mp3),
            "opus" | "ogg" => Ok(Codec::Opus),
            other => Err(format!(
                "unknown codec {other:?} (expected \"mp3\" or \"opus\")"
            )),
        }
    }
}

/// An encoded format: codec and bitrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Format {
    /// The codec.
    pub codec: Codec,
    /// kbit/s.
    pub bitrate: u32,
}

/// MPEG-1 layer III bitrates (kbit/s) at 48 kHz.
pub const MP3_BITRATES: [u32; 14] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];

impl Format {
    /// MP3 at `kbps`.
    pub fn mp3(kbps: u32) -> Format {
        Format {
            codec: Codec::Mp3,
            bitrate: kbps,
        }
    }

    /// Opus at `kbps`.
    pub fn opus(kbps: u32) -> Format {
        Format {
            codec: Codec::Opus,
            bitrate: kbps,
        }
    }

    /// Whether the bitrate suits the codec; the message says what would.
    pub fn check(&self) -> Result<(), String> {
        match self.codec {
            Codec::Mp3 if !MP3_BITRATES.contains(&self.bitrate) => Err(format!(
                "MP3 bitrate {} kbit/s is not one of {MP3_BITRATES:?}",
                self.bitrate
            )),
            Codec::Opus if !(6..=510).contains(&self.bitrate) => Err(format!(
                "Opus bitrate {} kbit/s is outside 6–510",
                self.bitrate
            )),
            _ => Ok(()),
        }
    }

    /// The stream's `Content-Type`.
    pub fn content_type(&self) -> &'static str {
        match self.codec {
            Codec::Mp3 => "audio/mpeg",
            Codec::Opus => "audio/ogg",
        }
    }

    /// `ice-audio-info` for this format.
    pub fn audio_info(&self) -> String {
        format!(
            "ice-samplerate=48000;ice-bitrate={};ice-channels=2",
            self.bitrate
        )
    }

    /// A new encoder; header chunks (Ogg) land in `out`.
    pub(crate) fn encoder(
        &self,
        meta: &Metadata,
        out: &mut Vec<radio_core::encode::Chunk>,
    ) -> radio_core::Result<Box<dyn Encoder>> {
        self.check().map_err(radio_core::Error::Encode)?;
        Ok(match self.codec {
            Codec::Mp3 => Box::new(Mp3Encoder::new(Mp3Settings {
                mode: Mp3Mode::Cbr(self.bitrate),
                ..Mp3Settings::default()
            })?),
            Codec::Opus => Box::new(OpusEncoder::new(
                OpusSettings {
                    bitrate: self.bitrate as i32 * 1000,
                    ..OpusSettings::default()
                },
                meta,
                out,
            )?),
        })
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}k", self.codec.name(), self.bitrate)
    }
}

/// Where an output's bytes go.
#[derive(Debug, Clone)]
pub enum Target {
    /// A mount of the station's server (created if the server allows; must be free).
    Mount(String),
    /// Another server, as a source client (reconnects with backoff on its own).
    Upstream(Box<PushConfig>),
}

/// One output of a station.
#[derive(Debug, Clone)]
pub struct Output {
    /// The encoded format.
    pub format: Format,
    /// Where it goes.
    pub target: Target,
    /// Name, description, genre, URL shown to listeners and directories.
    pub info: StreamInfo,
}

impl Output {
    /// A local mount.
    pub fn mount(path: impl Into<String>, format: Format) -> Output {
        Output {
            format,
            target: Target::Mount(path.into()),
            info: StreamInfo::default(),
        }
    }

    /// A push to an upstream server (`push.content_type` and `audio_info` are set from
    /// the format).
    pub fn upstream(push: PushConfig, format: Format) -> Output {
        Output {
            format,
            target: Target::Upstream(Box::new(push)),
            info: StreamInfo::default(),
        }
    }

    /// Sets the stream's name, description and so on.
    pub fn with_info(mut self, info: StreamInfo) -> Output {
        self.info = info;
        self
    }

    /// What the mount or upstream is told about the stream.
    pub(crate) fn source_info(&self) -> SourceInfo {
        let mut s = SourceInfo::new(self.format.content_type());
        s.info = self.info.clone();
        s.info.bitrate = Some(self.format.bitrate);
        s.audio_info = Some(self.format.audio_info());
        s.user_agent = "radiopoint station".into();
        s
    }

    /// The mount path or the upstream URL without credentials, for status.
    pub fn describe(&self) -> String {
        match &self.target {
            Target::Mount(m) => m.clone(),
            Target::Upstream(p) => strip_credentials(&p.url),
        }
    }
}

/// `http://user:pass@host/m` → `http://host/m`.
pub fn strip_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_status() {
        assert_eq!(
            strip_credentials("http://source:pw@example.org:8000/rock.mp3"),
            "http://example.org:8000/rock.mp3"
        );
        assert_eq!(strip_credentials("http://h/m"), "http://h/m");
    }

    #[test]
    fn bitrates_are_checked_per_codec() {
        assert!(Format::mp3(128).check().is_ok());
        assert!(Format::mp3(100).check().unwrap_err().contains("100"));
        assert!(Format::opus(96).check().is_ok());
        assert!(Format::opus(2).check().is_err());
        assert_eq!("OPUS".parse::<Codec>(), Ok(Codec::Opus));
        assert!("aac".parse::<Codec>().unwrap_err().contains("aac"));
    }
}
