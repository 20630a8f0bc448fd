#!/usr/bin/env bash
# Restarts under a running conference: sluice-dp killed (-9) and started again gets its legs
# back from sluice-cp within 2 s and media resumes with the same keys, on streams past their
# first 65,536 packets (ROC 1) and with no SRTCP index sent twice; sluice-cp killed (-9)
# leaves forwarding alone and comes back with every conference, leg and token; Redis stopped
# leaves forwarding alone, makes readiness, joins and logins answer 503, and once Redis is
# back (with its data on disk) sluice-cp recovers by itself and the earlier legs stay.
source "$(dirname "$0")/lib_cp.sh"

sl_cp_setup slk 2


# sluice-cp number 6 (API port 18449) keeps clear of the other API tests' ports when they run
# at the same time; --add-admin reads cp1.conf, which names the same Redis and keyring.
CPI=6

# Redis as in production: the append-only file, fsynced on every write, survives a restart.
redis_start_persistent() {
    redis-server --port 0 --unixsocket "$TMP/redis.sock" --unixsocketperm 700 \
        --save "" --appendonly yes --appendfsync always --dir "$TMP" >> "$TMP/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 50); do
        rcli ping 2> /dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    sl_fail "redis-server did not start"
}

# The Redis of sl_cp_setup keeps nothing on disk: replace it before anything is stored.
sl_redis_stop
redis_start_persistent

sl_config "$TMP/dp.conf" 1 1
sl_dp_start "$TMP/dp.conf"
sl_cp_config 1
sl_cp_config $CPI
sl_add_admin admin
sl_cp_start $CPI

api $CPI GET ready; api_expect ready 200
login $CPI admin "$PW_ADMIN"
ADMIN=$TOKEN

api $CPI POST conferences '{"name":"restarts","max_legs":10}' "$ADMIN"; api_expect conference 201
CONF=$(jq -r .id "$TMP/api.out")

join() {    # join I: the admin joins leg I; the reply in $TMP/jI.json, keys in files
    api $CPI POST "conferences/$CONF/legs" '{"ssrcs":1}' "$ADMIN"
    api_expect "join $1" 201
    cp "$TMP/api.out" "$TMP/j$1.json"
    jq -r .send_key "$TMP/j$1.json" > "$TMP/j$1.send"
    jq -r .recv_key "$TMP/j$1.json" > "$TMP/j$1.recv"
}
join 1
join 2
sl_expect "legs in the dataplane" "$(sl_ctl --json dp health | jq -r .legs)" 2
S1=$(jq -r '.ssrcs[0]' "$TMP/j1.json")
S2=$(jq -r '.ssrcs[0]' "$TMP/j2.json")

# run ROUND COUNT SEQ_START: both participants send COUNT packets at 100/s in the background,
# participant I (1, 2) as leg LEGS[I] from UDP port PORT.
LEGS=(0 1 2)
PORT=5000
run() {
    for i in 1 2; do
        local j=${LEGS[$i]}
        sl_peer "p$i" run --local "198.18.0.1$i:$PORT" --remote 198.18.0.1:40000 \
            --suite "$(jq -r .suite "$TMP/j$j.json")" --send-key "@$TMP/j$j.send" \
            --recv-key "@$TMP/j$j.recv" --ssrc "$(jq -r '.ssrcs[0]' "$TMP/j$j.json")" \
            --count "$2" --rate 100 --seq-start "$3" --start-delay-ms 1000 \
            --report "$TMP/$1.p$i.json"
    done
}

# from ROUND I J FILTER: FILTER over what participant I received from participant J.
from() {
    local s
    [ "$3" = 1 ] && s=$S1 || s=$S2
    sl_jq "$TMP/$1.p$2.json" ".received.sources[] | select(.ssrc == $s) | $4"
}

unprotect_fail() { sl_jq "$TMP/$1.p$2.json" '.received.unprotect_fail | .auth + .replay + .other'; }

# Packets the relay's port received and sent so far.
dp_rx() { sl_ctl --json dp stats | jq -r '.ports[0].counters.rx_packets'; }
dp_tx() { sl_ctl --json dp stats | jq -r '.ports[0].counters.tx_packets'; }

# forwarding WHAT: the relay's counters grow over half a second.
forwarding() {
    local rx0 tx0
    rx0=$(dp_rx); tx0=$(dp_tx)
    sleep 0.5
    [ "$(dp_rx)" -gt "$rx0" ] || sl_fail "$1: the relay receives nothing"
    [ "$(dp_tx)" -gt "$tx0" ] || sl_fail "$1: the relay sends nothing"
}

# The relay learns each participant's address from its first authenticated packet.
sl_warm p1 p2
run warm 5 0
sl_peers_wait

# ---- 1 and 2 run under one round that must arrive whole ----
COUNT=2500
run cpredis $COUNT 1000
sleep 1

# ---- 1. sluice-cp killed, forwarding goes on, started again: nothing lost ----
kill -KILL "${CP_PIDS[$CPI]}"
wait "${CP_PIDS[$CPI]}" 2>/dev/null || true
CP_PIDS[$CPI]=
forwarding "sluice-cp down"
sl_cp_start $CPI
api $CPI GET "conferences/$CONF" "" "$ADMIN"; api_expect "conference after the sluice-cp restart" 200
sl_expect "conference legs after the sluice-cp restart" "$(jq -r .legs "$TMP/api.out")" 2
api $CPI GET "conferences/$CONF/legs" "" "$ADMIN"; api_expect "leg list after the sluice-cp restart" 200
sl_expect "legs listed after the sluice-cp restart" "$(jq '.legs | length' "$TMP/api.out")" 2
sl_expect "dataplane legs after the sluice-cp restart" "$(sl_ctl --json dp health | jq -r .legs)" 2

