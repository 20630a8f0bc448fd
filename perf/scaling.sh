#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Worker scaling of the SRTP relay benchmark: perf/bench.sh for 1, 2, 4 and 8 workers (one
# net_pcap rx_pcap per worker, each worker owning its own senders and their receivers), with
# the raw OpenSSL bound run on every worker's core at the same time. Meant for a machine of
# 16 cores or more, given to the benchmark alone; finishes in about 5 minutes (never more
# than 8: no cell starts after --budget seconds).
#
#   sudo perf/scaling.sh                   from a repository copy that holds build-perf
#   sudo perf/scaling.sh --workers "1 2 4" --budget 300
#
# Self-contained: it builds and installs nothing (build-perf must exist: perf/bench.sh makes
# it), needs root, python3 and the libraries the binaries link. It prints the table of
# perf/bench.sh with a workers and a per-worker column; the results folder (perf/out/) keeps
# every run as JSON, the machine and the chosen CPUs.
#
# CPUs: the main lcore and the workers each get a core of their own, one hardware thread per
# physical core (no two workers on SMT siblings), on the NUMA node with the most cores.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$SRC/build-perf
WORKERS="1 2 4 8"
BUDGET=420
ARGS=()

usage() {
    cat <<EOF
usage: perf/scaling.sh [--build-dir DIR] [--workers "1 2 4 8"] [--budget SECONDS]
                       [-- further perf/bench.sh options]
EOF
}

die() { printf 'scaling: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) BUILD=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --) shift; ARGS=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 1 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root"
command -v python3 > /dev/null || die "python3 is needed"
for f in dataplane/sluice-dp controlplane/sluicectl tests/peer/sluice-peer perf/sluice-bench-crypto; do
    [ -x "$BUILD/$f" ] || die "$BUILD/$f is missing: build it first (perf/bench.sh builds build-perf)"
    if ldd "$BUILD/$f" 2> /dev/null | grep -q 'not found'; then
        ldd "$BUILD/$f" | grep 'not found' >&2
        die "$BUILD/$f: libraries missing on this machine (above)"
    fi
done

# One CPU per physical core: "node cpu" for the first hardware thread of every core.
pick_cpus() {
    local c node core pkg
    declare -A seen=()
    for c in /sys/devices/system/cpu/cpu[0-9]*; do
        [ -r "$c/topology/core_id" ] || continue
        [ ! -r "$c/online" ] || [ "$(cat "$c/online")" = 1 ] || continue
        core=$(cat "$c/topology/core_id")
        pkg=$(cat "$c/topology/physical_package_id")
        node=$(ls -d "$c"/node[0-9]* 2> /dev/null | head -n 1 | sed 's/.*node//')
        [ -n "${seen[$pkg.$core]:-}" ] && continue
        seen[$pkg.$core]=1
        echo "${node:-0} ${c##*cpu}"
    done | sort -n -k1,1 -k2,2
}
mapfile -t CORES < <(pick_cpus)
# The node with the most cores, its CPUs in order.
BEST_NODE=$(printf '%s\n' "${CORES[@]}" | awk '{n[$1]++} END {for (k in n) print n[k], k}' | sort -rn | head -n 1 | awk '{print $2}')
read -r -a CPUS <<< "$(printf '%s\n' "${CORES[@]}" | awk -v n="$BEST_NODE" '$1 == n {print $2}' | paste -sd' ')"
WMAX=0
for w in $WORKERS; do [ "$w" -gt "$WMAX" ] && WMAX=$w; done
if [ "${#CPUS[@]}" -lt $((WMAX + 1)) ]; then
    # Not enough physical cores on one node: fall back to every online CPU, in order.
    read -r -a CPUS <<< "$(seq 0 $(($(nproc) - 1)) | paste -sd' ')"
    echo "scaling: fewer than $((WMAX + 1)) physical cores on one NUMA node; using CPUs as numbered (SMT siblings may share a core)" >&2
fi
[ "${#CPUS[@]}" -ge $((WMAX + 1)) ] || die "$WMAX workers need $((WMAX + 1)) CPUs; this machine has ${#CPUS[@]}"
MAIN_CPU=${CPUS[0]}
WORKER_CPUS=$(printf '%s ' "${CPUS[@]:1:$WMAX}")
echo "scaling: main lcore on CPU $MAIN_CPU, workers on CPUs $WORKER_CPUS(NUMA node $BEST_NODE)" >&2

# 2 suites x 2 sizes x 2 fan-outs x 4 worker counts = 32 cells of about 8 s each; one run
# per cell (a machine of its own is quiet), the relay and the bound in 2 alternating slices.
exec "$SRC/perf/bench.sh" --no-build --build-dir "$BUILD" --workers "$WORKERS" \
    --main-cpu "$MAIN_CPU" --worker-cpus "$WORKER_CPUS" --repeat 1 --warmup 1 --measure 2 \
    --slices 2 --hugepages auto --deadline "$BUDGET" --tag scaling "${ARGS[@]}"
