#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The SRTP relay benchmark (perf/README.md): sluice-dp forwards SRTP that net_pcap replays
# from memory in a loop (infinite_rx) into nowhere (net_pcap without tx_pcap drops what is
# sent, like net_null); sluice-bench-crypto measures, on the same core and in the same run,
# the raw OpenSSL bound for the same suite, size and fan-out. The figure that matters is
# the ratio of the two, because this machine's absolute speed varies from minute to minute.
#
#   sudo perf/bench.sh                       build build-perf, 3 runs, print the table
#   sudo perf/bench.sh --no-build --repeat 1 --suites AEAD_AES_128_GCM --sizes 1200
#
# Per cell (suite, size, fan-out, workers) and run: start sluice-dp on the pcaps (made once
# per suite and size), add the legs with sluicectl, warm up, then let the relay and the bound
# take turns on the same cores in short slices: sample `sluicectl --json dp stats` and the
# worker threads' CPU time, wait, sample again, stop the relay (SIGSTOP), run
# sluice-bench-crypto pinned to each worker's core, continue the relay (SIGCONT). A shared
# machine's bursts of load then fall on both alike. Every drop counter must stay at zero
# from the first sample to the last (no drop is expected). The table gives, per cell, the
# median over the runs; results.jsonl in the output folder has every run, run.txt the
# machine and the command.
#
# Leg layout: each worker owns LEGS sending legs (sendonly, found by (media port, SSRC),
# latched on their first authenticated packet) and their receivers (recvonly, signalled
# remote on the port's prefix, static neighbour), so no packet changes lcore; fan-out 1:
# one receiver per sender in its own conference; fan-out N: N receivers per sender. The
# control thread gives a new leg to the worker with fewest legs, so the add order places
# every conference on one worker; the placement is checked with `dp leg list`.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$SRC/build-perf
DO_BUILD=1
REPEAT=3
WARMUP=2
MEASURE=4
SLICES=4
SUITES="AES_CM_128_HMAC_SHA1_80 AEAD_AES_128_GCM"
SIZES="160 1200"
FANOUTS="1 10"
WORKERS="1"
MAIN_CPU=0
WORKER_CPUS="1"
LEGS=8
COUNT=16
OUT=
PROFILE=0
DEADLINE=0
BURST=32
HUGEPAGES=off
TAG=bench
ARGS="$*"

usage() {
    cat <<EOF
usage: perf/bench.sh [options]     (as root)

  --build-dir DIR    build folder (default: build-perf in the repository)
  --no-build         use the build folder as it is (it must exist; nothing is compiled)
  --repeat N         runs per cell; the table shows the median (default $REPEAT)
  --warmup S         seconds between adding the legs and the first sample (default $WARMUP)
  --measure S        seconds the relay is measured per cell (default $MEASURE), in
                     --slices N turns (default $SLICES) with as many of the bound
  --suites "A B"     default "$SUITES"
  --sizes "N M"      RTP payload bytes (as sluice-peer --size; default "$SIZES")
  --fanouts "1 10"   receivers per sender (default "$FANOUTS")
  --workers "1 2"    worker counts to measure (default "$WORKERS"); one rx_pcap per worker
  --main-cpu N       CPU of the main lcore (default $MAIN_CPU)
  --worker-cpus "L"  CPUs of the workers, in order (default "$WORKER_CPUS"); the bound runs
                     on the same CPUs, one instance per worker at the same time
  --legs N           sending legs per worker (default $LEGS)
  --count N          packets per sending leg in a pcap, < 30000 (default $COUNT: the
                     replayed frames stay in the CPU caches, as a NIC's DMA would leave
                     them, so that net_pcap's copy of each frame costs the relay little)
  --burst N          workers.burst (default $BURST)
  --hugepages MODE   eal.hugepages: off, auto or on (default $HUGEPAGES: a shared machine's
                     hugepages are left to others)
  --out DIR          results folder (default perf/out/TAG-DATE)
  --profile          record a perf profile of the workers during the first relay slice of
                     each cell (perf-*.txt in the results folder; the figures of such a
                     run carry perf's overhead)
  --deadline S       stop starting new cells after S seconds (0: none)
  --tag NAME         names the results folder (default $TAG)
EOF
}

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
log() { printf 'bench: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) BUILD=$(cd "$2" 2>/dev/null && pwd || echo "$2"); shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --measure) MEASURE=$2; shift 2 ;;
    --slices) SLICES=$2; shift 2 ;;
    --suites) SUITES=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --fanouts) FANOUTS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --main-cpu) MAIN_CPU=$2; shift 2 ;;
    --worker-cpus) WORKER_CPUS=$2; shift 2 ;;
    --legs) LEGS=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --burst) BURST=$2; shift 2 ;;
    --hugepages) HUGEPAGES=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --profile) PROFILE=1; shift ;;
    --deadline) DEADLINE=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 1 ;;
    esac
