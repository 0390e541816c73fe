#!/usr/bin/env bash
# The media indexer side by side with ffmpeg's EBU R128 meter, in one run, on the same
# library: content_indexer (decode, exact duration, integrated loudness, true peak, cue
# points, tags, hash, SQLite) against `ffmpeg -af ebur128=peak=true -f null -` (decode,
# loudness and true peak only), one file at a time and on both cores; then the rescan of
# the unchanged library and of a library of many tiny files, and loudgain / mp3gain on the
# MP3 files when they are installed. Wall seconds, CPU seconds (user + system) and max RSS
# come from /usr/bin/time; the tables at the end are markdown, ready for a README.
#
#   benches/indexer/compare.sh
#   TRACKS=50 SMALL_FILES=1000 benches/indexer/compare.sh        # a quick check
#
# TRACKS (80): tracks of 3-5 min, MP3/FLAC/Vorbis/AAC/Opus in turn, generated once into
#   $LIB/music-$TRACKS (about 8 CPU-s per track). ffmpeg's meter takes about 2.5 CPU-s per
#   track, so a default run takes about 20 min on 2 cores the first time (5 of them to
#   generate) and 13 min after, if content_indexer is about as fast as ffmpeg.
# SMALL_FILES (10000): hard links of a 1 s WAV in 100 folders, $LIB/small-$SMALL_FILES.
# LIB (${TMPDIR:-/tmp}/radiopoint-indexer-lib): the libraries, kept between runs.
# BIN (target/release/content_indexer): build it first with
#   cargo build --release -p radio-bin --bin content_indexer
#   (this script never runs cargo); without it, or with SKIP_OURS=1, only ffmpeg runs.
# WORK (a temporary folder, removed at the end): databases and logs; kept when given.
#
# Needs ffmpeg, ffprobe, jq and GNU time (/usr/bin/time; installed with apt-get when run as
# root). The audio files are never written after generation: the script checks that none
# changed (mtime) at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
TRACKS=${TRACKS:-80}
# UNIQUE (= TRACKS): tracks generated; the rest are hard links to them (a multiple of 5
# keeps each link's format).
UNIQUE=${UNIQUE:-$TRACKS}
export UNIQUE
SMALL_FILES=${SMALL_FILES:-10000}
LIB=${LIB:-${TMPDIR:-/tmp}/radiopoint-indexer-lib}
BIN=${BIN:-target/release/content_indexer}
SKIP_OURS=${SKIP_OURS:-0}
MUSIC=$LIB/music-$TRACKS-$UNIQUE
SMALL=$LIB/small-$SMALL_FILES
export MUSIC

apt_install() { # Debian packages, when root; else says how
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "== apt-get install $*" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
  else
    echo "compare.sh: needs $*: sudo apt-get install $*" >&2
    return 1
  fi
}
for tool in ffmpeg ffprobe; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || apt_install time
command -v jq >/dev/null || apt_install jq
# Optional: other loudness scanners, timed on the MP3 files in a mode that writes no tags.
for tool in loudgain mp3gain; do
  command -v "$tool" >/dev/null || apt_install "$tool" || true
done

ours=1
if [[ $SKIP_OURS == 1 ]]; then
  echo "== SKIP_OURS=1: content_indexer is not measured" >&2
  ours=0
elif [[ ! -x $BIN ]]; then
  echo "== $BIN is missing: content_indexer is not measured. Build it first with" >&2
  echo "     cargo build --release -p radio-bin --bin content_indexer" >&2
  ours=0
elif [[ -n $(find crates/radio-bin/src crates/radio-store/src crates/radio-core/src -newer "$BIN" -name '*.rs' -print -quit) ]]; then
  echo "== warning: $BIN is older than the sources; rebuild it for current figures" >&2
fi

if [[ -n ${WORK:-} ]]; then
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d /tmp/radiopoint-indexer.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi

# The recipe of track $1, the same on every machine: sets ext, rate, enc (encoder options),
# music (s of sound), lead and trail (ms of digital silence around it), f1, f2 (Hz), fast,
# slow, vib (modulation Hz), vol (dB), artist, title, name (path under $MUSIC).
recipe() {
  local i=$1
  music=$((180 + i * 37 % 121))
  lead=$((500 + i * 613 % 1501))
  trail=$((500 + i * 389 % 1501))
  f1=$((110 + i * 53 % 330))
  f2=$((f1 * 3 / 2))
  fast=$((2 + i % 7))
  printf -v slow '0.%02d' $((10 + i % 5 * 5))
  vib=$((4 + i % 3))
  vol=$((i * 7 % 13 - 6))
  case $((i % 5)) in
    0) ext=mp3 rate=44100 enc=(-c:a libmp3lame -b:a 192k) ;;
    1) ext=flac rate=44100 enc=(-c:a flac) ;;
    2) ext=ogg rate=44100 enc=(-c:a libvorbis -q:a 5) ;;
    3) ext=m4a rate=44100 enc=(-c:a aac -b:a 160k) ;;
    *) ext=opus rate=48000 enc=(-c:a libopus -b:a 128k) ;;
  esac
  printf -v artist 'Artist %02d' $((i % 20))
  printf -v title 'Track %04d' "$i"
  printf -v name '%s/%04d %s.%s' "$artist" "$i" "$title" "$ext"
}

# Track $1: two modulated tones and pink noise at -30 dBFS (a seed of its own), between
# 0.5-2 s of silence; written under a hidden name first, so that a stopped run leaves no
# half file behind (the indexer skips hidden files).
gen_track() {
  local ext rate enc music lead trail f1 f2 fast slow vib vol artist title name
  recipe "$1"
  local out=$MUSIC/$name
  [[ -e $out ]] && return 0
  mkdir -p "$MUSIC/$artist"
  if (($1 >= UNIQUE)); then
    # A hard link to an earlier track of the same format: every file is still opened,
    # decoded and measured, at a fifth of the generation cost.
    recipe $(($1 % UNIQUE))
    ln "$MUSIC/$name" "$out"
    return 0
  fi
  local part=$MUSIC/$artist/.part-$1.$ext
  ffmpeg -nostdin -v error -y \
    -f lavfi -i "sine=f=$f1:r=$rate:d=$music" \
    -f lavfi -i "sine=f=$f2:r=$rate:d=$music" \
    -f lavfi -i "anoisesrc=c=pink:r=$rate:a=0.03:seed=$(($1 + 1)):d=$music" \
    -filter_complex "[0]tremolo=f=$fast:d=0.4,pan=stereo|c0=0.9*c0|c1=0.5*c0[a];[1]vibrato=f=$vib:d=0.2,tremolo=f=$slow:d=0.6,pan=stereo|c0=0.5*c0|c1=0.9*c0[b];[2]pan=stereo|c0=c0|c1=c0[n];[a][b][n]amix=inputs=3:normalize=0,volume=${vol}dB,adelay=delays=$lead:all=1,apad=pad_dur=${trail}ms" \
    "${enc[@]}" -ar "$rate" \
    -metadata title="$title" -metadata artist="$artist" -metadata album="radiopoint bench" \
    "$part"
  mv "$part" "$out"
}
export -f recipe gen_track

if [[ -e $MUSIC/.complete ]]; then
  echo "== library: $MUSIC ($(cat "$MUSIC/.complete"))" >&2
