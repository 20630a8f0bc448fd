#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Leg installs through the control socket (perf/README.md, "Leg installs"): starts sluice-dp
# on net_null (no network, no namespaces), runs sluice-bench-legs against its control socket
# (N legs installed with W requests in flight, then removed by conference delete), stops the
# relay and prints each run's figures and the median. With --state-ab two relays run side by
# side, one keeping the legs' SRTP counters in a state file (state.file) and one in memory
# only (state.file = ""); each run measures both, in turns, and the table gives the ratio.
#
#   sudo perf/bench_legs.sh                           build build-perf, 3 runs of 20000 legs
#   sudo perf/bench_legs.sh --no-build --build-dir build-x --legs 50000 --window 128
#
# By default net_null receives nothing (no-rx=1), so the worker idles as on a quiet relay
# and backs off (idle_backoff_us); --rx lets it stream frames in, so the worker is busy all
# the time while the legs come and go.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$SRC/build-perf
DO_BUILD=1
LEGS=20000
CONF_SIZE=100
WINDOW=64
REPEAT=3
WORKERS=1
BACKOFF=50
RX=0
LOG_LEVEL=info
PROFILE=0
STATE_AB=0
OUT=
ARGS="$*"

usage() {
    cat <<EOF
usage: perf/bench_legs.sh [options]     (as root)

  --build-dir DIR    build folder (default: build-perf in the repository)
  --no-build         use the build folder as it is (nothing is compiled)
  --legs N           legs per run (default $LEGS)
  --conf-size C      legs per conference (default $CONF_SIZE)
  --window W         requests in flight (default $WINDOW)
  --repeat N         runs against the same relay; the median is printed (default $REPEAT)
  --workers N        worker lcores (default $WORKERS); every lcore may run on every CPU
  --idle-backoff US  workers.idle_backoff_us (default $BACKOFF; 0: workers spin)
  --rx               net_null streams frames in (workers busy); default: nothing arrives
  --log-level L      the relay's eal.log_level (default $LOG_LEVEL: a line per leg)
  --state-ab         two relays in turns: state file vs counters in memory only; prints
                     the ratio of their medians (the cost of the state file)
  --profile          perf record the relay during the first run (perf-legs.txt; perf's
                     options from PERF_ARGS, default -g: e.g. "--call-graph dwarf")
  --out DIR          results folder (default perf/out/legs-DATE)
EOF
}

die() { printf 'bench-legs: %s\n' "$*" >&2; exit 1; }
log() { printf 'bench-legs: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) BUILD=$(cd "$2" 2>/dev/null && pwd || echo "$2"); shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --legs) LEGS=$2; shift 2 ;;
    --conf-size) CONF_SIZE=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --idle-backoff) BACKOFF=$2; shift 2 ;;
    --rx) RX=1; shift ;;
    --log-level) LOG_LEVEL=$2; shift 2 ;;
    --profile) PROFILE=1; shift ;;
    --state-ab) STATE_AB=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 1 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "run as root (DPDK)"
command -v python3 > /dev/null || die "python3 is needed to read the JSON"
[ "$LEGS" -ge 1 ] && [ "$LEGS" -le 4000000 ] || die "--legs: 1..4000000"
[ "$CONF_SIZE" -ge 1 ] || die "--conf-size: at least 1"
[ "$REPEAT" -ge 1 ] || die "--repeat: at least 1"
[ "$WORKERS" -ge 1 ] || die "--workers: at least 1"
[ "$PROFILE" = 0 ] || command -v perf > /dev/null || die "--profile needs perf"

DP=$BUILD/dataplane/sluice-dp
BENCH=$BUILD/perf/sluice-bench-legs
if [ "$DO_BUILD" = 1 ]; then
    if [ ! -f "$BUILD/build.ninja" ]; then
        meson setup "$BUILD" "$SRC" --buildtype=release -Dtests=disabled > /dev/null ||
            die "meson setup $BUILD failed"
    fi
    ninja -C "$BUILD" dataplane/sluice-dp perf/sluice-bench-legs > /dev/null ||
        die "build failed (ninja -C $BUILD)"
