#!/usr/bin/env bash
# Shared by the integration tests: the real sluice-dp on net_af_packet over a veth into
# network namespaces (scripts/netns.sh), sluice-peer participants, sluicectl.
#
# A test sources this file, calls sl_setup PREFIX N, then uses the helpers below; everything
# it started is stopped and removed on exit. Exit 77 (skip) when not root or without netns.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${SLUICE_BUILD:-$SRC/build}
DP=$B/dataplane/sluice-dp
CTL=$B/controlplane/sluicectl
PEER=$B/tests/peer/sluice-peer
NCPU=$(nproc)
DP_PID=
TMP=
PREFIX=
PEER_PIDS=()

sl_log() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*"; }

sl_fail() {
    printf '%s: FAIL: %s\n' "$(basename "$0" .sh)" "$*" >&2
    if [ -n "$DP_PID" ] && kill -0 "$DP_PID" 2>/dev/null; then
        echo "--- relay drops ---" >&2
        "$CTL" --socket "$TMP/dp.sock" --json dp stats 2>/dev/null |
            jq -c '.drops | with_entries(select(.value > 0))' >&2 || true
    fi
    if [ -n "$TMP" ] && [ -f "$TMP/dp.log" ]; then
        echo "--- sluice-dp log (last 40 lines) ---" >&2
        tail -n 40 "$TMP/dp.log" >&2
    fi
    exit 1
}

sl_cleanup() {
    local rc=$?
    for p in "${PEER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "$DP_PID" ]; then
        kill -TERM "$DP_PID" 2>/dev/null || true
        wait "$DP_PID" 2>/dev/null || true
    fi
    [ -n "$PREFIX" ] && "$SRC/scripts/netns.sh" down "$PREFIX" || true
    if [ -n "$TMP" ]; then
        if [ "$rc" -ne 0 ] || [ -n "${SLUICE_KEEP:-}" ]; then
            echo "$(basename "$0" .sh): files kept in $TMP" >&2
        else
            rm -rf "$TMP"
        fi
    fi
    exit "$rc"
}

# sl_setup PREFIX N: N participants in namespaces PREFIX-p1..N, the relay's veth PREFIX-dp0.
sl_setup() {
    PREFIX=$1
    if [ "$(id -u)" -ne 0 ]; then sl_log "needs root (network namespaces): skipped"; exit 77; fi
    if ! ip netns add "${PREFIX}-probe" 2>/dev/null; then sl_log "no network namespaces here: skipped"; exit 77; fi
    ip netns del "${PREFIX}-probe"
    for f in "$DP" "$CTL" "$PEER"; do [ -x "$f" ] || sl_fail "$f not built"; done
    TMP=$(mktemp -d "/tmp/sluice-${PREFIX}.XXXXXX")
    trap sl_cleanup EXIT
    trap 'exit 130' INT TERM
    "$SRC/scripts/netns.sh" up "$PREFIX" "$2"
}

# sl_config FILE WORKERS QUEUES [EXTRA]: a configuration for the test relay. Every lcore may
# run on every CPU (tests share small machines), workers back off when idle.
sl_config() {
    local file=$1 workers=$2 queues=$3 extra=${4:-}
    cat > "$file" <<CONF
eal = {
    lcores = "(0-${workers})@(0-$((NCPU - 1)))";
    main_lcore = 0;
    memory_mb = 256;
    hugepages = "off";
    file_prefix = "${PREFIX}$$";
    log_level = "info";
    vdevs = ( "net_af_packet0,iface=${PREFIX}-dp0,qpairs=${queues}" );
};
ports = ( {
    name = "lan0";
    device = "net_af_packet0";
    ipv4 = "198.18.0.1/24";
    ipv6 = "2001:db8:5c::1/64";
    rx_queues = ${queues};
    rx_desc = 512;
    tx_desc = 512;
} );
media = { udp_ports = [ 40000, 40001 ]; };
workers = { burst = 32; idle_backoff_us = 50; };
memory = { mbufs = 8191; mbuf_cache = 128; };
tables = { legs = 1024; conferences = 64; ssrcs = 4096; flows = 2048; neighbours = 256; };
control = { socket = "${TMP}/dp.sock"; icmp_rate = 100; };
state = { file = "${TMP}/dp-state"; };
${extra}
CONF
}

