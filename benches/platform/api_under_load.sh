#!/bin/sh
# The API and the web UI while radiopoint carries thousands of listeners: p50, p99 and max
# of the now-playing route, the dashboard page and a month of statistics, each asked
# PROBES times one after another (curl's time_total: connect to last byte) during the
# steady window of a radiopoint-load run on the demo's MP3 mount.
#
#   benches/platform/api_under_load.sh            # 5,000 listeners, 60 s
#   LISTENERS=2000 DURATION=30 benches/platform/api_under_load.sh
#
# Everything listens on 127.0.0.1; the processes started here are stopped by PID.
set -eu
N=${LISTENERS:-5000}
DUR=${DURATION:-60}
PROBES=${PROBES:-400}
PORT=${PORT:-18900}
cd "$(git rev-parse --show-toplevel)"
cargo build --release -q -p radio-bin --bin radiopoint --bin radiopoint-load
dir=$(mktemp -d)
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
target/release/radiopoint --port "$PORT" --db "$dir/radiopoint.db" >"$dir/radiopoint.log" 2>&1 &
RP=$!
LOAD=
cleanup() {
    [ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null || true
    kill "$RP" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM
i=0
until curl -sf "http://127.0.0.1:$PORT/api/nowplaying/demo" >/dev/null; do
    i=$((i + 1)); [ "$i" -lt 200 ] || { echo "radiopoint did not start"; cat "$dir/radiopoint.log"; exit 1; }
    sleep 0.1
done
curl -sf -c "$dir/cookies" -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"hackme"}' "http://127.0.0.1:$PORT/api/login" >/dev/null
target/release/radiopoint-load --url "http://127.0.0.1:$PORT/demo.mp3" --listeners "$N" \
    --ramp 1000 --duration "$DUR" --pid "$RP" >"$dir/load.txt" 2>&1 &
LOAD=$!
# The ramp (1,000 a second) and a few seconds to settle.
sleep $((N / 1000 + 5))
probe() {
    name=$1; shift
    k=0
    : >"$dir/times"
    while [ "$k" -lt "$PROBES" ]; do
        curl -s -o /dev/null -w '%{time_total}\n' -b "$dir/cookies" "$@" >>"$dir/times"
        k=$((k + 1))
    done
    sort -n "$dir/times" | awk -v name="$name" '{ t[NR] = $1 * 1000 } END {
        printf "%-28s p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms   (%d requests)\n",
            name, t[int(NR * 0.50)], t[int(NR * 0.99)], t[NR], NR }'
}
echo "== $N listeners on /demo.mp3 (radiopoint pid $RP)"
probe "GET /api/nowplaying/demo" "http://127.0.0.1:$PORT/api/nowplaying/demo"
probe "GET /ui/stations/demo" "http://127.0.0.1:$PORT/ui/stations/demo"
probe "GET .../stats?range=month" "http://127.0.0.1:$PORT/api/stations/demo/stats?range=month"
wait "$LOAD" || true
LOAD=
echo "== radiopoint-load"
cat "$dir/load.txt"
