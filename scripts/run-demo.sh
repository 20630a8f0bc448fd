#!/usr/bin/env bash
# Sluice's main job on a local default, as root on Debian 12: sluice-dp with
# conf/sluice-dp.conf on a veth pair (net_af_packet, no NIC binding), a local redis-server,
# and sluice-cp with a self-signed certificate made for the occasion. An admin is created,
# logs in with password and TOTP (code from oathtool), creates a conference with sluicectl,
# and three participants in network namespaces join it through the HTTPS API and send each
# other SRTP through the relay with the keys the API gave them. The relay's live counters
# follow until Ctrl-C. Everything it creates is removed on exit.
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
cp_pid=
redis_pid=
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
    for p in $cp_pid $redis_pid; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    [ -n "$cp_pid" ] && echo "sluice-cp stopped; its log: $tmp/cp.log, audit log: $tmp/audit.log"
    scripts/netns.sh down "$prefix"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if "$ctl" --socket "$sock" dp health > /dev/null 2>&1; then
    echo "run-demo: a sluice-dp already answers on $sock; stop it first" >&2
    exit 1
fi

scripts/netns.sh up "$prefix" 3
# The demo's legs are gone with it: their SRTP counters stay in its folder, not in the
# relay's state file (state.file).
grep -q '^	file = "/var/lib/sluice/dp-state";$' "$conf" ||
    { echo "run-demo: $conf does not name the default state file" >&2; exit 1; }
sed 's|^	file = "/var/lib/sluice/dp-state";$|	file = "'"$tmp"'/dp-state";|' "$conf" > "$tmp/dp.conf"
"$dp" -c "$tmp/dp.conf" > "$tmp/dp.log" 2>&1 &
dp_pid=$!
for _ in $(seq 1 100); do
    "$ctl" --socket "$sock" dp health > /dev/null 2>&1 && break
    kill -0 "$dp_pid" 2>/dev/null || { cat "$tmp/dp.log"; echo "run-demo: sluice-dp did not start" >&2; exit 1; }
    sleep 0.2
done

# The control plane: a Redis of its own on a Unix socket, a certificate and a keyring.
cp=build/controlplane/sluice-cp
redis-server --port 0 --unixsocket "$tmp/redis.sock" --unixsocketperm 700 --save "" \
    --appendonly no --dir "$tmp" > "$tmp/redis.log" 2>&1 &
redis_pid=$!
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2> /dev/null
chmod 600 "$tmp/tls.key"
"$cp" --gen-key "$tmp/cp.key" > /dev/null
cat > "$tmp/cp.conf" <<CONF
relay = { id = "demo"; address = "198.18.0.1"; media_port = 40000; dp_socket = "$sock";
          suites = [ "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_32" ]; };
api = { address = "127.0.0.1"; port = 8443; tls_cert = "$tmp/tls.crt"; tls_key = "$tmp/tls.key"; };
metrics = { address = "127.0.0.1"; port = 9464; };
redis = { socket = "$tmp/redis.sock"; };
security = { key_file = "$tmp/cp.key"; audit_log = "$tmp/audit.log"; };
CONF
for _ in $(seq 1 50); do redis-cli -s "$tmp/redis.sock" ping 2> /dev/null | grep -q PONG && break; sleep 0.1; done
head -c 18 /dev/urandom | base64 > "$tmp/admin.pw"
chmod 600 "$tmp/admin.pw"
"$cp" -c "$tmp/cp.conf" --add-admin admin < "$tmp/admin.pw" > "$tmp/admin.enrol"
"$cp" -c "$tmp/cp.conf" > "$tmp/cp.log" 2>&1 &
cp_pid=$!
export SLUICE_API=https://127.0.0.1:8443 SLUICE_CACERT=$tmp/tls.crt SLUICE_TOKEN_FILE=$tmp/token
for _ in $(seq 1 100); do "$ctl" api health > /dev/null 2>&1 && break; sleep 0.1; done
"$ctl" login admin --password-file "$tmp/admin.pw" \
    --totp "$(oathtool --totp -b "$(jq -r .totp_secret "$tmp/admin.enrol")")" --token-out "$tmp/token"
conf_id=$("$ctl" --json conf create --name demo | jq -r .id)
echo "run-demo: conference $conf_id created through sluice-cp"

# Three participants join through the API, each with its own suite; the relay re-encrypts per leg.
suites=(AES_CM_128_HMAC_SHA1_80 AEAD_AES_128_GCM AES_CM_128_HMAC_SHA1_32)
for i in 1 2 3; do
    "$ctl" --json leg join "$conf_id" --suite "${suites[$((i - 1))]}" --ssrcs 1 > "$tmp/j$i.json"
    jq -r .send_key "$tmp/j$i.json" > "$tmp/in$i"
    jq -r .recv_key "$tmp/j$i.json" > "$tmp/out$i"
    ssrc[$i]=$(jq -r '.ssrcs[0]' "$tmp/j$i.json")
done
duration=${limit:-86400}
for i in 1 2 3; do
    ip netns exec "$prefix-p$i" "$peer" run --local "198.18.0.1$i:5000" --remote 198.18.0.1:40000 \
        --suite "${suites[$((i - 1))]}" --send-key "@$tmp/in$i" --recv-key "@$tmp/out$i" \
        --ssrc "${ssrc[$i]}" --rate 50 --size 400 --duration "$duration" --start-delay-ms 300 \
        --name "participant-$i" --report "$tmp/p$i.json" > /dev/null &
    peer_pids+=("$!")
done

cat <<MSG
sluice-dp is forwarding conference $conf_id of three participants (namespaces $prefix-p1..3,
198.18.0.11-13) who joined through sluice-cp's API; veth $prefix-dp0 at 198.18.0.1, media
port 40000. Try in another shell:
  $ctl dp leg list
  SLUICE_API=$SLUICE_API SLUICE_CACERT=$SLUICE_CACERT SLUICE_TOKEN_FILE=$SLUICE_TOKEN_FILE \
      $ctl leg list $conf_id
  curl -s http://127.0.0.1:9464/metrics | grep sluice_cp_joins
Counters follow, every second (rates per second after the first sample). Ctrl-C ends the demo.
MSG
sleep 1
if [ -n "$limit" ]; then
    "$ctl" --socket "$sock" dp stats --watch 1 --count "$limit" || true
else
    "$ctl" --socket "$sock" dp stats --watch 1 || true
fi
