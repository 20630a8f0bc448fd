#!/usr/bin/env bash
# Interoperability with an SRTP stack we did not write: ffmpeg in p1 sends H.264 over SRTP
# (AES_CM_128_HMAC_SHA1_80) through sluice-dp; ffmpeg in p2, a recv-only leg with its own
# key, decodes what the relay re-encrypted for it. Every frame p2 decodes is compared with a
# local decode of the same H.264 stream, bit for bit; at least 90% of the frames sent must
# arrive intact. The relay must see no SRTP authentication or replay failure.
#
# Case 1: two legs (ffmpeg -> relay -> ffmpeg).
# Case 2: three legs; sluice-peer (libsrtp2) in p3 receives the same stream with a third key
#         and must authenticate every packet and sender report.
#
# How ffmpeg 5.1 talks RTP/RTCP here:
#  - Sender: the srtp:// URL opens an RTP socket on `localport` and an RTCP socket on
#    localport+1 (it cannot share one socket); `rtcpport=40000` sends its SRTCP sender reports
#    to the relay's RTP port (RFC 5761 on the relay's side), from localport+1, one with the
#    first packet and then at most one every 5 s. Once RTP has latched leg 1 (to localport),
#    its RTCP from localport+1 does not move it (a report that comes first latches it until
#    the first RTP packet: at most one re-latch). Only RTCP is sent to that send-only
#    leg: in case 2, p3's receiver reports about its stream, which ffmpeg never reads.
#  - Receiver (SDP input): it binds the m= port, and m= port+1 for RTCP, on all addresses;
#    the c= address, with those ports, is where it would send RTCP. With c=198.18.0.1 and
#    m=40000 it listens on 198.18.0.12:40000, the leg's signalled remote, where the relay's
#    SRTP and SRTCP arrive (ffmpeg demultiplexes RTCP found on its RTP socket). It tries to
#    send a receiver report for about every 280 kB received, from :40001 to 198.18.0.1:40001,
#    but ffmpeg 5.1 opens that socket read-only, so each write fails (EIO, seen with
#    -loglevel trace) and nothing leaves p2. Were one sent, it would be plain RTCP (ffmpeg
#    does not protect it) from SSRC stream+1, which no leg owns: the relay would drop it as
#    unknown_ssrc, as it should. So unknown_ssrc is not checked here.
source "$(dirname "$0")/lib.sh"

SUITE=AES_CM_128_HMAC_SHA1_80
FPS=25
SECONDS_SENT=5
FRAMES=$((FPS * SECONDS_SENT))
MIN_PCT=90
FF_SSRC=710672385       # 0x2a5c0001: ffmpeg's -ssrc is a signed 32-bit option
FF_SEQ=65480            # the sequence number rolls over (ROC 0 -> 1) early in the stream
P1_PORT=5000
RX_PORT=40000
P3_SSRC=3003
RX_IDLE_S=3             # the receiving ffmpeg stops after about 4 times this without a packet

if ! command -v ffmpeg > /dev/null; then echo "ffmpeg: no ffmpeg installed: skipped"; exit 77; fi
# (Captured first: grep -q would end the pipe early, and pipefail would call that a failure.)
ff_encoders=$(ffmpeg -hide_banner -encoders 2>/dev/null || true)
ff_protocols=$(ffmpeg -hide_banner -protocols 2>/dev/null || true)
if ! grep -qw libx264 <<< "$ff_encoders" || ! grep -qw srtp <<< "$ff_protocols"; then
    echo "ffmpeg: this ffmpeg has no libx264 or no srtp protocol: skipped"
    exit 77
fi

sl_setup slm 3

