#!/usr/bin/env bash
# A relay link and synthetic participants in network namespaces, for the demo and the tests.
#
#   scripts/netns.sh up   PREFIX N    create the topology below (idempotent: replaces it)
#   scripts/netns.sh down PREFIX      remove it
#
#   sluice-dp (root namespace, net_af_packet on PREFIX-dp0)
#       PREFIX-dp0 ==veth== PREFIX-dp0b --+
#                                         br0 (namespace PREFIX-lan)
#       PREFIX-pI: eth0 ==veth== PREFIX-pIb -+   I = 1..N
#
# Participant I has 198.18.0.(10+I)/24 and 2001:db8:5c::(10+I)/64; the relay answers for
# 198.18.0.1 and 2001:db8:5c::1 itself (ARP/ND in sluice-dp), the kernel never sees those.
# Only addresses in 198.18.0.0/15 and the 2001:db8::/32 documentation prefix are used.
set -euo pipefail

cmd=${1:-}
prefix=${2:-sl}
n=${3:-3}

[ ${#prefix} -le 6 ] || { echo "netns.sh: prefix at most 6 characters" >&2; exit 1; }

down() {
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^${prefix}-(lan|p[0-9]+)$" || true); do
        ip netns del "$ns" 2>/dev/null || true
    done
    ip link del "${prefix}-dp0" 2>/dev/null || true
}

up() {
    down
    ip netns add "${prefix}-lan"
    # A plain switch: no multicast snooping (no IGMP queries or reports of its own) and, with
    # br_netfilter loaded, no IP checks on bridged frames (the relay must see bad ones).
    ip -n "${prefix}-lan" link add br0 type bridge mcast_snooping 0
    for t in iptables ip6tables arptables; do
        ip netns exec "${prefix}-lan" sysctl -qw "net.bridge.bridge-nf-call-$t=0" 2>/dev/null || true
    done
    ip -n "${prefix}-lan" link set br0 up
    ip -n "${prefix}-lan" link set lo up

    ip link add "${prefix}-dp0" type veth peer name "${prefix}-dp0b"
    ip link set "${prefix}-dp0b" netns "${prefix}-lan"
    ip -n "${prefix}-lan" link set "${prefix}-dp0b" master br0 up
    # The relay's side carries no kernel addresses: sluice-dp owns it through AF_PACKET.
    sysctl -qw "net.ipv6.conf.${prefix}-dp0.disable_ipv6=1"
    ip link set "${prefix}-dp0" up

    for i in $(seq 1 "$n"); do
        local ns="${prefix}-p$i"
        ip netns add "$ns"
        ip link add "${prefix}-p${i}b" type veth peer name eth0 netns "$ns"
        ip link set "${prefix}-p${i}b" netns "${prefix}-lan"
        ip -n "${prefix}-lan" link set "${prefix}-p${i}b" master br0 up
        ip -n "$ns" link set lo up
        ip -n "$ns" link set eth0 up
        ip -n "$ns" addr add "198.18.0.$((10 + i))/24" dev eth0
        ip -n "$ns" addr add "2001:db8:5c::$((10 + i))/64" dev eth0 nodad
    done
}

case "$cmd" in
    up) up ;;
    down) down ;;
    *) echo "usage: netns.sh up PREFIX N | down PREFIX" >&2; exit 1 ;;
esac