done
[ "$SLICES" -ge 1 ] || die "--slices: at least 1"

[ "$(id -u)" -eq 0 ] || die "run as root (DPDK, the worker threads' /proc entries)"
command -v python3 > /dev/null || die "python3 is needed to read sluicectl's JSON"
read -r -a WORKER_CPU_LIST <<< "$WORKER_CPUS"
WMAX=0
for w in $WORKERS; do [ "$w" -gt "$WMAX" ] && WMAX=$w; done
[ "$WMAX" -ge 1 ] || die "--workers: at least 1"
[ "${#WORKER_CPU_LIST[@]}" -ge "$WMAX" ] ||
    die "--worker-cpus \"$WORKER_CPUS\" names fewer CPUs than $WMAX workers"
[ "$COUNT" -lt 30000 ] || die "--count must stay below 30000 (looped SEQ must not look like a rollover)"
[ "$LEGS" -ge 1 ] && [ "$LEGS" -le 64 ] || die "--legs: 1..64"
[ $((WMAX * LEGS)) -le 900 ] || die "at most 900 sending legs (workers x legs)"
for f in $FANOUTS; do [ "$f" -ge 1 ] && [ "$f" -le 64 ] || die "--fanouts: each 1..64"; done
[ "$PROFILE" = 0 ] || command -v perf > /dev/null || die "--profile needs perf"

# ---- build ----

DP=$BUILD/dataplane/sluice-dp
CTL_BIN=$BUILD/controlplane/sluicectl
PEER=$BUILD/tests/peer/sluice-peer
BOUND=$BUILD/perf/sluice-bench-crypto

if [ "$DO_BUILD" = 1 ]; then
    if [ ! -f "$BUILD/build.ninja" ]; then
        meson setup "$BUILD" "$SRC" --buildtype=release -Dperf_replay_off=true \
            -Dtests=disabled > /dev/null || die "meson setup $BUILD failed"
    else
        meson configure "$BUILD" -Dbuildtype=release -Dperf_replay_off=true > /dev/null ||
            die "meson configure $BUILD failed"
    fi
    ninja -C "$BUILD" dataplane/sluice-dp controlplane/sluicectl tests/peer/sluice-peer \
        perf/sluice-bench-crypto > /dev/null || die "build failed (ninja -C $BUILD)"
fi
for f in "$DP" "$CTL_BIN" "$PEER" "$BOUND"; do [ -x "$f" ] || die "$f is missing"; done
# A looped pcap repeats SRTP indexes: only a perf_replay_off build forwards it.
python3 - "$BUILD/meson-info/intro-buildoptions.json" <<'EOF' ||
import json, sys
opts = {o["name"]: o["value"] for o in json.load(open(sys.argv[1]))}
sys.exit(0 if opts.get("perf_replay_off") is True and opts.get("buildtype") in ("release", "plain") else 1)
EOF
    die "$BUILD is not a release build with -Dperf_replay_off=true (the looped pcap would be dropped as replays)"

# ---- work folder ----

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$SRC/perf/out/$TAG-$STAMP}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/sluice-perf.XXXXXX)
PREFIX=slperf$$
SOCK=$WORK/dp.sock
DP_PID=
BOUND_PIDS=()
T_START=$(date +%s)

