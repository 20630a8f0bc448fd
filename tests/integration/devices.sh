#!/usr/bin/env bash
# sluice-dp on the other virtual devices: net_null (an endless stream of zero-filled frames
# in, a sink out) must start, count every frame it cannot use under a drop reason, keep
# answering on its control socket, and stop cleanly. (net_pcap is exercised by perf/bench.sh,
# net_af_packet by the other integration tests.)
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then sl_log "needs root: skipped"; exit 77; fi
PREFIX=
TMP=$(mktemp -d /tmp/sluice-devices.XXXXXX)
trap sl_cleanup EXIT

cat > "$TMP/null.conf" <<CONF
eal = {
    lcores = "(0-1)@(0-$((NCPU - 1)))";
    memory_mb = 256;
    hugepages = "off";
    file_prefix = "sldev$$";
    vdevs = ( "net_null0" );
};
ports = ( { name = "null0"; device = "net_null0"; ipv4 = "198.18.1.1/24"; rx_desc = 512; tx_desc = 512; } );
media = { udp_ports = [ 40000 ]; };
workers = { idle_backoff_us = 50; };
memory = { mbufs = 4095; mbuf_cache = 64; };
control = { socket = "${TMP}/dp.sock"; };
state = { file = "${TMP}/dp-state"; };
CONF

sl_dp_start "$TMP/null.conf"
sleep 1
stats=$(sl_ctl --json dp stats)
rx=$(jq '[.lcores[] | select(.name != "control") | .counters.rx_packets] | add' <<< "$stats")
drops=$(jq '[.drops[]] | add' <<< "$stats")
[ "$rx" -gt 1000 ] || sl_fail "net_null: only $rx frames received in a second"
# Every frame is all zeros: to MAC 00:00:00:00:00:00, not ours.
[ "$(jq '.drops.l2_not_ours' <<< "$stats")" -gt 0 ] || sl_fail "net_null frames not counted as l2_not_ours"
# Frames received after the worker's counters were read may already be in the drops sum.
[ "$drops" -ge "$rx" ] || sl_fail "net_null: $rx frames received, only $drops counted as drops"
sl_expect "forwarded from net_null" "$(jq '[.lcores[].counters.srtp_out // 0] | add' <<< "$stats")" 0
sl_ctl dp health > /dev/null || sl_fail "no answer on the control socket under load"
sl_dp_stop
sl_log "ok ($rx frames in, all dropped by reason)"