# ff_fail MSG: the ffmpeg logs' tails (without the keys of the SDP the sender prints), then
# the relay's state (sl_fail).
ff_fail() {
    local f
    for f in "$TMP"/*.tx.log "$TMP"/*.rx.log; do
        [ -f "$f" ] || continue
        echo "--- $(basename "$f") (last 25 lines) ---" >&2
        tr '\r' '\n' < "$f" | grep -v -e "inline:" -e "^frame=" | tail -n 25 >&2
    done
    sl_fail "$@"
}

# ff_run NS LIMIT LOG ARGS...: ffmpeg in namespace NS, in the background, killed after LIMIT
# seconds (SIGINT, which makes ffmpeg finish its output; SIGKILL 5 s later). Sets FF_PID.
# The pid also goes to PEER_PIDS, so that lib.sh stops it if the test fails. --foreground:
# else timeout passes a signal on to its whole process group as well, and ffmpeg takes a
# second SIGINT as "exit at once", without finishing its output.
ff_run() {
    local ns=$1 limit=$2 log=$3
    shift 3
    ip netns exec "${PREFIX}-${ns}" timeout --foreground -s INT -k 5 "$limit" \
        ffmpeg -nostdin -hide_banner -loglevel info "$@" > "$log" 2>&1 &
    FF_PID=$!
    PEER_PIDS+=("$FF_PID")
}

# ff_forget PID: a process already waited for leaves PEER_PIDS.
ff_forget() {
    local keep=() p
    for p in "${PEER_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PEER_PIDS=("${keep[@]}")
}

# wait_udp NS PORT: until something in namespace NS has UDP port PORT bound (10 s at most).
wait_udp() {
    for _ in $(seq 1 100); do
        [ -n "$(ip netns exec "${PREFIX}-$1" ss -Hlun "sport = :$2")" ] && return 0
        sleep 0.1
    done
    ff_fail "nothing listens on UDP port $2 in $1"
}

leg_json() { sl_ctl --json dp leg show --id "$1"; }

# The H.264 stream, encoded once: the sender copies it to RTP, and a local decode of it is
# the reference every received frame must match. MPEG-TS keeps SPS/PPS in-band at every
# keyframe, so the receiver needs no sprop-parameter-sets in its SDP. Noise makes frames of
# several packets each (about 1.5 Mbit/s, 1000 packets: a lost or damaged packet spoils a
# frame).
ffmpeg -nostdin -hide_banner -loglevel error \
    -f lavfi -i "testsrc=size=320x240:rate=${FPS}:duration=${SECONDS_SENT}" -vf noise=alls=12:allf=t+u \
    -c:v libx264 -preset ultrafast -tune zerolatency -g "$FPS" -keyint_min "$FPS" \
    -pix_fmt yuv420p -f mpegts "$TMP/src.ts" > "$TMP/encode.log" 2>&1 ||
    { tail -n 20 "$TMP/encode.log" >&2; sl_fail "cannot encode the test stream"; }
ffmpeg -nostdin -hide_banner -loglevel error -i "$TMP/src.ts" -map 0:v -fps_mode passthrough \
    -f framemd5 "$TMP/ref.md5" > "$TMP/refdecode.log" 2>&1 ||
    { tail -n 20 "$TMP/refdecode.log" >&2; sl_fail "cannot decode the test stream"; }
sl_expect "frames in the test stream" "$(grep -vc '^#' "$TMP/ref.md5")" "$FRAMES"
sl_expect "distinct frames in the test stream" \
    "$(grep -v '^#' "$TMP/ref.md5" | awk -F', *' '{ print $6 }' | sort -u | wc -l)" "$FRAMES"

# run_case NAME WITH_P3
run_case() {
    local name=$1 with_p3=$2 i
    local who="ffmpeg p1 -> relay -> ffmpeg p2"
    [ "$with_p3" = 1 ] && who="$who, sluice-peer p3"
    sl_log "case $name: $who"
    sl_config "$TMP/$name.conf" 1 1
    sl_dp_start "$TMP/$name.conf"
    sl_warm p1 p2
    [ "$with_p3" = 1 ] && sl_warm p3

    # Every direction has its own key: p1 -> relay, relay -> p2, relay -> p3 (and p3 -> relay
    # for its receiver reports).
    for i in 1 2 3; do
        sl_key "$SUITE" > "$TMP/$name.in$i"
        sl_key "$SUITE" > "$TMP/$name.out$i"
    done
    sl_ctl dp leg add --id 1 --conf 9 --suite "$SUITE" --port 40000 --sendonly \
        --in-key "@$TMP/$name.in1" --out-key "@$TMP/$name.out1" --ssrc "$FF_SSRC" > /dev/null ||
        sl_fail "$name: leg 1 not added"
    # ffmpeg's receiver never sends SRTP: its leg's SSRC is a placeholder no one uses.
    sl_ctl dp leg add --id 2 --conf 9 --suite "$SUITE" --port 40000 --recvonly \
        --in-key "@$TMP/$name.in2" --out-key "@$TMP/$name.out2" --ssrc 2002 \
        --remote "198.18.0.12:$RX_PORT" > /dev/null || sl_fail "$name: leg 2 not added"
    if [ "$with_p3" = 1 ]; then
        sl_ctl dp leg add --id 3 --conf 9 --suite "$SUITE" --port 40000 --recvonly \
            --in-key "@$TMP/$name.in3" --out-key "@$TMP/$name.out3" --ssrc "$P3_SSRC" \
            --remote 198.18.0.13:5000 > /dev/null || sl_fail "$name: leg 3 not added"
    fi

    cat > "$TMP/$name.sdp" <<SDP
v=0
o=- 0 0 IN IP4 198.18.0.1
s=sluice ffmpeg interop
c=IN IP4 198.18.0.1
t=0 0
m=video $RX_PORT RTP/SAVP 96
a=rtpmap:96 H264/90000
a=fmtp:96 packetization-mode=1
a=crypto:1 $SUITE $(head -n 1 "$TMP/$name.out2")
SDP

    # Receivers first, each listening before anything is sent. The SDP input times out when
    # no packet came for -listen_timeout seconds (the first one too); ffmpeg then flushes its
    # decoder, and after a few such timeouts it ends. -fps_mode passthrough: every decoded
    # frame is written once, none duplicated or dropped to keep a constant rate.
    ff_run p2 60 "$TMP/$name.rx.log" -protocol_whitelist file,udp,rtp,srtp \
        -listen_timeout "$RX_IDLE_S" -i "$TMP/$name.sdp" \
        -map 0:v -fps_mode passthrough -f framemd5 -y "$TMP/$name.rx.md5"
    local rx_pid=$FF_PID p3_pid=
    wait_udp p2 "$RX_PORT"
    if [ "$with_p3" = 1 ]; then
        sl_peer p3 run --local 198.18.0.13:5000 --remote 198.18.0.1:40000 --suite "$SUITE" \
            --send-key "@$TMP/$name.in3" --recv-key "@$TMP/$name.out3" --ssrc "$P3_SSRC" \
            --recv-only --count $(((SECONDS_SENT + 3) * 10)) --rate 10 --linger-ms 0 \
            --rtcp-interval-ms 500 --name p3 --report "$TMP/$name.p3.json"
        p3_pid=${PEER_PIDS[-1]}
        wait_udp p3 5000
    fi

    # The SRTP master key for ffmpeg is the base64 of key||salt, without "inline:". ffmpeg
    # takes it only on its command line (a test key, visible in the process list).
    local key1
    key1=$(head -n 1 "$TMP/$name.in1")
    key1=${key1#inline:}
    ff_run p1 $((SECONDS_SENT + 25)) "$TMP/$name.tx.log" -re -i "$TMP/src.ts" -map 0:v -c copy \
        -f rtp -payload_type 96 -ssrc "$FF_SSRC" -seq "$FF_SEQ" \
        -srtp_out_suite "$SUITE" -srtp_out_params "$key1" \
        "srtp://198.18.0.1:40000?localport=$P1_PORT&rtcpport=40000&pkt_size=1200"
    local tx_pid=$FF_PID rc=0
    wait "$tx_pid" || rc=$?
    ff_forget "$tx_pid"
    [ "$rc" -eq 0 ] || ff_fail "$name: the sending ffmpeg exited with $rc"

    # The receiver ends by itself, a few RX_IDLE_S after the last packet.
    rc=0
    wait "$rx_pid" || rc=$?
    ff_forget "$rx_pid"
    # ffmpeg logs each packet that fails authentication as "HMAC mismatch".
    if grep -q "HMAC mismatch" "$TMP/$name.rx.log"; then
        ff_fail "$name: the receiving ffmpeg could not authenticate packets from the relay"
    fi
    [ "$rc" -eq 0 ] || ff_fail "$name: the receiving ffmpeg exited with $rc"
    [ -f "$TMP/$name.rx.md5" ] || ff_fail "$name: the receiving ffmpeg wrote no frames"

    # Frames decoded at p2, and how many of them are bit-exact frames of the stream sent.
    local decoded intact
    decoded=$(grep -vc '^#' "$TMP/$name.rx.md5" || true)
    intact=$(awk -F', *' 'NR == FNR { if ($0 !~ /^#/) ref[$6] = 1; next }
        $0 !~ /^#/ && ($6 in ref) && !seen[$6]++ { n++ } END { print n + 0 }' \
        "$TMP/ref.md5" "$TMP/$name.rx.md5")
    sl_log "$name: $FRAMES frames sent, $decoded decoded by ffmpeg in p2, $intact intact"
    [ $((intact * 100)) -ge $((FRAMES * MIN_PCT)) ] ||
        ff_fail "$name: only $intact of $FRAMES frames arrived intact (at least $MIN_PCT% expected)"

    # The relay: no authentication or replay failure; leg 1's packets all went to leg 2.
    local l1 l2 rx tx
    l1=$(leg_json 1)
    l2=$(leg_json 2)
    rx=$(jq -r .counters.rx_packets <<< "$l1")
    tx=$(jq -r .counters.tx_packets <<< "$l2")
    sl_log "$name: relay: leg 1 received $rx RTP and $(jq -r .counters.rtcp_rx <<< "$l1") RTCP" \
        "(re-latched $(jq -r .counters.relatch <<< "$l1") times), leg 2 was sent $tx RTP and" \
        "$(jq -r .counters.rtcp_tx <<< "$l2") RTCP"
    [ "$rx" -ge "$FRAMES" ] || ff_fail "$name: leg 1 received $rx packets for $FRAMES frames"
    sl_expect "$name: packets sent to leg 2" "$tx" "$rx"
    sl_expect "$name: leg 1 latched to ffmpeg's RTP port" "$(jq -r .latched <<< "$l1")" \
        "198.18.0.11:5000"
    [ "$(jq -r .counters.relatch <<< "$l1")" -le 1 ] ||
        ff_fail "$name: leg 1 followed ffmpeg's RTCP port back and forth"
    [ "$(jq -r .counters.rtcp_rx <<< "$l1")" -gt 0 ] ||
        ff_fail "$name: no sender report from ffmpeg reached the relay"
    [ "$(jq -r .counters.rtcp_tx <<< "$l2")" -gt 0 ] ||
        ff_fail "$name: no sender report was relayed to leg 2"
    for i in 1 2; do
        sl_expect "$name: leg $i auth failures" "$(leg_json "$i" | jq -r .counters.auth_fail)" 0
        sl_expect "$name: leg $i replays" "$(leg_json "$i" | jq -r .counters.replay)" 0
    done
    sl_drops_zero srtp_auth_fail srtp_replay srtcp_auth_fail srtcp_replay srtcp_short srtcp_error \
        leg_gone no_remote no_route no_neighbour no_mbuf ring_full tx_full too_big \
        ssrc_not_allowed leg_recvonly

    if [ "$with_p3" = 1 ]; then
        rc=0
        wait "$p3_pid" || rc=$?
        ff_forget "$p3_pid"
        [ "$rc" -eq 0 ] || ff_fail "$name: sluice-peer p3 exited with $rc"
        local r="$TMP/$name.p3.json" src=".received.sources[] | select(.ssrc == $FF_SSRC)"
        sl_expect "$name: p3 unprotect failures" \
            "$(sl_jq "$r" '.received.unprotect_fail | .auth + .replay + .other')" 0
        sl_expect "$name: p3 foreign senders" "$(sl_jq "$r" .received.foreign)" 0
        sl_expect "$name: p3 RTP packets" "$(sl_jq "$r" .received.rtp)" "$rx"
        sl_expect "$name: sent to leg 3" "$(leg_json 3 | jq -r .counters.tx_packets)" "$rx"
        # sluice-peer checks its own payload format; H.264 is not it, so every packet of
        # ffmpeg's stream counts as "corrupt" there. What matters is that libsrtp2
        # authenticated and decrypted all of them.
        sl_expect "$name: p3 packets of ffmpeg's stream" "$(sl_jq "$r" "$src | .corrupt")" "$rx"
        [ "$(sl_jq "$r" ".received.rtcp_from[] | select(.ssrc == $FF_SSRC) | .sr")" -gt 0 ] ||
            ff_fail "$name: p3 got no sender report from ffmpeg"
    fi
    sl_dp_stop
}

run_case two 0
run_case three 1
sl_log "ok"