cleanup() {
    local rc=$?
    for p in "${BOUND_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    dp_stop
    rm -rf "$WORK" "/var/run/dpdk/$PREFIX"     # EAL's runtime files of our relays
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ctl() { "$CTL_BIN" --socket "$SOCK" "$@"; }

key_len() {
    case $1 in
    AES_CM_128_HMAC_SHA1_80|AES_CM_128_HMAC_SHA1_32) echo 30 ;;
    AEAD_AES_128_GCM) echo 28 ;;
    AEAD_AES_256_GCM) echo 44 ;;
    *) die "unknown suite $1" ;;
    esac
}

short() {
    case $1 in
    AES_CM_128_HMAC_SHA1_80) echo cm80 ;;
    AES_CM_128_HMAC_SHA1_32) echo cm32 ;;
    AEAD_AES_128_GCM) echo gcm128 ;;
    AEAD_AES_256_GCM) echo gcm256 ;;
    esac
}

# new_key FILE SUITE: a random master key || salt as SDES key-params.
new_key() {
    printf 'inline:%s\n' "$(head -c "$(key_len "$2")" /dev/urandom | base64 -w0)" > "$1"
}

# Legs: sender g (worker g / LEGS) sends from 198.19.x.y:5000 with SSRC 100000 + g; its
# receiver j is leg 10000 + 64 g + j with remote 198.18.0.(100 + j % 10):(6000 + 64 g + j).
sender_ip() { echo "198.19.$(($1 / 250)).$((1 + $1 % 250))"; }
N_RECV_IPS=10

# ---- sluice-dp ----

# write_config FILE WORKERS PCAP_DIR: net_pcap with one rx_pcap (relative to PCAP_DIR, where
# sluice-dp runs, to keep the devargs short) per worker.
write_config() {
    local file=$1 w=$2 lcores="0@$MAIN_CPU" rx="" neigh="" mbufs
    for ((i = 0; i < w; i++)); do
        lcores+=",$((i + 1))@${WORKER_CPU_LIST[$i]}"
        rx+="rx_pcap=q$i.pcap,"
    done
    for ((j = 0; j < N_RECV_IPS; j++)); do
        neigh+="${neigh:+, }{ ip = \"198.18.0.$((100 + j))\"; mac = \"02:00:00:00:01:$(printf %02x "$j")\"; }"
    done
    # net_pcap keeps the whole pcap in mbufs of the port's pool; then room for the rest.
    mbufs=$((w * LEGS * COUNT + 32767 + w * 4096))
    cat > "$file" <<CONF
# Written by perf/bench.sh: the benchmark relay.
eal = {
	lcores = "$lcores";
	main_lcore = 0;
	memory_mb = $((512 + mbufs * 3 / 1024));
	hugepages = "$HUGEPAGES";
	file_prefix = "$PREFIX";
	log_level = "info";
	vdevs = ( "net_pcap0,${rx}infinite_rx=1" );
};
ports = ( {
	name = "pcap0";
	device = "net_pcap0";
	ipv4 = "198.18.0.1/24";
	rx_queues = $w;
	neighbours = ( $neigh );
} );
media = { udp_ports = [ 40000 ]; };
workers = { burst = $BURST; idle_backoff_us = 0; tx_drain_us = 100; ring_size = 4096; };
memory = { mbufs = $mbufs; mbuf_cache = 256; };
control = { socket = "$SOCK"; };
state = { file = "$WORK/dp-state"; };
CONF
}

# dp_start CONFIG DIR: starts sluice-dp in DIR and waits for its control socket.
dp_start() {
    local conf=$1 dir=$2
    rm -f "$SOCK"
    (cd "$dir" && exec "$DP" -c "$conf") > "$WORK/dp.log" 2>&1 &
    DP_PID=$!
    for ((i = 0; i < 300; i++)); do
        if [ -S "$SOCK" ] && ctl dp health > /dev/null 2>&1; then return 0; fi
        kill -0 "$DP_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 30 "$WORK/dp.log" >&2
    die "sluice-dp did not start (log above)"
}

dp_stop() {
    [ -n "$DP_PID" ] || return 0
    kill -CONT "$DP_PID" 2>/dev/null || true     # it may be paused for the bound
    kill -TERM "$DP_PID" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$DP_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$DP_PID" 2>/dev/null || true
    wait "$DP_PID" 2>/dev/null || true
    DP_PID=
}

