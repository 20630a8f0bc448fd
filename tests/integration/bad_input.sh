#!/usr/bin/env bash
# Bad input. Two participants (p1, p2) exchange SRTP and SRTCP for the whole test, p1 replaying
# every tenth packet of its own; meanwhile p3, which is no participant, and p1's own address
# from another port send what the relay must drop: wrong keys (posing as p1 and p2 by SSRC),
# unknown SSRCs, truncated and garbage datagrams, a flood, UDP to a port that is not a media
# port, and raw Ethernet frames that are wrong at layer 2, 3 or 4.
#
# For each attack: exactly the drop counters it must hit grow, by exactly what it sent of
# each kind, and no other counter moves (but those the streams and the kernels move on their
# own, see NOISE). At the end: nothing moved outside those windows; both participants got
# every packet of the other, intact, once, and nothing else; no attacker got anything; the
# legs are still latched where they first were, never re-latched, and their counters match
# what the participants counted; the relay stops cleanly.
#
# Variants: AES_CM_128_HMAC_SHA1_80 with 1 worker; AEAD_AES_128_GCM with 2 workers and
# 2 queues (packets handed between workers).
source "$(dirname "$0")/lib.sh"

COUNT=${SLUICE_BAD_COUNT:-4000}	# stream packets per participant: 40 s, longer than the attacks
RATE=100
DUP_EVERY=10
N=300				# packets per UDP attack
NF=50				# frames per kind
SEQ1=1000			# p1's first sequence number
# Ahead of p1's stream, by less than 2^15 while the attacks last: forgeries must fail the tag,
# and not the replay check that comes before it.
ATTACK_SEQ=$((SEQ1 + 24000))
RELAY=198.18.0.1:40000
RELAY6=[2001:db8:5c::1]:40000
# Moved by what runs beside the attacks: p1's own replays (checked exactly at the end), and
# the namespaces' kernels (IPv6 multicast: MLD reports, router solicitations).
NOISE='["srtp_replay","ip_not_ours"]'

sl_setup slb 3

drops() { sl_ctl --json dp stats | jq -c .drops; }
leg_json() { sl_ctl --json dp leg show --id "$1"; }
rx_missed() { sl_ctl --json dp stats | jq '[.ports[].counters.rx_missed] | add'; }