fi
for f in "$DP" "$BENCH"; do [ -x "$f" ] || die "$f is missing"; done

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$SRC/perf/out/legs-$STAMP}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/sluice-legs.XXXXXX)
PREFIX=sllegs$$
# The relays: "file" (the state file, as in production) and with --state-ab "memory".
RELAYS=(file)
[ "$STATE_AB" = 0 ] || RELAYS=(file memory)
declare -A DP_PIDS=()
PERF_PID=

dp_stop() {
    local name pid
    for name in "${!DP_PIDS[@]}"; do
        pid=${DP_PIDS[$name]}
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        unset "DP_PIDS[$name]"
    done
}

cleanup() {
    local rc=$? name
    [ -z "$PERF_PID" ] || kill -INT "$PERF_PID" 2>/dev/null || true
    dp_stop
    for name in "${RELAYS[@]}"; do
        [ ! -f "$WORK/dp-$name.log" ] || cp "$WORK/dp-$name.log" "$OUT/dp-$name.log"
        rm -rf "/var/run/dpdk/$PREFIX$name"
    done
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Tables with room for every leg of a run, its conferences and SSRCs (each SSRC is two
# entries, sized by the relay), rounded up.
CONFS=$(((LEGS + CONF_SIZE - 1) / CONF_SIZE))
MAX_LEGS=$((LEGS + LEGS / 8 + 64))
MAX_CONFS=$((CONFS + CONFS / 8 + 64))
# The relay's memory: hash tables and per-leg state, about 3 KiB a leg, plus the pools.
MEM_MB=$((512 + MAX_LEGS * 3 / 1024))
NCPU=$(nproc)
NULL_ARGS=
[ "$RX" = 1 ] || NULL_ARGS=",no-rx=1"

# dp_start NAME STATE_FILE: a relay on net_null, its socket $WORK/dp-NAME.sock.
dp_start() {
    local name=$1 state=$2 sock=$WORK/dp-$1.sock log=$WORK/dp-$1.log pid
    cat > "$WORK/dp-$name.conf" <<CONF
# Written by perf/bench_legs.sh: a relay on net_null for leg installs.
eal = {
	lcores = "(0-$WORKERS)@(0-$((NCPU - 1)))";
	main_lcore = 0;
	memory_mb = $MEM_MB;
	hugepages = "off";
	file_prefix = "$PREFIX$name";
	log_level = "$LOG_LEVEL";
	vdevs = ( "net_null0$NULL_ARGS" );
};
ports = ( { name = "null0"; device = "net_null0"; ipv4 = "198.18.1.1/24"; rx_queues = $WORKERS; } );
media = { udp_ports = [ 40000 ]; };
workers = { idle_backoff_us = $BACKOFF; };
memory = { mbufs = 8191; mbuf_cache = 64; };
tables = { legs = $MAX_LEGS; conferences = $MAX_CONFS; ssrcs = $((LEGS + 64)); };
control = { socket = "$sock"; };
state = { file = "$state"; };
CONF
    "$DP" -c "$WORK/dp-$name.conf" > "$log" 2>&1 &
    pid=$!
    DP_PIDS[$name]=$pid
    for ((i = 0; i < 300; i++)); do
        if [ -S "$sock" ] && grep -q "ready:" "$log"; then break; fi
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; die "sluice-dp ($name) exited"; }
        sleep 0.1
    done
    grep -q "ready:" "$log" || { tail -n 30 "$log" >&2; die "sluice-dp ($name) did not start"; }
}

dp_start file "$WORK/dp-state"
[ "$STATE_AB" = 0 ] || dp_start memory ""

{
    echo "date: $(date -u +%FT%TZ)"
    echo "command: perf/bench_legs.sh $ARGS"
    echo "host: $(uname -n), $NCPU CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
    echo "kernel: $(uname -r)"
    echo "build: $BUILD ($(python3 -c 'import json,sys; o={x["name"]: x["value"] for x in json.load(open(sys.argv[1]))}; print(o["buildtype"])' "$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null || echo '?'))"
    echo "relay: $WORKERS worker(s), idle_backoff_us $BACKOFF, net_null $([ "$RX" = 1 ] && echo streaming || echo silent), log_level $LOG_LEVEL, relays: ${RELAYS[*]}"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/run.txt"