# The worker threads (rte-worker-LCORE), one per line in lcore order: "LCORE TID".
worker_tids() {
    local t
    for t in /proc/"$DP_PID"/task/*; do
        case $(cat "$t/comm" 2>/dev/null) in
        rte-worker-*|lcore-worker-*) echo "$(sed 's/.*-//' "$t/comm") ${t##*/}" ;;
        esac
    done | sort -n
}

# sample FILE: dp stats as JSON plus the time and the workers' CPU time, in one document.
sample() {
    local file=$1 t0 t1 cpu=""
    t0=$(date +%s%N)
    ctl --json dp stats > "$file.stats" || die "dp stats failed"
    t1=$(date +%s%N)
    while read -r lc tid; do
        cpu+="${cpu:+,}\"$lc\": $(cut -d' ' -f1 "/proc/$DP_PID/task/$tid/schedstat")"
    done < <(worker_tids)
    printf '{"t_ns": %s, "cpu_ns": {%s}}\n' "$(((t0 + t1) / 2))" "$cpu" > "$file.meta"
}

# ---- pcaps ----

# The MAC of net_pcap's port: the generated frames must be addressed to it (the driver
# cannot take the address from the configuration: it has no MAC setter).
probe_mac() {
    local d=$WORK/probe
    mkdir -p "$d"
    new_key "$d/k" AES_CM_128_HMAC_SHA1_80
    echo "$(sender_ip 0):5000 1 $(cat "$d/k")" > "$d/legs"
    "$PEER" pcap --out "$d/q0.pcap" --legs "$d/legs" --dst 198.18.0.1:40000 \
        --dst-mac 02:00:00:00:00:02 --suite AES_CM_128_HMAC_SHA1_80 --size 160 --count 1 ||
        die "sluice-peer pcap failed"
    write_config "$d/dp.conf" 1
    dp_start "$d/dp.conf" "$d"
    PORT_MAC=$(sed -n 's/.*port pcap0 (net_pcap0): MAC \([0-9a-f:]\{17\}\).*/\1/p' "$WORK/dp.log")
    HUGE=$(grep -q 'no-hugepage memory' "$WORK/dp.log" && echo no || echo yes)
    dp_stop
    [ -n "$PORT_MAC" ] || die "cannot read the port's MAC from the sluice-dp log"
}

# make_pcaps SUITE SIZE: per worker w, DIR/q$w.pcap with its LEGS senders, and their keys.
make_pcaps() {
    local suite=$1 size=$2 d=$WORK/$(short "$1")-$2 g
    mkdir -p "$d/keys"
    for ((w = 0; w < WMAX; w++)); do
        : > "$d/legs$w"
        for ((k = 0; k < LEGS; k++)); do
            g=$((w * LEGS + k))
            new_key "$d/keys/s$g" "$suite"
            echo "$(sender_ip $g):5000 $((100000 + g)) $(cat "$d/keys/s$g")" >> "$d/legs$w"
        done
        "$PEER" pcap --out "$d/q$w.pcap" --legs "$d/legs$w" --dst 198.18.0.1:40000 \
            --dst-mac "$PORT_MAC" --suite "$suite" --size "$size" --count "$COUNT" ||
            die "sluice-peer pcap failed"
    done
    new_key "$d/keys/unused" "$suite"
}

# ---- legs ----

# add_legs SUITE DIR WORKERS FANOUT: in an order that lets the least-loaded rule put each
# conference on the worker whose pcap carries its sender. Writes DIR/expect (id, owner lcore).
add_legs() {
    local suite=$1 d=$2 w=$3 f=$4 n i g ww p k j id
    : > "$d/expect"
    n=$((w * LEGS))
    for ((i = 0; i < n; i++)); do
        ww=$((i % w)); k=$((i / w)); g=$((ww * LEGS + k))
        ctl dp leg add --id $((1 + g)) --conf $((1 + g)) --suite "$suite" --port 40000 \
            --in-key "@$d/keys/s$g" --out-key "@$d/keys/unused" --ssrc $((100000 + g)) \
            --sendonly > /dev/null || die "leg $((1 + g)) not added"
        echo "$((1 + g)) $((ww + 1))" >> "$d/expect"
    done
    for ((i = 0; i < n * f; i++)); do
        ww=$((i % w)); p=$((i / w)); k=$((p / f)); j=$((p % f)); g=$((ww * LEGS + k))
        id=$((10000 + 64 * g + j))
        [ -f "$d/keys/r$id" ] || new_key "$d/keys/r$id" "$suite"
        ctl dp leg add --id "$id" --conf $((1 + g)) --suite "$suite" --port 40000 \
            --in-key "@$d/keys/unused" --out-key "@$d/keys/r$id" --ssrc $((200000 + 64 * g + j)) \
            --remote "198.18.0.$((100 + j % N_RECV_IPS)):$((6000 + 64 * g + j))" \
            --recvonly > /dev/null || die "leg $id not added"
        echo "$id $((ww + 1))" >> "$d/expect"
    done
}

