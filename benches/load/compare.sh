#!/usr/bin/env bash
# Side-by-side load test: radiopoint and Debian's icecast2 on this machine, same source,
# same load tool, same run.
#
#   benches/load/compare.sh [LISTENERS ...]        (default: 1000 10000)
#   DURATION=60 RAMP=500 PUBLISH_MS=500 benches/load/compare.sh 1000
#
# Needs: ffmpeg, icecast2 (Debian), python3. Everything listens on 127.0.0.1; every process
# started here is stopped by its PID. Results: one JSON per run in $OUT (printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=("${@:-1000 10000}")
read -r -a SIZES <<<"${SIZES[*]}"
DURATION=${DURATION:-60}
RAMP=${RAMP:-500}
PUBLISH_MS=${PUBLISH_MS:-500}
SERVERS=${SERVERS:-"radiopoint icecast2"}
OUT=${OUT:-$(mktemp -d /tmp/radiopoint-load.XXXXXX)}
mkdir -p "$OUT"
chmod 777 "$OUT"
RP_PORT=${RP_PORT:-18000}
IC_PORT=${IC_PORT:-18100}
for t in ffmpeg icecast2 python3; do command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 1; }; done

cargo build --release -q -p radio-bin --bin radiopoint --bin radiopoint-load
BIN=target/release

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

cat >"$OUT/radiopoint.toml" <<TOML
[server]
port = $RP_PORT
shoutcast = false
[limits]
max_connections = 19000
[fanout]
publish_interval_ms = $PUBLISH_MS
[logging]
level = 2
monitor = false
TOML

cat >"$OUT/icecast.xml" <<XML
<icecast>
  <limits><clients>19000</clients><sources>4</sources><queue-size>524288</queue-size>
    <client-timeout>30</client-timeout><header-timeout>15</header-timeout><source-timeout>10</source-timeout>
    <burst-on-connect>1</burst-on-connect><burst-size>65535</burst-size></limits>
  <authentication><source-password>hackme</source-password><admin-user>admin</admin-user><admin-password>hackme</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>$IC_PORT</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <paths><basedir>/usr/share/icecast2</basedir><logdir>$OUT</logdir><webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
  <logging><accesslog>-</accesslog><errorlog>icecast-error.log</errorlog><loglevel>1</loglevel></logging>
  <security><chroot>0</chroot><changeowner><user>nobody</user><group>nogroup</group></changeowner></security>
</icecast>
XML

wait_port() { for _ in $(seq 200); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 not up" >&2; exit 1; }
# A 128 kbps CBR MP3 stream, generated in real time.
source_to() {
  ffmpeg -nostdin -loglevel error -re -f lavfi -i "sine=frequency=440:sample_rate=44100" -ac 2 \
    -c:a libmp3lame -b:a 128k -content_type audio/mpeg -f mp3 "icecast://source:hackme@127.0.0.1:$1/live.mp3" &
  pids+=($!)
}

for server in $SERVERS; do
  case $server in
    radiopoint)
      "$BIN/radiopoint" --config "$OUT/radiopoint.toml" 2>"$OUT/radiopoint.log" &
      pid=$!; port=$RP_PORT ;;
    icecast2)
      icecast2 -c "$OUT/icecast.xml" &
      pid=$!; port=$IC_PORT ;;
  esac
  pids+=("$pid")
  wait_port "$port"
  source_to "$port"
  # Let the source fill the burst before the first listener.
  sleep 3
  for n in "${SIZES[@]}"; do
    echo "== $server, $n listeners, ramp $RAMP/s, $DURATION s steady" >&2
    "$BIN/radiopoint-load" --url "http://127.0.0.1:$port/live.mp3" --listeners "$n" --ramp "$RAMP" \
      --duration "$DURATION" --pid "$pid" --json >"$OUT/$server-$n.json" || true
    sleep 2
  done
  kill "${pids[-1]}" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done

python3 - "$OUT" "${SIZES[@]}" <<'PY'
import json, sys, os
out, sizes = sys.argv[1], sys.argv[2:]
print(f"{'server':<11} {'N':>6} {'conn':>6} {'refused':>7} {'err':>5} {'stall':>5} {'ttfb p50':>8} {'p99':>7} {'max':>7} {'kbps':>6} {'CPU-s/L-h':>9} {'KiB/L':>6} {'RSS MiB':>7}")
for n in sizes:
    for s in ("radiopoint", "icecast2"):
        p = os.path.join(out, f"{s}-{n}.json")
        if not os.path.exists(p):
            continue
        r = json.load(open(p)); sv = r.get("server") or {}; t = r.get("ttfb_ms") or {}
        f = lambda v, fmt: (fmt % v) if v is not None else "-"
        print(f"{s:<11} {n:>6} {r['connected']:>6} {r['refused']:>7} {r['connect_errors']:>5} {r['listeners_with_stalls']:>5} "
              f"{f(t.get('p50'),'%.1f'):>8} {f(t.get('p99'),'%.1f'):>7} {f(t.get('max'),'%.0f'):>7} {f(r.get('per_listener_kbps_avg'),'%.1f'):>6} "
              f"{f(sv.get('cpu_secs_per_listener_hour'),'%.3f'):>9} {f(sv.get('rss_per_listener_kib'),'%.2f'):>6} {f((sv.get('rss_full_kib') or 0)/1024,'%.1f'):>7}")
print(f"(raw JSON in {out})")
PY