# ---- 2. Redis stopped: forwarding goes on, state changes fail closed ----
sl_redis_stop
forwarding "Redis down"
st=
for _ in $(seq 1 30); do
    api $CPI GET ready
    st=$ST
    [ "$st" = 503 ] && break
    sleep 0.1
done
api_expect "ready without Redis" 503
sl_expect "ready without Redis" "$(jq -c . "$TMP/api.out")" '{"ready":false,"redis":false,"dataplane":true}'
api $CPI POST "conferences/$CONF/legs" '{"ssrcs":1}' "$ADMIN"; api_expect "join without Redis" 503 unavailable
api $CPI POST login "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\",\"totp\":\"$(totp admin)\"}"
api_expect "login without Redis" 503 unavailable
forwarding "Redis down, after the refused requests"
sl_expect "dataplane legs without Redis" "$(sl_ctl --json dp health | jq -r .legs)" 2

# ---- Redis back: sluice-cp recovers by itself ----
redis_start_persistent
for _ in $(seq 1 100); do
    api $CPI GET ready
    [ "$ST" = 200 ] && break
    sleep 0.1
done
api_expect "ready 10 s after Redis is back" 200
join 3
sl_expect "dataplane legs after the new join" "$(sl_ctl --json dp health | jq -r .legs)" 3
for i in 1 2; do
    l=$(jq -r .leg "$TMP/j$i.json")
    sl_ctl dp leg show --id "$l" > /dev/null 2>&1 || sl_fail "leg $l left the dataplane"
done
api $CPI GET "conferences/$CONF" "" "$ADMIN"; api_expect "conference after Redis is back" 200
sl_expect "conference legs after Redis is back" "$(jq -r .legs "$TMP/api.out")" 3

sl_peers_wait
for i in 1 2; do
    j=$((3 - i))
    sl_expect "p$i <- p$j packets (sluice-cp and Redis restarts)" "$(from cpredis "$i" "$j" .packets)" $COUNT
    sl_expect "p$i <- p$j lost (sluice-cp and Redis restarts)" "$(from cpredis "$i" "$j" .lost)" 0
    sl_expect "p$i unprotect failures (sluice-cp and Redis restarts)" "$(unprotect_fail cpredis "$i")" 0
done
# A reconciliation after Redis came back must not have removed the legs it holds.
sleep 1
sl_expect "dataplane legs after Redis came back" "$(sl_ctl --json dp health | jq -r .legs)" 3

# ---- 3. sluice-dp killed during a conference, started again ----
# The streams start 150 packets before their sequence numbers wrap: the kill comes after the
# wrap, so the relay must know each stream's ROC (1) after its restart, from its state file.
# The participants join again for it (legs 4 and 5, from another port): a participant's
# process counts SRTP and SRTCP indexes from zero, so its keys must not outlive it.
join 4
join 5
LEGS=(0 4 5)
PORT=5002
S1=$(jq -r '.ssrcs[0]' "$TMP/j4.json")
S2=$(jq -r '.ssrcs[0]' "$TMP/j5.json")
COUNT=1200
run dp $COUNT $((65536 - 150))
sleep 4
forwarding "before the dataplane restart"
kill -KILL "$DP_PID"
wait "$DP_PID" 2>/dev/null || true
DP_PID=
mv "$TMP/dp.log" "$TMP/dp-killed.log"
sl_dp_start "$TMP/dp.conf"
legs=
for _ in $(seq 1 20); do
    legs=$(sl_ctl --json dp health | jq -r .legs)
    [ "$legs" = 5 ] && break
    sleep 0.1
done
[ "$legs" = 5 ] || sl_fail "dataplane legs 2 s after its restart: $legs, expected 5"
sl_peers_wait
for i in 1 2; do
    j=$((3 - i))
    sl_expect "p$i <- p$j last packet after the dataplane restart" "$(from dp "$i" "$j" .last)" $((COUNT - 1))
    [ "$(from dp "$i" "$j" .lost)" -gt 0 ] || sl_fail "p$i lost nothing from p$j: the relay did not stop"
    [ "$(from dp "$i" "$j" .packets)" -ge $((COUNT / 2)) ] ||
        sl_fail "p$i got only $(from dp "$i" "$j" .packets) packets from p$j"
done
grep -q "dataplane connected" "$TMP/cp$CPI.log" || sl_fail "sluice-cp did not log the dataplane"
for i in 4 5; do
    l=$(jq -r .leg "$TMP/j$i.json")
    grep -q "leg $l: SRTP counters restored" "$TMP/dp.log" ||
        sl_fail "sluice-dp did not restore the counters of leg $l"
done

# Across the dataplane restart nothing the relay sent failed at a participant: no RTP under
# a wrong ROC, no SRTCP index twice (a replay), and reports came through after the restart.
for i in 1 2; do
    sl_expect "p$i unprotect failures across the dataplane restart" "$(unprotect_fail dp "$i")" 0
    [ "$(sl_jq "$TMP/dp.p$i.json" '.received.rtcp')" -gt 0 ] || sl_fail "p$i got no reports"
done

sl_cp_stop $CPI
sl_dp_stop
sl_log "ok"