# ---- one cell ----

declare -A BOUND_PATHS=()

# bound SUITE SIZE FANOUT WORKERS SECONDS FILE: one sluice-bench-crypto per worker CPU, all
# at once (so that they share the machine as the workers do).
bound() {
    local suite=$1 size=$2 f=$3 w=$4 secs=$5 file=$6 key paths=()
    key=$(short "$suite")-$size
    [ -z "${BOUND_PATHS[$key]:-}" ] || read -r -a paths <<< "${BOUND_PATHS[$key]}"
    BOUND_PIDS=()
    for ((i = 0; i < w; i++)); do
        "$BOUND" --core "${WORKER_CPU_LIST[$i]}" --suite "$suite" --size "$size" \
            --fanout "$f" --legs "$LEGS" --seconds "$secs" "${paths[@]}" > "$file.$i" &
        BOUND_PIDS+=($!)
    done
    for p in "${BOUND_PIDS[@]}"; do wait "$p" || die "sluice-bench-crypto failed"; done
    BOUND_PIDS=()
    # The fastest paths, timed once per suite and size, are kept for the other cells.
    if [ ${#paths[@]} -eq 0 ]; then
        BOUND_PATHS[$key]=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("--aes", r["aes"], *(["--hmac", r["hmac"]] if r["hmac"] != "none" else []))' "$file.0")
    fi
    return 0
}

# cell REP SUITE SIZE FANOUT WORKERS: the relay and the bound take turns in SLICES slices
# (the relay stopped with SIGSTOP while the bound runs on its cores), so that both see the
# same weather on a shared machine.
cell() {
    local rep=$1 suite=$2 size=$3 f=$4 w=$5 d=$WORK/$(short "$2")-$3 name slice k tids
    name=$(short "$suite")-$size-f$f-w$w-r$rep
    slice=$(awk -v m="$MEASURE" -v n="$SLICES" 'BEGIN { printf "%.3f", m / n }')
    log "run $rep/$REPEAT: $suite, $size bytes, 1->$f, $w worker(s)"
    write_config "$d/dp-w$w.conf" "$w"
    dp_start "$d/dp-w$w.conf" "$d"
    add_legs "$suite" "$d" "$w" "$f"
    ctl --json dp leg list > "$WORK/legs.json" || die "dp leg list failed"
    sleep "$WARMUP"
    for ((k = 1; k <= SLICES; k++)); do
        sample "$WORK/a$k"
        if [ "$PROFILE" = 1 ] && [ "$k" = 1 ]; then
            tids=$(worker_tids | awk '{print $2}' | paste -sd,)
            perf record -q -t "$tids" -o "$OUT/perf-$name.data" -- sleep "$slice" 2> /dev/null
        else
            sleep "$slice"
        fi
        sample "$WORK/b$k"
        kill -STOP "$DP_PID"
        bound "$suite" "$size" "$f" "$w" "$slice" "$WORK/bound$k"
        kill -CONT "$DP_PID"
        [ "$k" = "$SLICES" ] || sleep 0.2
    done
    dp_stop
    cp "$WORK/dp.log" "$OUT/dp-$name.log"
    if [ "$PROFILE" = 1 ]; then
        perf report -i "$OUT/perf-$name.data" --stdio --no-children --sort dso,symbol \
            --percent-limit 0.3 2> /dev/null | grep -v '^#' | grep -v '^$' |
            head -n 60 > "$OUT/perf-$name.txt" || true
    fi
    python3 - "$rep" "$suite" "$size" "$f" "$w" "$WORK" "$d/expect" "$PROFILE" "$HUGE" \
        "$SLICES" >> "$OUT/results.jsonl" <<'EOF' || die "cannot compute the cell"
import json, sys
rep, suite, size, f, w, work, expect, profile, huge, slices = sys.argv[1:]
f, w, slices = int(f), int(w), int(slices)
load = lambda name: (json.load(open(f"{work}/{name}.stats")), json.load(open(f"{work}/{name}.meta")))
pairs = [(load(f"a{k}"), load(f"b{k}")) for k in range(1, slices + 1)]
dt = sum((b[1]["t_ns"] - a[1]["t_ns"]) / 1e9 for a, b in pairs)
workers = {}
for (sa, ma), (sb, mb) in pairs:
    for la, lb in zip(sa["lcores"], sb["lcores"]):
        if not la["name"].startswith("worker"):
            continue
        lc = str(la["index"])
        x = workers.setdefault(lc, {"lcore": la["index"], "in": 0, "out": 0, "handoff": 0, "cpu": 0})
        x["in"] += lb["counters"]["srtp_in"] - la["counters"]["srtp_in"]
        x["out"] += lb["counters"]["srtp_out"] - la["counters"]["srtp_out"]
        x["handoff"] += lb["counters"]["handoff_out"] - la["counters"]["handoff_out"]
        x["cpu"] += (mb["cpu_ns"].get(lc, 0) - ma["cpu_ns"].get(lc, 0)) / 1e9
per_worker = [{"lcore": x["lcore"], "in_pps": round(x["in"] / dt), "out_pps": round(x["out"] / dt),
               "handoff_pps": round(x["handoff"] / dt), "cpu_share": round(x["cpu"] / dt, 3)}
              for x in workers.values()]
# Drops over the whole span, first sample to last (pauses included).
first, last = pairs[0][0][0], pairs[-1][1][0]
drops = {k: v - first["drops"].get(k, 0) for k, v in last["drops"].items()}
drops = {k: v for k, v in drops.items() if v != 0}
for p1, p2 in zip(first["ports"], last["ports"]):
    for k in ("rx_missed", "rx_errors", "rx_nombuf", "tx_errors"):
        v = p2["counters"][k] - p1["counters"][k]
        if v:
            drops[f"port_{k}"] = v
want = dict(line.split() for line in open(expect))
placed = {str(l["id"]): str(l["owner_lcore"]) for l in json.load(open(f"{work}/legs.json"))["legs"]}
misplaced = sum(1 for k, v in want.items() if placed.get(k) != v)
bounds = [json.load(open(f"{work}/bound{k}.{i}"))["results"][0]
          for k in range(1, slices + 1) for i in range(w)]
mean = lambda xs: sum(xs) / len(xs)
relay_in = sum(x["in_pps"] for x in per_worker)
relay_out = sum(x["out_pps"] for x in per_worker)
relay_cpu = mean([x["cpu_share"] for x in per_worker])
bound_out = mean([b["out_pps"] for b in bounds])
bound_cpu = mean([b["cpu_share"] for b in bounds])
print(json.dumps({
    "rep": int(rep), "suite": suite, "size": int(size), "fanout": f, "workers": w,
    "relay_s": round(dt, 3), "slices": slices,
    "relay_in_pps": round(relay_in), "relay_out_pps": round(relay_out),
    "relay_out_pps_per_worker": round(relay_out / w), "relay_cpu_share": round(relay_cpu, 3),
    "bound_in_pps": round(mean([b["in_pps"] for b in bounds])),
    "bound_out_pps": round(bound_out), "bound_cpu_share": round(bound_cpu, 3),
    "bound_aes": bounds[0]["aes"], "bound_hmac": bounds[0]["hmac"],
    "ratio": round(relay_out / w / bound_out, 4),
    "ratio_per_cpu_s": round((relay_out / w / relay_cpu) / (bound_out / bound_cpu), 4),
    "fanout_check": round(relay_out / relay_in, 3) if relay_in else None,
    "drops": drops, "misplaced_legs": misplaced,
    "per_worker": per_worker, "profiled": profile == "1", "hugepages": huge == "yes",
}))
EOF
}

# ---- main ----

log "output in $OUT"
probe_mac
log "net_pcap port MAC $PORT_MAC, hugepages: $HUGE"
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "host: $(uname -n), $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
    echo "kernel: $(uname -r)"
    echo "openssl: $(openssl version 2>/dev/null || echo unknown)"
    echo "command: $0 $ARGS"
    echo "main cpu $MAIN_CPU, worker cpus $WORKER_CPUS, legs/worker $LEGS, count $COUNT, burst $BURST"
    echo "warmup ${WARMUP}s, measure ${MEASURE}s in $SLICES slices (relay and bound alternating), repeat $REPEAT, hugepages $HUGE"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/run.txt"
for suite in $SUITES; do
    for size in $SIZES; do
        make_pcaps "$suite" "$size"
    done
done
: > "$OUT/results.jsonl"
stopped=0
for ((rep = 1; rep <= REPEAT; rep++)); do
    for suite in $SUITES; do
        for size in $SIZES; do
            for w in $WORKERS; do
                for f in $FANOUTS; do
                    if [ "$DEADLINE" -gt 0 ] && [ $(($(date +%s) - T_START)) -ge "$DEADLINE" ]; then
                        stopped=1
                        continue
                    fi
                    cell "$rep" "$suite" "$size" "$f" "$w"
                done
            done
        done
    done
done
[ "$stopped" = 0 ] || log "deadline of ${DEADLINE}s reached: some cells were not measured"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/run.txt"
echo "elapsed: $(($(date +%s) - T_START))s" >> "$OUT/run.txt"

python3 - "$OUT/results.jsonl" "$WORKERS" > "$OUT/table.txt" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
scaling = sys.argv[2].split() != ["1"]
cells = {}
for r in rows:
    cells.setdefault((r["suite"], r["size"], r["fanout"], r["workers"]), []).append(r)
med = lambda rs, k: statistics.median(r[k] for r in rs)
head = ["suite", "size", "fan-out"] + (["workers"] if scaling else []) + \
    ["relay in pps", "relay out pps"] + (["out pps/worker"] if scaling else []) + \
    ["bound out pps", "ratio", "range", "ratio/cpu", "runs", "cpu relay/bound", "drops"]
out = []
for (suite, size, f, w), rs in cells.items():
    drops = {}
    for r in rs:
        for k, v in r["drops"].items():
            drops[k] = drops.get(k, 0) + v
        if r["misplaced_legs"]:
            drops["misplaced_legs"] = drops.get("misplaced_legs", 0) + r["misplaced_legs"]
    ratios = [r["ratio"] for r in rs]
    out.append([suite, str(size), f"1->{f}"] + ([str(w)] if scaling else []) +
        [f"{med(rs, 'relay_in_pps'):,.0f}", f"{med(rs, 'relay_out_pps'):,.0f}"] +
        ([f"{med(rs, 'relay_out_pps_per_worker'):,.0f}"] if scaling else []) +
        [f"{med(rs, 'bound_out_pps'):,.0f}", f"{statistics.median(ratios):.2f}",
         f"{min(ratios):.2f}-{max(ratios):.2f}", f"{med(rs, 'ratio_per_cpu_s'):.2f}", str(len(rs)),
         f"{med(rs, 'relay_cpu_share'):.2f}/{med(rs, 'bound_cpu_share'):.2f}",
         ",".join(f"{k}={v}" for k, v in drops.items()) or "none"])
widths = [max(len(x) for x in col) for col in zip(head, *out)]
fmt = lambda row: "  ".join(x.rjust(n) if i > 0 else x.ljust(n) for i, (x, n) in enumerate(zip(row, widths)))
print(fmt(head))
for row in out:
    print(fmt(row))
print()
print("ratio: relay forwarded packets/s per worker / bound forwarded packets/s on the same core,")
print("median of the runs (range: lowest-highest run). ratio/cpu: the same per second of CPU")
print("time each was given. cpu: share of the measured time the worker thread / the bound was on")
print("its CPU (below 1.00: the machine gave the core to others for a while).")
EOF
cat "$OUT/run.txt" >&2
echo
cat "$OUT/table.txt"
