#!/usr/bin/env bash
# The audio chain without the encoder, side by side with liquidsoap doing the same work
# offline: decode two 44.1 kHz MP3 files, resample to 48 kHz, apply a fixed gain (−3 dB),
# crossfade them (3 s), limit at −1 dB. Real-time factor = seconds of audio ÷ CPU seconds
# (user + system), so both are measured on the same footing whatever the machine's load.
#
#   benches/chain/compare.sh [SECONDS_PER_FILE]     (default 300)
#
# Needs ffmpeg (to make the input) and liquidsoap (Debian's package). Liquidsoap's start-up
# (type-checking its standard library, ~6 CPU-s) is measured with an empty script and
# subtracted. Liquidsoap's `limit` is a compressor with a high ratio rather than a true-peak
# limiter, so the table also shows it without the limiter and decoding + resampling alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-300}
for tool in ffmpeg liquidsoap; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing" >&2; exit 1; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in 1 2; do
  ffmpeg -v error -y \
    -f lavfi -i "aevalsrc=0.4*sin(2*PI*(200+20*$i)*t)+0.2*sin(2*PI*1375*t)|0.36*sin(2*PI*(200+20*$i)*t)+0.18*sin(2*PI*1375*t):s=44100:d=$secs" \
    -f lavfi -i "anoisesrc=c=pink:r=44100:a=0.08:d=$secs" \
    -filter_complex "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2:normalize=0" \
    -c:a libmp3lame -b:a 192k -ar 44100 "$dir/t$i.mp3"
done
cargo build --release --example render -q
audio=$((2 * secs - 3))

cpu() { # prints the user+system CPU seconds of a command
  local t
  t=$( { TIMEFORMAT='%3U %3S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
  awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f", a[1] + a[2] }'
}

liq() { # a liquidsoap script with the given processing lines
  cat > "$dir/$1.liq" <<LIQ
settings.init.allow_root.set(true)
settings.frame.audio.samplerate.set(48000)
settings.log.level.set(1)
s = sequence([once(single("$dir/t1.mp3")), once(single("$dir/t2.mp3"))])
$2
clock.assign_new(sync="none", [s])
output.dummy(fallible=true, on_stop=shutdown, s)
LIQ
  echo "$dir/$1.liq"
}

printf 'settings.init.allow_root.set(true)\nshutdown()\n' > "$dir/nop.liq"
startup=$(cpu liquidsoap "$dir/nop.liq")
full=$(liq full 's = amplify(0.708, s)
s = crossfade(duration=3., fade_in=3., fade_out=3., s)
s = limit(threshold=-1., s)')
nolimit=$(liq nolimit 's = amplify(0.708, s)
s = crossfade(duration=3., fade_in=3., fade_out=3., s)')
decode=$(liq decode '')

row() { # name cpu-seconds [startup to subtract]
  awk -v n="$1" -v c="$2" -v s="${3:-0}" -v a="$audio" \
    'BEGIN { printf "| %-52s | %7.2f | %6.0f× |\n", n, c - s, a / (c - s) }'
}
echo "Chain without encoder, ${audio} s of audio (2 × ${secs} s MP3 44.1 kHz, 3 s crossfade), one process:"
echo "| | CPU-s | real time |"
echo "|---|---|---|"
row "radiopoint: decode, resample, gain, crossfade, limiter" \
  "$(cpu target/release/examples/render -o null --gain -3 --crossfade 3 "$dir/t1.mp3" "$dir/t2.mp3")"
row "liquidsoap $(liquidsoap --version | head -1 | cut -d' ' -f2): the same (limit = compressor)" "$(cpu liquidsoap "$full")" "$startup"
row "liquidsoap: without the limiter" "$(cpu liquidsoap "$nolimit")" "$startup"
row "liquidsoap: decode and resample only" "$(cpu liquidsoap "$decode")" "$startup"
echo "(liquidsoap start-up, subtracted: ${startup} CPU-s)"
