#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Joins through the API (perf/README.md, "Joins through the API"): sluice-dp on net_null (no
# network, no namespaces), redis-server on a Unix socket, sluice-cp with a certificate made
# for the run; the first admin logs in (TOTP code from oathtool), creates conferences of
# --conf-size legs, then sluice-bench-joins sends N joins (POST /v1/conferences/ID/legs "{}")
# over kept-alive HTTPS connections, C in flight; a second run at another concurrency on
# fresh conferences. The login is not timed. Everything started here stops on exit.
#
#   sudo perf/bench_joins.sh --build-dir build-lead
#   sudo perf/bench_joins.sh --build-dir build-lead --joins 20000 --concurrency 32 --concurrency2 4
#
# The bench binary: --bench FILE, else $SLUICE_BENCH_JOINS, else BUILD/perf/sluice-bench-joins.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$SRC/build-perf
BENCH=${SLUICE_BENCH_JOINS:-}
JOINS=5000
CONC=16
CONC2=64
CONF_SIZE=500
PROFILE=0
OUT=
ARGS="$*"

usage() {
    cat <<EOF
usage: perf/bench_joins.sh [options]     (as root: sluice-dp)

  --build-dir DIR    where sluice-dp and sluice-cp are (default: build-perf); nothing is built
  --bench FILE       sluice-bench-joins (default \$SLUICE_BENCH_JOINS or DIR/perf/sluice-bench-joins)
  --joins N          joins per run (default $JOINS)
  --concurrency C    requests in flight in the first run (default $CONC)
  --concurrency2 C   in the second run (default $CONC2; 0: no second run)
  --conf-size L      legs per conference (max_legs; default $CONF_SIZE)
  --profile          perf record sluice-cp during the first run (perf-cp.txt)
  --out DIR          results folder (default perf/out/joins-DATE)
EOF
}

die() { printf 'bench-joins: %s\n' "$*" >&2; exit 1; }
log() { printf 'bench-joins: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) BUILD=$(cd "$2" 2>/dev/null && pwd || echo "$2"); shift 2 ;;
    --bench) BENCH=$2; shift 2 ;;
    --joins) JOINS=$2; shift 2 ;;
    --concurrency) CONC=$2; shift 2 ;;
    --concurrency2) CONC2=$2; shift 2 ;;
    --conf-size) CONF_SIZE=$2; shift 2 ;;
    --profile) PROFILE=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 1 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "run as root (DPDK)"
[ "$JOINS" -ge 1 ] && [ "$JOINS" -le 1000000 ] || die "--joins: 1..1000000"
[ "$CONF_SIZE" -ge 1 ] && [ "$CONF_SIZE" -le 100000 ] || die "--conf-size: 1..100000"
[ "$CONC" -ge 1 ] && [ "$CONC2" -ge 0 ] || die "--concurrency: at least 1"
for t in redis-server redis-cli oathtool curl openssl jq; do
    command -v "$t" > /dev/null || die "$t not installed"
done
[ "$PROFILE" = 0 ] || command -v perf > /dev/null || die "--profile needs perf"

DP=$BUILD/dataplane/sluice-dp
CP=$BUILD/controlplane/sluice-cp
BENCH=${BENCH:-$BUILD/perf/sluice-bench-joins}
for f in "$DP" "$CP" "$BENCH"; do [ -x "$f" ] || die "$f is missing"; done

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$SRC/perf/out/joins-$STAMP}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/sluice-joins.XXXXXX)
PREFIX=sljoins$$
PORT=$((20000 + $$ % 20000))
MPORT=$((PORT + 1))
URL=https://127.0.0.1:$PORT
DP_PID=
REDIS_PID=
CP_PID=
PERF_PID=
PW='bench-admin-password-1'

