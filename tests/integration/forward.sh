#!/usr/bin/env bash
# Three participants in three namespaces send SRTP and SRTCP, each with its own keys, through
# sluice-dp on net_af_packet; each must receive the other two streams, decrypted with its own
# keys, byte-identical (sluice-peer checks every payload), without loss; sender reports reach
# every other participant, a PLI reaches only the publisher of the SSRC it is about.
#
# Variants: IPv4 with 1 worker; IPv6 with 2 workers (hand-offs between lcores); IPv4 with
# 2 workers and 2 queues and a different suite on every leg; then a leg update (re-key,
# new SSRC) and removal while the others keep going.
source "$(dirname "$0")/lib.sh"

COUNT=300
RATE=100

sl_setup slf 3

# run_variant NAME FAMILY WORKERS QUEUES SIZE SUITE1 SUITE2 SUITE3
run_variant() {
    local name=$1 family=$2 workers=$3 queues=$4 size=$5
    local suites=("$6" "$7" "$8")
    local relay relay_ep
    if [ "$family" = 6 ]; then relay="2001:db8:5c::1"; relay_ep="[$relay]:40000"; else relay="198.18.0.1"; relay_ep="$relay:40000"; fi

    sl_log "variant $name: IPv$family, $workers worker(s), $queues queue(s), ${suites[*]}"
    sl_config "$TMP/$name.conf" "$workers" "$queues"
    sl_dp_start "$TMP/$name.conf"
    sl_warm p1 p2 p3

    for i in 1 2 3; do
        local s=${suites[$((i - 1))]} ep
        if [ "$family" = 6 ]; then ep="[2001:db8:5c::1$i]:5000"; else ep="198.18.0.1$i:5000"; fi
        sl_key "$s" > "$TMP/$name.in$i"
        sl_key "$s" > "$TMP/$name.out$i"
        sl_ctl dp leg add --id "$i" --conf 7 --suite "$s" --port 40000 \
            --in-key "@$TMP/$name.in$i" --out-key "@$TMP/$name.out$i" \
            --ssrc $((1000 + i)) --remote "$ep" > /dev/null || sl_fail "leg $i not added"
    done

    for i in 1 2 3; do
        local local_ep pli=()
        if [ "$family" = 6 ]; then local_ep="[2001:db8:5c::1$i]:5000"; else local_ep="198.18.0.1$i:5000"; fi
        [ "$i" = 1 ] && pli=(--pli-to 1002)
        sl_peer "p$i" run --local "$local_ep" --remote "$relay_ep" --suite "${suites[$((i - 1))]}" \
            --send-key "@$TMP/$name.in$i" --recv-key "@$TMP/$name.out$i" --ssrc $((1000 + i)) \
            --count "$COUNT" --rate "$RATE" --size "$size" --seq-start 65400 \
            --rtcp-interval-ms 300 "${pli[@]}" --start-delay-ms 300 --linger-ms 1000 \
            --name "p$i" --report "$TMP/$name.p$i.json"
    done
    sl_peers_wait

    for i in 1 2 3; do
        local r="$TMP/$name.p$i.json"
        sl_expect "$name p$i sent" "$(sl_jq "$r" .sent.rtp)" "$COUNT"
        sl_expect "$name p$i unprotect failures" \
            "$(sl_jq "$r" '.received.unprotect_fail | .auth + .replay + .other')" 0
        sl_expect "$name p$i corrupt" "$(sl_jq "$r" .received.corrupt)" 0
        sl_expect "$name p$i foreign senders" "$(sl_jq "$r" .received.foreign)" 0
        sl_expect "$name p$i echo of its own stream" "$(sl_jq "$r" .received.echo)" 0
        for j in 1 2 3; do
            [ "$i" = "$j" ] && continue
            sl_expect_from "$name p$i" "$r" "$j"
        done
    done
    # Feedback about 1002 goes to the leg that publishes 1002, and nowhere else.
    [ "$(sl_jq "$TMP/$name.p2.json" '[.received.feedback[] | select(.media_ssrc == 1002) | .pli] | add // 0')" -gt 0 ] ||
        sl_fail "$name: the PLI for 1002 did not reach p2"
    sl_expect "$name: PLI for 1002 at p3" \
        "$(sl_jq "$TMP/$name.p3.json" '[.received.feedback[] | select(.media_ssrc == 1002) | .pli] | add // 0')" 0

    sl_drops_zero srtp_auth_fail srtp_replay srtcp_auth_fail srtcp_replay srtcp_short srtcp_error \
        leg_gone no_remote no_route no_neighbour no_mbuf ring_full tx_full slowpath_full \
        unknown_ssrc ssrc_not_allowed
    for i in 1 2 3; do
        local want
        if [ "$family" = 6 ]; then want="[2001:db8:5c::1$i]:5000"; else want="198.18.0.1$i:5000"; fi
        sl_expect "$name leg $i latched" "$(sl_ctl --json dp leg show --id "$i" | jq -r .latched)" "$want"
        # Bytes on the wire both ways: what the participant sent, SRTP tags included.
        sl_expect "$name leg $i rx_bytes" "$(sl_ctl --json dp leg show --id "$i" | jq -r .counters.rx_bytes)" \
            "$(sl_jq "$TMP/$name.p$i.json" .sent.rtp_bytes)"
    done
    if [ "$workers" -gt 1 ]; then
        local handoffs
        handoffs=$(sl_ctl --json dp stats | jq '[.lcores[].counters.handoff_out // 0] | add')
        [ "$handoffs" -gt 0 ] || sl_fail "$name: no packet crossed between workers"
    fi
}

