#!/usr/bin/env bash
# Sluice's main job on a local default, as root on Debian 12: sluice-dp with
# conf/sluice-dp.conf on a veth pair (net_af_packet, no NIC binding), a demo conference of
# three participants in network namespaces sending each other SRTP through the relay, and the
# relay's live counters until Ctrl-C. Everything it creates is removed on exit.
#
#   scripts/run-demo.sh [SECONDS]    stop by itself after SECONDS (default: run until Ctrl-C)
set -euo pipefail
cd "$(dirname "$0")/.."

limit=${1:-}
conf=conf/sluice-dp.conf
sock=/run/sluice/dp.sock
prefix=sl               # conf/sluice-dp.conf names the veth sl-dp0

scripts/setup-deps.sh
scripts/setup-hugepages.sh 1024
if [ -f build/build.ninja ]; then meson setup --reconfigure build > /dev/null; else meson setup build > /dev/null; fi
ninja -C build > /dev/null

dp=build/dataplane/sluice-dp
ctl=build/controlplane/sluicectl
peer=build/tests/peer/sluice-peer
tmp=$(mktemp -d /tmp/sluice-demo.XXXXXX)
dp_pid=
peer_pids=()

cleanup() {
    trap - EXIT INT TERM
    for p in "${peer_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${peer_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -n "$dp_pid" ]; then
        echo
        echo "participants' reports (received from each other participant):"
        for i in 1 2 3; do
            [ -f "$tmp/p$i.json" ] && jq -r '"  \(.name): " + ([.received.sources[] |
                "\(.packets) from ssrc \(.ssrc) (lost \(.lost), corrupt \(.corrupt))"] | join(", "))' "$tmp/p$i.json"
        done
        kill -TERM "$dp_pid" 2>/dev/null || true
        wait "$dp_pid" 2>/dev/null || true
        echo "sluice-dp stopped; its log: $tmp/dp.log"
    fi
    scripts/netns.sh down "$prefix"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if "$ctl" --socket "$sock" dp health > /dev/null 2>&1; then
    echo "run-demo: a sluice-dp already answers on $sock; stop it first" >&2
    exit 1
fi

scripts/netns.sh up "$prefix" 3
"$dp" -c "$conf" > "$tmp/dp.log" 2>&1 &
dp_pid=$!
for _ in $(seq 1 100); do
    "$ctl" --socket "$sock" dp health > /dev/null 2>&1 && break
    kill -0 "$dp_pid" 2>/dev/null || { cat "$tmp/dp.log"; echo "run-demo: sluice-dp did not start" >&2; exit 1; }
    sleep 0.2
done

# Three participants, each with its own suite and keys; the relay re-encrypts per leg.
suites=(AES_CM_128_HMAC_SHA1_80 AEAD_AES_128_GCM AES_CM_128_HMAC_SHA1_32)
for i in 1 2 3; do
    s=${suites[$((i - 1))]}
    "$peer" keygen --suite "$s" > "$tmp/in$i"
    "$peer" keygen --suite "$s" > "$tmp/out$i"
    "$ctl" --socket "$sock" dp leg add --id "$i" --conf 1 --suite "$s" --port 40000 \
        --in-key "@$tmp/in$i" --out-key "@$tmp/out$i" --ssrc $((1000 + i)) \
        --remote "198.18.0.1$i:5000" > /dev/null
done
duration=${limit:-86400}
for i in 1 2 3; do
    ip netns exec "$prefix-p$i" "$peer" run --local "198.18.0.1$i:5000" --remote 198.18.0.1:40000 \
        --suite "${suites[$((i - 1))]}" --send-key "@$tmp/in$i" --recv-key "@$tmp/out$i" \
        --ssrc $((1000 + i)) --rate 50 --size 400 --duration "$duration" --start-delay-ms 300 \
        --name "participant-$i" --report "$tmp/p$i.json" > /dev/null &
    peer_pids+=("$!")
done

cat <<MSG
sluice-dp is forwarding a conference of three participants (namespaces $prefix-p1..3,
198.18.0.11-13) on veth $prefix-dp0 at 198.18.0.1, media port 40000. Try in another shell:
  $ctl dp leg list
  $ctl --json dp leg show --id 1
  ip netns exec $prefix-p1 ping -c 3 198.18.0.1
Counters follow, every second (rates per second after the first sample). Ctrl-C ends the demo.
MSG
sleep 1
if [ -n "$limit" ]; then
    "$ctl" --socket "$sock" dp stats --watch 1 --count "$limit" || true
else
    "$ctl" --socket "$sock" dp stats --watch 1 || true
fi