FAILED=0
: > "$OUT/results.jsonl"
for ((r = 1; r <= REPEAT; r++)); do
    # Turns alternate their order, so that drift in the machine's speed falls on both.
    order=("${RELAYS[@]}")
    if [ "${#RELAYS[@]}" = 2 ] && [ $((r % 2)) = 0 ]; then order=("${RELAYS[1]}" "${RELAYS[0]}"); fi
    for name in "${order[@]}"; do
        pid=${DP_PIDS[$name]}
        if [ "$PROFILE" = 1 ] && [ "$r" = 1 ] && [ "$name" = file ]; then
            perf record ${PERF_ARGS:--g} -o "$OUT/perf-legs.data" -p "$pid" > /dev/null 2>&1 &
            PERF_PID=$!
            sleep 0.5
        fi
        # Each run uses its own ids: a leg left by a failed run cannot collide.
        if ! "$BENCH" --socket "$WORK/dp-$name.sock" --legs "$LEGS" --conf-size "$CONF_SIZE" \
            --window "$WINDOW" --first-leg $((1 + (r - 1) * LEGS)) \
            --first-conf $((1 + (r - 1) * CONFS)) --first-ssrc $((0x10000000 + (r - 1) * LEGS)) \
            --dp-pid "$pid" > "$WORK/run.json"; then
            FAILED=1
        fi
        if [ -n "$PERF_PID" ]; then
            kill -INT "$PERF_PID" 2>/dev/null || true
            wait "$PERF_PID" 2>/dev/null || true
            PERF_PID=
            perf report -i "$OUT/perf-legs.data" --no-children --percent-limit 0.5 --stdio \
                > "$OUT/perf-legs.txt" 2>/dev/null || true
        fi
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["relay"]=sys.argv[2]; d["run"]=int(sys.argv[3]); print(json.dumps(d))' \
            "$WORK/run.json" "$name" "$r" >> "$OUT/results.jsonl" 2>/dev/null || FAILED=1
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/run.txt"
dp_stop

python3 - "$OUT/results.jsonl" <<'EOF' | tee "$OUT/table.txt"
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not runs:
    sys.exit("no run finished")
cols = [("installs/s", "installs_per_s", 0), ("removes/s", "removes_per_s", 0),
        ("install us", "install_cpu_us_per_leg", 2), ("remove us", "remove_cpu_us_per_leg", 2)]
relays = list(dict.fromkeys(r["relay"] for r in runs))
print(f"{'run':>5} {'relay':>7} {'legs':>7} " + " ".join(f"{c[0]:>11}" for c in cols) +
      f" {'errors':>7}")
for r in runs:
    print(f"{r['run']:>5} {r['relay']:>7} {r['legs']:>7} " +
          " ".join(f"{r[c[1]]:>11.{c[2]}f}" for c in cols) + f" {r['errors']:>7}")
med = {}
for name in relays:
    mine = [r for r in runs if r["relay"] == name]
    med[name] = {c[1]: statistics.median(r[c[1]] for r in mine) for c in cols}
    print(f"{'med':>5} {name:>7} {mine[0]['legs']:>7} " +
          " ".join(f"{med[name][c[1]]:>11.{c[2]}f}" for c in cols) +
          f" {sum(r['errors'] for r in mine):>7}")
if len(relays) == 2:
    a, b = relays
    print(f"{'ratio':>5} {a + '/' + b:>15} " +
          " ".join(f"{med[a][c[1]] / med[b][c[1]]:>11.2f}" for c in cols))
print("(install us, remove us: CPU time of the relay's control thread per leg)")
EOF
log "results in $OUT"
[ "$FAILED" = 0 ] || die "a run failed or reported errors"