run_variant v4w1 4 1 1 160 AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_80
sl_dp_stop

run_variant v6w2 6 2 1 160 AEAD_AES_128_GCM AEAD_AES_128_GCM AEAD_AES_128_GCM
sl_dp_stop

run_variant v4w2q2 4 2 2 1200 AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32 AEAD_AES_256_GCM

# Re-key leg 3 and give it a new SSRC; give leg 1 a new SSRC (a sender that restarts its
# SRTP session must not reuse an SSRC under the same key); remove leg 2.
sl_log "update and removal while running"
sl_key AEAD_AES_256_GCM > "$TMP/new.in3"
sl_key AEAD_AES_256_GCM > "$TMP/new.out3"
sl_ctl dp leg update --id 3 --in-key "@$TMP/new.in3" --out-key "@$TMP/new.out3" --ssrc 2003 > /dev/null ||
    sl_fail "leg 3 update refused"
sl_ctl dp leg update --id 1 --ssrc 2001 > /dev/null || sl_fail "leg 1 update refused"
sl_ctl dp leg del --id 2 > /dev/null || sl_fail "leg 2 removal refused"
sl_expect "leg count after removal" "$(sl_ctl --json dp leg list | jq '.legs | length')" 2
# p1 sends its RTCP from another port (a client without RTCP mux): media must stay on
# 5000. p3 starts a second late: until then the relay's packets for it meet a closed port,
# and p3's kernel answers with ICMP port unreachable, which the relay counts as icmp_error.
icmp_before=$(sl_drop icmp_error)
sl_peer p1 run --local 198.18.0.11:5000 --remote 198.18.0.1:40000 --suite AES_CM_128_HMAC_SHA1_80 \
    --send-key "@$TMP/v4w2q2.in1" --recv-key "@$TMP/v4w2q2.out1" --ssrc 2001 --count 200 --rate 100 \
    --rtcp-from-port 5001 --rtcp-interval-ms 200 --start-delay-ms 300 --report "$TMP/after.p1.json"
sleep 1.3
sl_peer p3 run --local 198.18.0.13:5000 --remote 198.18.0.1:40000 --suite AEAD_AES_256_GCM \
    --send-key "@$TMP/new.in3" --recv-key "@$TMP/new.out3" --ssrc 2003 --count 100 --rate 100 \
    --start-delay-ms 300 --report "$TMP/after.p3.json"
sl_peers_wait
sl_expect "p1 <- re-keyed p3" "$(sl_jq "$TMP/after.p1.json" '.received.sources[] | select(.ssrc == 2003) | .packets')" 100
sl_expect "p1 <- re-keyed p3 lost" "$(sl_jq "$TMP/after.p1.json" '.received.sources[] | select(.ssrc == 2003) | .lost')" 0
[ "$(sl_jq "$TMP/after.p3.json" '.received.sources[] | select(.ssrc == 2001) | .packets')" -ge 50 ] ||
    sl_fail "p3 got too little of p1 with the new keys"
sl_expect "p3 <- p1 lost" "$(sl_jq "$TMP/after.p3.json" '.received.sources[] | select(.ssrc == 2001) | .lost')" 0
sl_expect "p3 unprotect failures" "$(sl_jq "$TMP/after.p3.json" '.received.unprotect_fail | .auth + .replay + .other')" 0
[ "$(sl_jq "$TMP/after.p1.json" .sent.rtcp)" -gt 0 ] || sl_fail "p1 sent no RTCP from its second port"
sl_expect "leg 1 stays on its RTP port" "$(sl_ctl --json dp leg show --id 1 | jq -r .latched)" "198.18.0.11:5000"
[ "$(sl_drop icmp_error)" -gt "$icmp_before" ] || sl_fail "ICMP port unreachable not counted as icmp_error"
sl_expect "icmp_bad" "$(sl_drop icmp_bad)" 0
sl_drops_zero srtp_auth_fail srtcp_auth_fail leg_gone
sl_ctl dp conf del --id 7 > /dev/null || sl_fail "conference removal refused"
sl_expect "legs after conference removal" "$(sl_ctl --json dp health | jq -r '.legs')" 0
sl_dp_stop
sl_log "ok"