# check_drops WHAT BEFORE SPEC: SPEC maps a drop counter, or several joined by '+', to exactly
# how much it (their sum) must grow since the snapshot BEFORE. Waits up to 10 s for the relay
# to count it all, then requires that no counter outside SPEC and NOISE moved. What moved is
# added to ACC for the check over the whole run.
check_drops() {
    local what=$1 before=$2 spec=$3 after bad
    local need='all($s | to_entries[]; (.key | split("+") | map($b[.] - $a[.]) | add) >= .value)'
    for _ in $(seq 1 100); do
        after=$(drops)
        jq -e -n --argjson a "$before" --argjson b "$after" --argjson s "$spec" "$need" \
            > /dev/null && break
        sleep 0.1
    done
    sleep 0.3
    after=$(drops)
    bad=$(jq -r -n --argjson a "$before" --argjson b "$after" --argjson s "$spec" \
        --argjson noise "$NOISE" '
        def moved(k): $b[k] - $a[k];
        ([$s | to_entries[] | .key as $k | (.key | split("+") | map(moved(.)) | add) as $d |
          select($d != .value) |
          "\($k) grew by \($d), expected \(.value)"] +
         [([$s | keys[] | split("+")[]]) as $named | $b | keys[] | . as $k |
          select(moved($k) != 0 and ($named | index([$k])) == null and
                 ($noise | index([$k])) == null) |
          "\($k) grew by \(moved($k)), expected 0"]) | join("; ")')
    [ -z "$bad" ] || sl_fail "$V $what: $bad"
    ACC=$(jq -c -n --argjson acc "$ACC" --argjson a "$before" --argjson b "$after" \
        --argjson noise "$NOISE" '
        reduce ($b | keys[]) as $k ($acc;
            if $b[$k] != $a[$k] and ($noise | index([$k])) == null
            then .[$k] = (.[$k] // 0) + $b[$k] - $a[$k] else . end)')
}

# attack NS NAME ARGS...: `sluice-peer attack ARGS` in namespace NS, to the end; it must have
# sent everything (ERRORS_OK=1: the kernel may refuse some) and received nothing at all.
# The report is $TMP/$V.NAME.json.
attack() {
    local ns=$1 name=$2 r
    shift 2
    r="$TMP/$V.$name.json"
    ip netns exec "${PREFIX}-$ns" "$PEER" attack "$@" --report "$r" 2> "$TMP/$V.$name.err" ||
        sl_fail "$V attack $name exited with $?: $(cat "$TMP/$V.$name.err")"
    [ "${ERRORS_OK:-0}" = 1 ] || sl_expect "$V attack $name send errors" "$(sl_jq "$r" .errors)" 0
    sl_expect "$V attack $name: answers from the relay" "$(sl_jq "$r" .received)" 0
}

# kinds NAME KIND: how many packets of KIND attack NAME sent.
kinds() { sl_jq "$TMP/$V.$1.json" ".kinds[\"$2\"]"; }

# frames_one FAMILY KIND COUNTER N: NF frames of KIND to the relay over IPv4 or IPv6 from p3;
# COUNTER must grow by N.
frames_one() {
    local family=$1 kind=$2 counter=$3 n=$4 b remote=$RELAY
    [ "$family" = 6 ] && remote=$RELAY6
    b=$(drops)
    attack p3 "frames-$kind-v$family" --mode frames --frame "$kind" --remote "$remote" \
        --count "$NF"
    check_drops "frames: $kind over IPv$family" "$b" "{\"$counter\": $n}"
}

latched_ok() {
    sl_expect "$V $1: leg 1 latched" "$(leg_json 1 | jq -r .latched)" "198.18.0.11:5000"
    sl_expect "$V $1: leg 2 latched" "$(leg_json 2 | jq -r .latched)" "198.18.0.12:5000"
}

# run_variant NAME WORKERS QUEUES SUITE
run_variant() {
    V=$1
    local workers=$2 queues=$3 suite=$4 b i
    local leg1_auth=0 leg2_auth=0

    sl_log "variant $V: $workers worker(s), $queues queue(s), $suite"
    sl_config "$TMP/$V.conf" "$workers" "$queues"
    sl_dp_start "$TMP/$V.conf"
    sl_warm p1 p2 p3
    for i in 1 2; do
        sl_key "$suite" > "$TMP/$V.in$i"
        sl_key "$suite" > "$TMP/$V.out$i"
        sl_ctl dp leg add --id "$i" --conf 9 --suite "$suite" --port 40000 \
            --in-key "@$TMP/$V.in$i" --out-key "@$TMP/$V.out$i" --ssrc $((1000 + i)) \
            --remote "198.18.0.1$i:5000" > /dev/null || sl_fail "$V leg $i not added"
    done

    ACC='{}'
    local init missed
    init=$(drops)
    missed=$(rx_missed)
    sl_peer p1 run --local 198.18.0.11:5000 --remote "$RELAY" --suite "$suite" \
        --send-key "@$TMP/$V.in1" --recv-key "@$TMP/$V.out1" --ssrc 1001 \
        --count "$COUNT" --rate "$RATE" --seq-start "$SEQ1" --duplicate-every "$DUP_EVERY" \
        --rtcp-interval-ms 300 --start-delay-ms 300 --linger-ms 1500 --name p1 \
        --report "$TMP/$V.p1.json"
    sl_peer p2 run --local 198.18.0.12:5000 --remote "$RELAY" --suite "$suite" \
        --send-key "@$TMP/$V.in2" --recv-key "@$TMP/$V.out2" --ssrc 1002 \
        --count "$COUNT" --rate "$RATE" --seq-start 40000 \
        --rtcp-interval-ms 300 --start-delay-ms 300 --linger-ms 1500 --name p2 \
        --report "$TMP/$V.p2.json"
    for _ in $(seq 1 50); do
        [ "$(leg_json 1 | jq -r .latched)" != null ] &&
            [ "$(leg_json 2 | jq -r .latched)" != null ] && break
        sleep 0.1
    done
    latched_ok "before the attacks"
    local t0=$SECONDS

    # ---- SRTP and SRTCP that do not authenticate ----
    b=$(drops)
    attack p3 wrong-key --mode wrong-key --remote "$RELAY" --suite "$suite" --ssrc 1001 \
        --seq-start "$ATTACK_SEQ" --count "$N"
    check_drops "wrong key posing as p1" "$b" "{\"srtp_auth_fail\": $N}"
    leg1_auth=$((leg1_auth + N))

    b=$(drops)
    attack p3 rtcp-wrong-key --mode rtcp-wrong-key --remote "$RELAY" --suite "$suite" \
        --ssrc 1002 --seq-start "$ATTACK_SEQ" --count "$N"
    check_drops "SRTCP with a wrong key posing as p2" "$b" "{\"srtcp_auth_fail\": $N}"
    leg2_auth=$((leg2_auth + N))

    # p1's own address from another port: forgeries must not move leg 1 there.
    b=$(drops)
    attack p1 spoof-rtp --mode wrong-key --local 198.18.0.11:5002 --remote "$RELAY" \
        --suite "$suite" --ssrc 1001 --seq-start "$ATTACK_SEQ" --count "$N"
    attack p1 spoof-rtcp --mode rtcp-wrong-key --local 198.18.0.11:5002 --remote "$RELAY" \
        --suite "$suite" --ssrc 1001 --seq-start "$ATTACK_SEQ" --count "$N"
    check_drops "p1's address from another port" "$b" \
        "{\"srtp_auth_fail\": $N, \"srtcp_auth_fail\": $N}"
    leg1_auth=$((leg1_auth + 2 * N))
    latched_ok "after the re-latch attempt"

    # ---- SSRCs that no leg sends, ports that are no media port ----
    b=$(drops)
    attack p3 unknown-ssrc --mode unknown-ssrc --remote "$RELAY" --suite "$suite" --count "$N"
    check_drops "unknown SSRC" "$b" "{\"unknown_ssrc\": $N}"

    b=$(drops)
    attack p3 not-media --mode unknown-ssrc --remote 198.18.0.1:40002 --suite "$suite" \
        --count "$N"
    attack p3 not-media-rtcp --mode rtcp-wrong-key --remote 198.18.0.1:5000 --suite "$suite" \
        --ssrc 1001 --count "$N"
    check_drops "UDP to ports that are no media port" "$b" "{\"udp_not_media_port\": $((2 * N))}"

    # ---- truncated: with p1's SSRC and key, each cut lands in its own counter ----
    b=$(drops)
    attack p3 truncated --mode truncated --remote "$RELAY" --suite "$suite" --ssrc 1001 \
        --key "@$TMP/$V.in1" --seq-start "$ATTACK_SEQ" --count 600
    check_drops "truncated as p1" "$b" "{
        \"demux_unknown\": $(kinds truncated empty),
        \"rtp_bad_header\": $(kinds truncated rtp-header),
        \"srtp_short\": $(kinds truncated srtp-in-tag),
        \"srtp_auth_fail\": $(kinds truncated srtp-no-tag),
        \"rtcp_bad_header\": $(kinds truncated rtcp-header),
        \"srtcp_short\": $(kinds truncated srtcp-in-trailer)}"
    leg1_auth=$((leg1_auth + $(kinds truncated srtp-no-tag)))
    # With SSRCs of no leg, whatever carries an SSRC is refused for it before its length.
    b=$(drops)
    attack p3 truncated-any --mode truncated --remote "$RELAY" --suite "$suite" --count 600
    check_drops "truncated, random SSRCs" "$b" "{
        \"demux_unknown\": $(kinds truncated-any empty),
        \"rtp_bad_header\": $(kinds truncated-any rtp-header),
        \"rtcp_bad_header\": $(kinds truncated-any rtcp-header),
        \"unknown_ssrc\": $(( $(kinds truncated-any srtp-in-tag) +
            $(kinds truncated-any srtp-no-tag) + $(kinds truncated-any srtcp-in-trailer) ))}"

    # ---- garbage: the first byte decides (RFC 7983); in 128..191 the random header does ----
    b=$(drops)
    attack p3 garbage --mode garbage --remote "$RELAY" --count 800
    check_drops "garbage" "$b" "{
        \"demux_unknown\": $(( $(kinds garbage short) + $(kinds garbage zrtp) +
            $(kinds garbage turn-channel) + $(kinds garbage unassigned) )),
        \"stun_unhandled\": $(kinds garbage stun),
        \"dtls_unhandled\": $(kinds garbage dtls),
        \"rtp_bad_header+rtcp_bad_header+unknown_ssrc\": $(kinds garbage rtp-rtcp)}"

    # ---- a flood from the host that is no participant ----
    b=$(drops)
    attack p3 flood --mode flood --remote "$RELAY" --suite "$suite" --count 20000 --rate 5000
    check_drops "flood" "$b" '{"unknown_ssrc": 20000}'
    sl_expect "$V flood: frames the relay missed" "$(rx_missed)" "$missed"

    # ---- raw frames, one kind at a time ----
    ip netns exec "${PREFIX}-p3" ping -c 1 -W 2 198.18.0.1 > /dev/null ||
        sl_fail "p3 lost the relay"
    ip netns exec "${PREFIX}-p3" ping -6 -c 1 -W 2 2001:db8:5c::1 > /dev/null ||
        sl_fail "p3 lost the relay over IPv6"
    # A veth refuses to send a frame shorter than an Ethernet header (EINVAL): what it does
    # send must land in l2_short.
    b=$(drops)
    ERRORS_OK=1 attack p3 frames-short --mode frames --frame short --remote "$RELAY" \
        --count "$NF"
    check_drops "frames: short" "$b" \
        "{\"l2_short\": $(sl_jq "$TMP/$V.frames-short.json" '.sent - .errors')}"
    frames_one 4 ethertype l2_ethertype "$NF"
    frames_one 4 vlan l2_ethertype "$NF"
    frames_one 6 vlan l2_ethertype "$NF"
    frames_one 4 ip-checksum ip_bad_checksum "$NF"
    frames_one 4 ip-length ip_bad_header "$NF"
    frames_one 6 ipv6-ext ipv6_ext_header "$NF"
    frames_one 4 udp-length udp_bad_length "$NF"
    frames_one 6 udp-length udp_bad_length "$NF"
    frames_one 4 other-mac l2_not_ours "$NF"
    frames_one 6 other-mac l2_not_ours "$NF"
    # net_af_packet reads through a PACKET_FANOUT socket with the defragment flag: the
    # kernel holds IPv4 fragments back (these never complete) and the relay sees none. On a
    # NIC they land in ip_fragment; here, nothing at all may move.
    frames_one 4 ip-fragment ip_fragment 0

    sl_log "$V: attacks done in $((SECONDS - t0)) s"
    # The streams must still be running: the attacks happened beside them.
    for p in "${PEER_PIDS[@]}"; do
        kill -0 "$p" 2>/dev/null ||
            sl_fail "$V: the attacks outlasted the streams (raise SLUICE_BAD_COUNT)"
    done
    latched_ok "after the attacks"
    sl_peers_wait

    # ---- the participants: every packet of the other, intact, once; nothing else ----
    local dups
    dups=$(sl_jq "$TMP/$V.p1.json" .sent.duplicates)
    sl_expect "$V p1 replays sent" "$dups" $((COUNT / DUP_EVERY))
    for i in 1 2; do
        local r="$TMP/$V.p$i.json" j=$((3 - i))
        sl_expect "$V p$i sent" "$(sl_jq "$r" .sent.rtp)" "$COUNT"
        sl_expect "$V p$i send errors" "$(sl_jq "$r" .sent.errors)" 0
        sl_expect "$V p$i unprotect failures" \
            "$(sl_jq "$r" '.received.unprotect_fail | .auth + .replay + .other')" 0
        for f in corrupt foreign echo invalid rtcp_malformed untracked; do
            sl_expect "$V p$i received $f" "$(sl_jq "$r" ".received.$f")" 0
        done
        sl_expect "$V p$i sources" \
            "$(sl_jq "$r" '[.received.sources[].ssrc | tostring] | join(",")')" $((1000 + j))
        sl_expect "$V p$i RTCP from" \
            "$(sl_jq "$r" '[.received.rtcp_from[].ssrc | tostring] | join(",")')" $((1000 + j))
        sl_expect_from "$V p$i" "$r" "$j"
    done

    # ---- the relay over the whole run: nothing moved outside the windows above ----
    local final bad
    final=$(drops)
    sl_expect "$V srtp_replay over the run (p1's replays)" \
        "$(jq -n --argjson a "$init" --argjson b "$final" '$b.srtp_replay - $a.srtp_replay')" \
        "$dups"
    bad=$(jq -r -n --argjson a "$init" --argjson b "$final" --argjson acc "$ACC" \
        --argjson noise "$NOISE" '
        [$b | keys[] | . as $k | select(($noise | index([$k])) == null) |
         select($b[$k] - $a[$k] != ($acc[$k] // 0)) |
         "\($k) grew by \($b[$k] - $a[$k]), the attacks account for \($acc[$k] // 0)"] |
        join("; ")')
    [ -z "$bad" ] || sl_fail "$V over the run: $bad"
    sl_expect "$V frames the relay missed over the run" "$(rx_missed)" "$missed"

    # ---- the legs: where they first latched, counters as the participants counted ----
    latched_ok "at the end"
    local l1 l2
    l1=$(leg_json 1)
    l2=$(leg_json 2)
    for i in 1 2; do
        local l r="$TMP/$V.p$i.json" o="$TMP/$V.p$((3 - i)).json"
        if [ "$i" = 1 ]; then l=$l1; else l=$l2; fi
        sl_expect "$V leg $i relatch" "$(jq .counters.relatch <<< "$l")" 0
        sl_expect "$V leg $i rx_packets" "$(jq .counters.rx_packets <<< "$l")" \
            "$(sl_jq "$r" .sent.rtp)"
        sl_expect "$V leg $i rtcp_rx" "$(jq .counters.rtcp_rx <<< "$l")" "$(sl_jq "$r" .sent.rtcp)"
        sl_expect "$V leg $i tx_packets" "$(jq .counters.tx_packets <<< "$l")" \
            "$(sl_jq "$r" ".received.sources[] | select(.ssrc == $((1003 - i))) | .packets")"
        sl_expect "$V leg $i rtcp_tx" "$(jq .counters.rtcp_tx <<< "$l")" "$(sl_jq "$o" .sent.rtcp)"
    done
    sl_expect "$V leg 1 replay" "$(jq .counters.replay <<< "$l1")" "$dups"
    sl_expect "$V leg 2 replay" "$(jq .counters.replay <<< "$l2")" 0
    sl_expect "$V leg 1 auth_fail" "$(jq .counters.auth_fail <<< "$l1")" "$leg1_auth"
    sl_expect "$V leg 2 auth_fail" "$(jq .counters.auth_fail <<< "$l2")" "$leg2_auth"
    sl_dp_stop
}

run_variant v4w1 1 1 AES_CM_128_HMAC_SHA1_80
run_variant v4w2q2 2 2 AEAD_AES_128_GCM
sl_log "ok"