else
  echo "== generating $TRACKS tracks into $MUSIC ($(nproc) at a time)" >&2
  start=$(date +%s.%N)
  mkdir -p "$MUSIC"
  # shellcheck disable=SC2016 # $1 is the inner shell's
  seq 0 $((UNIQUE - 1)) | xargs -P "$(nproc)" -n 1 bash -c 'set -euo pipefail; gen_track "$1"' _
  for ((i = UNIQUE; i < TRACKS; i++)); do gen_track "$i"; done
  # Each track's file name, leading silence, where its sound ends, and its length (s).
  for ((i = 0; i < TRACKS; i++)); do
    recipe $((i % UNIQUE))
    src_lead=$lead src_music=$music src_trail=$trail
    recipe "$i"
    lead=$src_lead music=$src_music trail=$src_trail
    end=$((lead + music * 1000))
    total=$((end + trail))
    printf '%s\t%d.%03d\t%d.%03d\t%d.%03d\n' "${name##*/}" $((lead / 1000)) $((lead % 1000)) \
      $((end / 1000)) $((end % 1000)) $((total / 1000)) $((total % 1000))
  done >"$MUSIC/.manifest"
  audio=$(find "$MUSIC" -type f ! -name '.*' -print0 |
    xargs -0 -P "$(nproc)" -n 1 ffprobe -v error -show_entries format=duration -of csv=p=0 |
    awk '{ s += $1 } END { printf "%.1f", s }')
  took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
  echo "tracks=$TRACKS audio_seconds=$audio generated_in=${took}s" >"$MUSIC/.complete"
  echo "== generated in $took s" >&2
fi
audio=$(sed -E 's/.*audio_seconds=([0-9.]+).*/\1/' "$MUSIC/.complete")
find "$MUSIC" -type f ! -name '.*' -print0 | sort -z >"$WORK/files"
find "$MUSIC" -type f -name '*.mp3' ! -name '.*' -print0 | sort -z >"$WORK/mp3"
files=$(tr -cd '\0' <"$WORK/files" | wc -c)
mp3s=$(tr -cd '\0' <"$WORK/mp3" | wc -c)
[[ $files -eq $TRACKS ]] || { echo "compare.sh: $MUSIC has $files files, not $TRACKS" >&2; exit 1; }

if [[ ! -e $SMALL/.complete ]]; then
  echo "== making $SMALL_FILES links to a 1 s WAV in $SMALL" >&2
  mkdir -p "$SMALL"
  ffmpeg -nostdin -v error -y -f lavfi -i "sine=f=440:r=44100:d=0.8" \
    -af "adelay=delays=100:all=1,apad=pad_dur=100ms" -ac 2 "$SMALL/.tiny.wav"
  for ((k = 0; k < 100 && k < SMALL_FILES; k++)); do mkdir -p "$SMALL/$(printf 'd%02d' "$k")"; done
  for ((k = 0; k < SMALL_FILES; k++)); do
    printf -v f '%s/d%02d/tiny %05d.wav' "$SMALL" $((k % 100)) "$k"
    [[ -e $f ]] || ln "$SMALL/.tiny.wav" "$f" 2>/dev/null || cp "$SMALL/.tiny.wav" "$f"
  done
  touch "$SMALL/.complete"
fi

# Both sides read from the page cache.
xargs -0 cat <"$WORK/files" >/dev/null

measure() { # NAME COMMAND...: COMMAND under GNU time; "wall user sys maxrss-KiB" in NAME.time
  local name=$1 rc=0
  shift
  echo "== $name: $*" >&2
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  if ((rc != 0)); then
    echo "warning: $name exited with status $rc:" >&2
    tail -5 "$WORK/$name.err" >&2
  fi
  tail -1 "$WORK/$name.time" | awk '{ printf "   %.1f s wall, %.1f CPU-s, %.0f MiB\n", $1, $2 + $3, $4 / 1024 }' >&2
}

fresh() { # DIR: an empty folder for a database (and the stations/ folder next to it)
  rm -rf "$1"
  mkdir -p "$1"
}

summary() { # NAME: "added updated moved removed failed unchanged" from a --json run
  jq -r 'select(.summary) | .summary | "\(.added) \(.updated) \(.moved) \(.removed) \(.failed) \(.unchanged)"' \
    "$WORK/$1.out" | tail -1
}