# sl_dp_start CONF: starts sluice-dp and waits until its control socket answers.
sl_dp_start() {
    "$DP" -c "$1" > "$TMP/dp.log" 2>&1 &
    DP_PID=$!
    for _ in $(seq 1 100); do
        if ! kill -0 "$DP_PID" 2>/dev/null; then
            wait "$DP_PID" || true
            DP_PID=
            sl_fail "sluice-dp exited during start-up"
        fi
        if grep -q "ready:" "$TMP/dp.log" && sl_ctl dp health > /dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    sl_fail "sluice-dp not ready after 20 s"
}

# sl_dp_stop: SIGTERM, and the relay must exit 0 having logged its clean shutdown.
sl_dp_stop() {
    local rc=0
    kill -TERM "$DP_PID"
    wait "$DP_PID" || rc=$?
    DP_PID=
    [ "$rc" -eq 0 ] || sl_fail "sluice-dp exited with $rc on SIGTERM"
    grep -q "stopped" "$TMP/dp.log" || sl_fail "sluice-dp did not log its shutdown"
    if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$TMP/dp.log"; then
        sl_fail "sanitizer report in the sluice-dp log"
    fi
}

sl_ctl() { "$CTL" --socket "$TMP/dp.sock" "$@"; }

# sl_key SUITE: prints a fresh inline key for SUITE.
sl_key() { "$PEER" keygen --suite "$1"; }

# sl_peer NS ARGS...: runs `sluice-peer ARGS` in namespace PREFIX-NS in the background.
sl_peer() {
    local ns=$1; shift
    ip netns exec "${PREFIX}-${ns}" "$PEER" "$@" &
    PEER_PIDS+=("$!")
}

# Waits for the background participants; each must exit 0.
sl_peers_wait() {
    for p in "${PEER_PIDS[@]}"; do
        wait "$p" || sl_fail "a participant exited with $?"
    done
    PEER_PIDS=()
}

# sl_jq FILE FILTER: one value out of a JSON file.
sl_jq() { jq -r "$2" "$1"; }

# sl_expect WHAT ACTUAL EXPECTED
sl_expect() {
    [ "$2" = "$3" ] || sl_fail "$1: got '$2', expected '$3'"
}

# sl_expect_from WHAT REPORT J: a participant's report holds every packet of pJ (SSRC
# 1000 + J), numbered 0..COUNT-1, intact and once, and sender reports from it.
sl_expect_from() {
    local what=$1 r=$2 j=$3
    local src=".received.sources[] | select(.ssrc == $((1000 + j)))"
    sl_expect "$what <- p$j packets" "$(sl_jq "$r" "$src | .packets")" "$COUNT"
    sl_expect "$what <- p$j lost" "$(sl_jq "$r" "$src | .lost")" 0
    sl_expect "$what <- p$j duplicates" "$(sl_jq "$r" "$src | .duplicates")" 0
    sl_expect "$what <- p$j first" "$(sl_jq "$r" "$src | .first")" 0
    sl_expect "$what <- p$j last" "$(sl_jq "$r" "$src | .last")" $((COUNT - 1))
    sl_expect "$what <- p$j content" "$(sl_jq "$r" "$src | .payload_ssrc")" $((1000 + j))
    [ "$(sl_jq "$r" ".received.rtcp_from[] | select(.ssrc == $((1000 + j))) | .sr")" -gt 0 ] ||
        sl_fail "$what got no sender report from p$j"
}

# sl_drop REASON: how many packets the relay dropped for REASON so far.
sl_drop() { sl_ctl --json dp stats | jq -r ".drops[\"$1\"]"; }

# sl_drops_zero REASON...: each of these drop counters must be 0.
sl_drops_zero() {
    local stats
    stats=$(sl_ctl --json dp stats)
    for r in "$@"; do
        local v
        v=$(jq -r ".drops[\"$r\"]" <<< "$stats")
        [ "$v" = "0" ] || sl_fail "relay dropped $v packets as $r"
    done
}

# sl_warm NS...: one ping from each participant, so the relay has learned their MACs
# (from their ARP requests and neighbour solicitations) before media starts.
sl_warm() {
    for ns in "$@"; do
        ip netns exec "${PREFIX}-${ns}" ping -c 1 -W 2 198.18.0.1 > /dev/null || sl_fail "$ns cannot ping the relay"
        ip netns exec "${PREFIX}-${ns}" ping -6 -c 1 -W 2 2001:db8:5c::1 > /dev/null || sl_fail "$ns cannot ping the relay over IPv6"
    done
}