stop() {    # stop PID: TERM, then KILL after 10 s
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    [ -z "$PERF_PID" ] || kill -INT "$PERF_PID" 2>/dev/null || true
    stop "$CP_PID"
    stop "$DP_PID"
    stop "$REDIS_PID"
    for f in dp.log cp.log; do [ ! -f "$WORK/$f" ] || cp "$WORK/$f" "$OUT/$f"; done
    rm -rf "$WORK" "/var/run/dpdk/$PREFIX"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RUNS=1
[ "$CONC2" = 0 ] || RUNS=2
CONFS=$(((JOINS + CONF_SIZE - 1) / CONF_SIZE))
# The relay's tables hold every leg of every run (nothing leaves in between); each leg has
# the default 2 SSRCs.
MAX_LEGS=$((RUNS * JOINS + JOINS / 8 + 64))
MAX_CONFS=$((RUNS * CONFS + 64))
MEM_MB=$((512 + MAX_LEGS * 3 / 1024))

# ---- sluice-dp on net_null, silent ----
cat > "$WORK/dp.conf" <<CONF
# Written by perf/bench_joins.sh: the relay behind sluice-cp.
eal = {
	lcores = "(0-1)@(0-$(($(nproc) - 1)))";
	main_lcore = 0;
	memory_mb = $MEM_MB;
	hugepages = "off";
	file_prefix = "$PREFIX";
	log_level = "warning";
	vdevs = ( "net_null0,no-rx=1" );
};
ports = ( { name = "null0"; device = "net_null0"; ipv4 = "198.18.1.1/24"; } );
media = { udp_ports = [ 40000 ]; };
workers = { idle_backoff_us = 50; };
memory = { mbufs = 8191; mbuf_cache = 64; };
tables = { legs = $MAX_LEGS; conferences = $MAX_CONFS; ssrcs = $((2 * MAX_LEGS)); };
control = { socket = "$WORK/dp.sock"; };
state = { file = "$WORK/dp-state"; };
CONF
"$DP" -c "$WORK/dp.conf" > "$WORK/dp.log" 2>&1 &
DP_PID=$!
for ((i = 0; i < 300; i++)); do
    [ -S "$WORK/dp.sock" ] && break
    kill -0 "$DP_PID" 2>/dev/null || { tail -n 20 "$WORK/dp.log" >&2; die "sluice-dp exited"; }
    sleep 0.1
done
[ -S "$WORK/dp.sock" ] || die "sluice-dp did not start"

# ---- Redis ----
redis-server --port 0 --unixsocket "$WORK/redis.sock" --unixsocketperm 700 \
    --save "" --appendonly no --dir "$WORK" > "$WORK/redis.log" 2>&1 &
REDIS_PID=$!
for ((i = 0; i < 50; i++)); do
    redis-cli -s "$WORK/redis.sock" ping 2> /dev/null | grep -q PONG && break
    sleep 0.1
done
redis-cli -s "$WORK/redis.sock" ping 2> /dev/null | grep -q PONG || die "redis-server did not start"

# ---- sluice-cp ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=sluice-bench" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2> /dev/null || die "cannot make a certificate"
chmod 600 "$WORK/tls.key"
"$CP" --gen-key "$WORK/cp.key" > /dev/null || die "sluice-cp --gen-key failed"
cat > "$WORK/cp.conf" <<CONF
relay = {
    id = "bench-1";
    address = "198.18.1.1";
    media_port = 40000;
    dp_socket = "$WORK/dp.sock";
};
api = {
    address = "127.0.0.1";
    port = $PORT;
    tls_cert = "$WORK/tls.crt";
    tls_key = "$WORK/tls.key";
    max_connections = 4096;
};
metrics = { address = "127.0.0.1"; port = $MPORT; };
redis = { socket = "$WORK/redis.sock"; };
security = { key_file = "$WORK/cp.key"; audit_log = "$WORK/audit.log"; };
limits = { legs_per_conference = $CONF_SIZE; };
log = { level = "warning"; };
CONF
printf '%s\n' "$PW" | "$CP" -c "$WORK/cp.conf" --add-admin admin > "$WORK/admin.enrol" \
    2>> "$WORK/cp.log" || die "sluice-cp --add-admin failed: $(tail -3 "$WORK/cp.log")"
"$CP" -c "$WORK/cp.conf" >> "$WORK/cp.log" 2>&1 &
CP_PID=$!
for ((i = 0; i < 100; i++)); do
    kill -0 "$CP_PID" 2>/dev/null || die "sluice-cp exited: $(tail -5 "$WORK/cp.log")"
    curl -sf --cacert "$WORK/tls.crt" "$URL/v1/ready" > /dev/null 2>&1 && break
    sleep 0.1
done
curl -sf --cacert "$WORK/tls.crt" "$URL/v1/ready" > /dev/null || die "sluice-cp not ready"

# api METHOD PATH BODY: the reply in $WORK/api.out, the status printed. Body and token go
# through files so that no secret shows in a process list.
api() {
    printf '%s' "$3" > "$WORK/api.in"
    curl -s -o "$WORK/api.out" -w '%{http_code}' --cacert "$WORK/tls.crt" -X "$1" \
        -H 'Content-Type: application/json' ${AUTH:+-H "@$WORK/auth.hdr"} \
        --data-binary "@$WORK/api.in" "$URL/v1/$2" || echo 000
}

# ---- the admin's login (not timed) ----
code=$(oathtool --totp -b "$(jq -r .totp_secret "$WORK/admin.enrol")")
st=$(api POST login "{\"user\":\"admin\",\"password\":\"$PW\",\"totp\":\"$code\"}")
[ "$st" = 200 ] || die "login: HTTP $st $(cat "$WORK/api.out")"
jq -r .token "$WORK/api.out" > "$WORK/token"
chmod 600 "$WORK/token"
printf 'Authorization: Bearer %s\n' "$(cat "$WORK/token")" > "$WORK/auth.hdr"
AUTH=1

# confs FILE: CONFS new conferences of CONF_SIZE legs, their ids one a line in FILE.
confs() {
    local c st
    : > "$1"
    for ((c = 0; c < CONFS; c++)); do
        st=$(api POST conferences "{\"max_legs\":$CONF_SIZE}")
        [ "$st" = 201 ] || die "conference: HTTP $st $(cat "$WORK/api.out")"
        jq -r .id "$WORK/api.out" >> "$1"
    done
}

{
    echo "date: $(date -u +%FT%TZ)"
    echo "command: perf/bench_joins.sh $ARGS"
    echo "host: $(uname -n), $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
    echo "kernel: $(uname -r)"
    echo "build: $BUILD; bench: $BENCH"
    echo "joins: $JOINS per run, conferences of $CONF_SIZE legs"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/run.txt"

FAILED=0
: > "$OUT/results.jsonl"
for ((r = 1; r <= RUNS; r++)); do
    c=$CONC
    [ "$r" = 1 ] || c=$CONC2
    confs "$WORK/confs$r"
    if [ "$PROFILE" = 1 ] && [ "$r" = 1 ]; then
        perf record ${PERF_ARGS:--g} -o "$OUT/perf-cp.data" -p "$CP_PID" > /dev/null 2>&1 &
        PERF_PID=$!
        sleep 0.5
    fi
    "$BENCH" --url "$URL" --cacert "$WORK/tls.crt" --token-file "$WORK/token" \
        --confs-file "$WORK/confs$r" --joins "$JOINS" --concurrency "$c" \
        > "$WORK/run.json" || FAILED=1
    if [ -n "$PERF_PID" ]; then
        kill -INT "$PERF_PID" 2>/dev/null || true
        wait "$PERF_PID" 2>/dev/null || true
        PERF_PID=
        perf report -i "$OUT/perf-cp.data" --no-children --percent-limit 0.5 --stdio \
            > "$OUT/perf-cp.txt" 2>/dev/null || true
    fi
    cat "$WORK/run.json" >> "$OUT/results.jsonl"
    jq -r '"concurrency \(.concurrency): \(.joins) joins, \(.errors) errors, \(.seconds) s, \(.joins_per_s) joins/s"' "$WORK/run.json"
done
legs=$("$BUILD/controlplane/sluicectl" --socket "$WORK/dp.sock" --json dp health 2>/dev/null | jq -r .legs || echo '?')
echo "legs in the dataplane: $legs (expected $((RUNS * JOINS)))" | tee -a "$OUT/run.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/run.txt"
log "results in $OUT"
[ "$FAILED" = 0 ] || die "a run reported errors"