expect() { # NAME ADDED UNCHANGED: the run's summary, else a warning
  local got want="$2 0 0 0 0 $3"
  got=$(summary "$1" || true)
  if [[ $got != "$want" ]]; then
    echo "WARNING: $1: added updated moved removed failed unchanged = ${got:-none}, expected $want" >&2
    jq -r 'select(.status == "failed") | "  failed \(.path): \(.reason)"' "$WORK/$1.out" | head -10 >&2
  fi
}

# a, b: ffmpeg, one file after another (each file timed too, for the codec table), then two at a time.
ff=(ffmpeg -nostdin -nostats -hide_banner -threads 1 -i {} -af ebur128=peak=true -f null -)
rm -f "$WORK/ffmpeg1.files"
measure ffmpeg1 xargs -0 -P 1 -I{} /usr/bin/time -a -o "$WORK/ffmpeg1.files" -f '%e %U %S %M {}' "${ff[@]}" <"$WORK/files"
measure ffmpeg2 xargs -0 -P 2 -I{} "${ff[@]}" <"$WORK/files"
# ebur128 logs a line per 100 ms of audio (2,400 per track) before its summary: keep the
# summaries, in file order: integrated loudness and true peak.
awk '/Integrated loudness:/ { getline; i = $2 } /True peak:/ { getline; print i "\t" $2 }' \
  "$WORK/ffmpeg1.err" >"$WORK/ffmpeg1.summaries"
rm -f "$WORK/ffmpeg1.err" "$WORK/ffmpeg2.err"

if ((ours)); then
  # c, d: a fresh database each, every file analysed; then the rescans.
  fresh "$WORK/one"
  measure ours1 "$BIN" --db "$WORK/one/one.db" --station bench --jobs 1 --json "$MUSIC"
  expect ours1 "$files" 0
  fresh "$WORK/two"
  measure ours2 "$BIN" --db "$WORK/two/two.db" --station bench --jobs 2 --json "$MUSIC"
  expect ours2 "$files" 0
  measure rescan "$BIN" --db "$WORK/one/one.db" --station bench --jobs 1 --json "$MUSIC"
  expect rescan 0 "$files"
  fresh "$WORK/small"
  measure small_first "$BIN" --db "$WORK/small/small.db" --station small --json "$SMALL"
  expect small_first "$SMALL_FILES" 0
  measure small_rescan "$BIN" --db "$WORK/small/small.db" --station small --json "$SMALL"
  expect small_rescan 0 "$SMALL_FILES"
fi

