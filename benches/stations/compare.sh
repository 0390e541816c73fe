#!/usr/bin/env bash
# How many AutoDJ stations one radiopoint process keeps in real time on this machine, each
# with one MP3 128k output and one listener, and what a station costs — beside the same
# station made of liquidsoap + icecast2 (one liquidsoap per station, one shared icecast2).
#
#   benches/stations/compare.sh [COUNTS] [LIQ_COUNT] [SECONDS]
#       COUNTS     radiopoint station counts to try (default "25 50 100 130 160")
#       LIQ_COUNT  liquidsoap stations (default 10)
#       SECONDS    measured window (default 60)
#
# Every station AutoDJs the same folder of five 44.1 kHz MP3s (so each decodes, resamples
# to 48 kHz, crossfades, limits and encodes), indexed first. A run is "in real time" when
# the slowest listener got at least 99 % of 128 kbit/s over the window and no station
# thread reported a block later than its lead allows. CPU and RSS come from /proc.
# Needs ffmpeg, liquidsoap and icecast2 (Debian's packages); everything listens on
# 127.0.0.1 and every process started here is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
counts=${1:-"25 50 100 130 160"}
liq_count=${2:-10}
secs=${3:-60}
for tool in ffmpeg liquidsoap icecast2 curl; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing" >&2; exit 1; }
done
dir=$(mktemp -d)
chmod 777 "$dir"
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ "$rc" != 0 ]; then
    echo "compare.sh: failed (exit $rc); logs kept in $dir" >&2
    tail -5 "$dir"/*.log >&2 2>/dev/null || true
  else
    rm -rf "$dir"
  fi
}
trap cleanup EXIT
mkdir -p "$dir/music"
for i in 1 2 3 4 5; do
  ffmpeg -v error -y \
    -f lavfi -i "aevalsrc=0.3*sin(2*PI*(180+40*$i)*t)*(0.6+0.4*sin(2*PI*0.5*t))|0.3*sin(2*PI*(181+40*$i)*t):s=44100:d=45" \
    -f lavfi -i "anoisesrc=c=pink:r=44100:a=0.05:d=45" \
    -filter_complex "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2:normalize=0" \
    -metadata title="Bench $i" -metadata artist="Generator" \
    -c:a libmp3lame -b:a 192k "$dir/music/t$i.mp3"
done
cargo build --release -q -p radio-bin --bin radiopoint --bin radiopoint-load --bin content_indexer
bin=target/release

ticks=$(getconf CLK_TCK)
cpu_of() { # total user+system CPU seconds of the given PIDs
  local sum=0
  for p in "$@"; do
    sum=$(awk -v s="$sum" -v t="$ticks" '{ print s + ($14 + $15) / t }' "/proc/$p/stat")
  done
  echo "$sum"
}
rss_of() { # total RSS (MiB) of the given PIDs
  local sum=0
  for p in "$@"; do
    sum=$(awk -v s="$sum" '/^VmRSS/ { print s + $2 / 1024 }' "/proc/$p/status")
  done
  echo "$sum"
}
wait_for() { # seconds, command...: poll until the command succeeds
  local limit=$1; shift
  for _ in $(seq $((limit * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

echo "| stations | slowest listener kbit/s | late blocks | CPU % of one core | CPU per station | RSS MiB | RSS per station |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
port=18700
for n in $counts; do
  cfg="$dir/rp-$n.toml"
  {
    printf '[server]\nbind = "127.0.0.1"\nport = %d\ndatabase = "%s/rp.db"\n[limits]\nmax_sources = 1000\n' "$port" "$dir"
    for i in $(seq "$n"); do
      printf '[[station]]\nname = "s%d"\nmedia = ["%s/music"]\nwatchdog = 3600\n' "$i" "$dir"
      printf '[[station.output]]\nmount = "/s%d.mp3"\n' "$i"
    done
  } > "$cfg"
  # Index once per station before the clock starts (content_indexer, same database).
  for i in $(seq "$n"); do
    $bin/content_indexer --db "$dir/rp.db" --station "s$i" "$dir/music" >/dev/null 2>&1
  done
  $bin/radiopoint --config "$cfg" --no-demo 2> "$dir/rp-$n.log" &
  rp=$!; pids+=("$rp")
  wait_for 180 curl -sf "http://127.0.0.1:$port/api/nowplaying/s$n" \
    || { echo "compare.sh: $n stations did not come up" >&2; exit 1; }
  sleep 10 # let every watcher's start-up scan (all unchanged) finish
  urls=()
  for i in $(seq "$n"); do urls+=(--url "http://127.0.0.1:$port/s$i.mp3"); done
  late_before=$(grep -c "late" "$dir/rp-$n.log" || true)
  out=$($bin/radiopoint-load "${urls[@]}" --listeners "$n" --ramp 200 --duration "$secs" --pid "$rp" --json)
  late_after=$(grep -c "late" "$dir/rp-$n.log" || true)
  echo "$out" > "$dir/load-$n.json"
  python3 - "$dir/load-$n.json" "$n" $((late_after - late_before)) <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2]); late = int(sys.argv[3])
srv = r["server"]
cpu = srv["cpu_secs"] / r["window_secs"] * 100
rss = srv["rss_full_kib"] / 1024
slow = r["per_listener_kbps_min"]
print(f"| {n} | {slow:.1f} | {late} | {cpu:.0f} % | {cpu / n:.2f} % | {rss:.0f} | {rss / n:.1f} |")
PY
  kill "$rp"; wait "$rp" 2>/dev/null || true
  port=$((port + 3))
done

# The same station made of liquidsoap + icecast2.
ice=$dir/icecast; mkdir -p "$ice"; chmod 777 "$ice"
owner=""; [ "$(id -u)" = 0 ] && owner="<changeowner><user>nobody</user><group>nogroup</group></changeowner>"
cat > "$ice/icecast.xml" <<XML
<icecast><limits><sources>1000</sources><clients>10000</clients></limits>
<authentication><source-password>hackme</source-password><admin-password>hackme</admin-password></authentication>
<hostname>127.0.0.1</hostname><listen-socket><port>18690</port><bind-address>127.0.0.1</bind-address></listen-socket>
<paths><basedir>/usr/share/icecast2</basedir><logdir>$ice</logdir><webroot>/usr/share/icecast2/web</webroot>
<adminroot>/usr/share/icecast2/admin</adminroot></paths>
<logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>2</loglevel></logging>
<security><chroot>0</chroot>$owner</security></icecast>
XML
icecast2 -c "$ice/icecast.xml" & ice_pid=$!; pids+=("$ice_pid")
wait_for 20 curl -sf http://127.0.0.1:18690/status-json.xsl
liq_pids=()
for i in $(seq "$liq_count"); do
  cat > "$dir/l$i.liq" <<LIQ
settings.init.allow_root.set(true)
settings.log.level.set(2)
settings.frame.audio.samplerate.set(48000)
s = playlist(mode="randomize", "$dir/music")
s = crossfade(duration=4., s)
s = limit(threshold=-1., s)
s = mksafe(s)
output.icecast(%mp3(bitrate=128, samplerate=48000), host="127.0.0.1", port=18690,
  password="hackme", mount="/l$i.mp3", s)
LIQ
  liquidsoap "$dir/l$i.liq" > "$dir/l$i.log" 2>&1 &
  liq_pids+=($!); pids+=($!)
done
mounted() { curl -sf http://127.0.0.1:18690/status-json.xsl | grep -q "/l$1.mp3"; }
for i in $(seq "$liq_count"); do
  wait_for 180 mounted "$i" || { echo "compare.sh: liquidsoap $i never reached icecast2" >&2; exit 1; }
done
sleep 10
urls=()
for i in $(seq "$liq_count"); do urls+=(--url "http://127.0.0.1:18690/l$i.mp3"); done
c0=$(cpu_of "${liq_pids[@]}" "$ice_pid")
out=$($bin/radiopoint-load "${urls[@]}" --listeners "$liq_count" --ramp 200 --duration "$secs" --json)
c1=$(cpu_of "${liq_pids[@]}" "$ice_pid")
rss=$(rss_of "${liq_pids[@]}" "$ice_pid")
echo "$out" > "$dir/load-liq.json"
python3 - "$dir/load-liq.json" "$liq_count" "$c0" "$c1" "$rss" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
cpu = (float(sys.argv[4]) - float(sys.argv[3])) / r["window_secs"] * 100
rss = float(sys.argv[5])
print()
print("| liquidsoap + icecast2 stations | slowest listener kbit/s | CPU % of one core | CPU per station | RSS MiB | RSS per station |")
print("|---:|---:|---:|---:|---:|---:|")
print(f"| {n} | {r['per_listener_kbps_min']:.1f} | {cpu:.0f} % | {cpu / n:.2f} % | {rss:.0f} | {rss / n:.1f} |")
PY