# The MP3 files alone, for the tools that read only MP3 (or whose MP3 path is the usual one).
others=()
command -v loudgain >/dev/null && others+=(loudgain)
command -v mp3gain >/dev/null && others+=(mp3gain)
if ((${#others[@]} && mp3s)); then
  if ((ours)); then
    mkdir -p "$WORK/mp3lib"
    xargs -0 ln -sf -t "$WORK/mp3lib" <"$WORK/mp3"
    fresh "$WORK/mp3db"
    measure ours_mp3 "$BIN" --db "$WORK/mp3db/mp3.db" --station mp3 --jobs 1 --json "$WORK/mp3lib"
    expect ours_mp3 "$mp3s" 0
  fi
  # -s s: loudgain computes ReplayGain 2.0 (R128, true peak) and writes no tags.
  if command -v loudgain >/dev/null; then measure loudgain xargs -0 loudgain -q -s s <"$WORK/mp3"; fi
  # -s s: neither read nor write tags (mp3gain's default stores its results in an APE tag);
  # -e: no album analysis. ReplayGain 1, sample peak.
  if command -v mp3gain >/dev/null; then measure mp3gain xargs -0 mp3gain -q -e -s s <"$WORK/mp3"; fi
  awk '$1 ~ /^[0-9]/ && $NF ~ /\.mp3$/ { w += $1; c += $2 + $3; if ($4 > m) m = $4 } END { printf "%.2f %.2f 0 %d\n", w, c, m }' \
    "$WORK/ffmpeg1.files" >"$WORK/ffmpeg_mp3.time"
fi

changed=$(find "$MUSIC" -type f ! -name '.*' -newer "$MUSIC/.complete" | wc -l)
changed=$((changed + $(find "$SMALL" -type f ! -name '.*' -newer "$SMALL/.complete" | wc -l)))
((changed == 0)) || echo "WARNING: $changed audio files were modified during the run" >&2

# Results.
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
version=""
if ((ours)); then version=" $("$BIN" --version | awk '{ print $2 }')"; fi
mp3_audio=$(awk -F'\t' '$1 ~ /\.mp3$/ { s += $4 } END { printf "%.0f", s }' "$MUSIC/.manifest")

row() { # LABEL NAME FILES [AUDIO-SECONDS]: a table row from NAME.time
  [[ -s $WORK/$2.time ]] || return 0
  tail -1 "$WORK/$2.time" | awk -v l="$1" -v n="$3" -v a="${4:-}" '{
    w = $1 > 0.01 ? $1 : 0.01; c = $2 + $3 > 0.01 ? $2 + $3 : 0.01
    printf "| %s | %.1f | %.1f | %.0f | %.1f | %s |\n", l, $1, $2 + $3, $4 / 1024, n / w, (a == "" ? "–" : sprintf("%.0f", a / c)) }'
}
ratio() { # LABEL OURS FFMPEG: time per file, ours ÷ ffmpeg (same files)
  [[ -s $WORK/$2.time && -s $WORK/$3.time ]] || return 0
  awk -v l="$1" 'function r(x) { return sprintf(x <= 1 ? "%.2f (%.1f× faster)" : "%.2f (%.1f× slower)", x, x <= 1 ? 1 / x : x) }
    NR == 1 { w = $1; c = $2 + $3 } NR == 2 { printf "| %s | %s | %s |\n", l, r(w / $1), r(c / ($2 + $3)) }' \
    <(tail -1 "$WORK/$2.time") <(tail -1 "$WORK/$3.time")
}

echo
echo "Indexing $files files (MP3 192k, FLAC, Vorbis q5, AAC 160k, Opus 128k in turn; 3-5 min each;"
echo "$(awk -v a="$audio" 'BEGIN { printf "%.1f", a / 3600 }') h of audio) on $(nproc) cores ($cpu), ffmpeg $(ffmpeg -version | awk 'NR == 1 { print $3 }'):"
echo
echo "| run | wall s | CPU s | max RSS MiB | files/s | audio s per CPU s |"
echo "|---|---:|---:|---:|---:|---:|"
row "ffmpeg \`-af ebur128=peak=true\`, one file at a time" ffmpeg1 "$files" "$audio"
row "ffmpeg, two at a time (\`xargs -P 2\`)" ffmpeg2 "$files" "$audio"
row "content_indexer$version \`--jobs 1\`, new database" ours1 "$files" "$audio"
row "content_indexer \`--jobs 2\`, new database" ours2 "$files" "$audio"
row "content_indexer rescan, $files files unchanged" rescan "$files"
row "content_indexer, $SMALL_FILES tiny WAV files, first scan" small_first "$SMALL_FILES"
row "content_indexer rescan, $SMALL_FILES tiny files unchanged" small_rescan "$SMALL_FILES"
if [[ -s $WORK/ffmpeg1.time && -s $WORK/ours1.time ]]; then
  echo
  echo "| time per file, content_indexer ÷ ffmpeg | wall | CPU |"
  echo "|---|---:|---:|"
  ratio "one core: \`--jobs 1\` ÷ one at a time" ours1 ffmpeg1
  ratio "both cores: \`--jobs 2\` ÷ two at a time" ours2 ffmpeg2
  ratio "\`--jobs 2\` ÷ ffmpeg one at a time" ours2 ffmpeg1
fi

echo
echo "ffmpeg one file at a time, by codec:"
echo
echo "| codec | files | CPU s per file | audio s per CPU s |"
echo "|---|---:|---:|---:|"
awk -F'\t' 'FNR == NR { d[$1] = $4; next } $1 ~ /^[0-9]/ {
    split($0, f, " "); p = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", p)
    n = p; sub(/.*\//, "", n); x = p; sub(/.*\./, "", x)
    k[x]++; c[x] += f[2] + f[3]; a[x] += d[n] }
  END { for (x in k) printf "| %s | %d | %.2f | %.0f |\n", x, k[x], c[x] / k[x], a[x] / c[x] }' \
  "$MUSIC/.manifest" "$WORK/ffmpeg1.files" | sort

if [[ -s $WORK/ffmpeg_mp3.time ]]; then
  echo
  echo "The $mp3s MP3 files alone, one core (about $mp3_audio s of audio):"
  echo
  echo "| run | wall s | CPU s | max RSS MiB | files/s | audio s per CPU s |"
  echo "|---|---:|---:|---:|---:|---:|"
  row "ffmpeg \`-af ebur128=peak=true\`, one file at a time" ffmpeg_mp3 "$mp3s" "$mp3_audio"
  row "content_indexer \`--jobs 1\`" ours_mp3 "$mp3s" "$mp3_audio"
  row "loudgain $(loudgain -v 2>/dev/null | awk '{ print $2; exit }') \`-s s\` (no tags written)" loudgain "$mp3s" "$mp3_audio"
  row "mp3gain $(mp3gain -v 2>&1 | awk '{ print $NF; exit }') \`-e -s s\` (ReplayGain 1, no tags)" mp3gain "$mp3s" "$mp3_audio"
fi

# Agreement: loudness and true peak with ffmpeg's summaries (printed in file order), cue
# points with the silence the generator put around the sound.
if [[ $(wc -l <"$WORK/ffmpeg1.summaries") -ne $files ]]; then
  echo "WARNING: $(wc -l <"$WORK/ffmpeg1.summaries") ffmpeg summaries for $files files: no comparison" >&2
elif [[ -s $WORK/ours1.out ]]; then
  tr '\0' '\n' <"$WORK/files" | sed 's|.*/||' | paste - "$WORK/ffmpeg1.summaries" >"$WORK/ffmpeg.tsv"
  jq -r 'select(.status == "added") | [(.path | split("/") | last), .loudness, .true_peak, .cue_in, .cue_out] | @tsv' \
    "$WORK/ours1.out" >"$WORK/ours.tsv"
  echo
  awk -F'\t' '
    FNR == 1 { file++ }
    file == 1 { lead[$1] = $2; end[$1] = $3; next }
    file == 2 { fi[$1] = $2; ft[$1] = $3; next }
    ($1 in fi) && $2 != "" && fi[$1] != "" {
      n++; d = $2 - fi[$1]; if (d < 0) d = -d; s += d; if (d > di) { di = d; wi = $1 }
      d = $3 - ft[$1]; if (d < 0) d = -d; if (d > dt) { dt = d; wt = $1 } }
    ($1 in lead) { d = $4 - lead[$1]; if (d < 0) d = -d; if (d > dc) dc = d
      d = $5 - end[$1]; if (d < 0) d = -d; if (d > de) de = d }
    END {
      printf "Agreement over %d files: integrated loudness vs ffmpeg mean |Δ| %.2f LU, max %.2f (%s);\n", n, s / n, di, wi
      printf "true peak vs ffmpeg max |Δ| %.2f dB (%s); cue-in vs the generated silence max |Δ| %.3f s, cue-out %.3f s.\n", dt, wt, dc, de
      if (di > 0.2) print "WARNING: integrated loudness differs from ffmpeg by more than 0.2 LU" > "/dev/stderr"
      if (dc > 0.25 || de > 0.25) print "WARNING: a cue point is more than 0.25 s from the generated silence" > "/dev/stderr" }' \
    "$MUSIC/.manifest" "$WORK/ffmpeg.tsv" "$WORK/ours.tsv"
fi
echo "(generation: $(sed -E 's/.*generated_in=//' "$MUSIC/.complete"); library in $MUSIC and $SMALL)"
