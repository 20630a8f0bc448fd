#!/usr/bin/env bash
# The operator's interface against the real dataplane: `sluice-dp --check-config` and a
# refused start-up, every `sluicectl dp` command in human and --json form, the exit codes
# that `sluicectl --help` documents, keys from the command line, @FILE and standard input
# (checked end to end by SRTP through the relay, and never printed or logged), the control
# socket's modes and peer check, paging of a leg list over several replies, and shutdown on
# SIGTERM and SIGINT.
#
# One participant namespace: its three sluice-peer processes are three legs.
source "$(dirname "$0")/lib.sh"

sl_setup slc 1
# nobody must reach sockets below $TMP (never list it); keys live in a private directory
chmod 0711 "$TMP"
KEYS=$TMP/keys
mkdir -m 0700 "$KEYS"
SOCK=$TMP/dp.sock
ALL=$TMP/ctl-all.out          # everything sluicectl printed, searched for keys at the end
: > "$ALL"
DROP_H=$SRC/dataplane/dp_drop.h

# ---- helpers ----

# ctl NAME ARGS...: runs sluicectl on $SOCK; stdout in $TMP/NAME.out, stderr in
# $TMP/NAME.err, exit status in RC. Standard input is the caller's.
ctl() {
    local name=$1; shift
    RC=0
    "$CTL" --socket "$SOCK" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" || RC=$?
    cat "$TMP/$name.out" "$TMP/$name.err" >> "$ALL"
}

# ctl_ok NAME ARGS...: as ctl, and it must exit 0 with nothing on stderr.
ctl_ok() {
    local name=$1
    ctl "$@"
    [ "$RC" -eq 0 ] || sl_fail "$name: sluicectl ${*:2} exited $RC: $(cat "$TMP/$name.err")"
    [ ! -s "$TMP/$name.err" ] || sl_fail "$name: unexpected stderr: $(cat "$TMP/$name.err")"
}

# ctl_err NAME EXIT CODE ARGS...: must exit EXIT; with --json (added here) stdout is exactly
# one error object with that code and a message, and the message also goes to stderr.
ctl_err() {
    local name=$1 want=$2 code=$3; shift 3
    ctl "$name" "$@"
    [ "$RC" -eq "$want" ] || sl_fail "$name: sluicectl $* exited $RC, expected $want: $(cat "$TMP/$name.err")"
    [ -s "$TMP/$name.err" ] || sl_fail "$name: no message on stderr"
    [ ! -s "$TMP/$name.out" ] || sl_fail "$name: output on stdout: $(cat "$TMP/$name.out")"
    ctl "$name.json" --json "$@"
    [ "$RC" -eq "$want" ] || sl_fail "$name (--json): exited $RC, expected $want"
    [ "$(jq -s length "$TMP/$name.json.out")" = 1 ] || sl_fail "$name (--json): not one JSON document"
    jq -e --arg c "$code" '(keys == ["error"]) and (.error.code == $c) and
        (.error.message | type == "string" and length > 0)' "$TMP/$name.json.out" > /dev/null ||
        sl_fail "$name (--json): expected error code $code, got $(cat "$TMP/$name.json.out")"
    grep -qF -- "$(jq -r .error.message "$TMP/$name.json.out")" "$TMP/$name.json.err" ||
        sl_fail "$name (--json): the message is not on stderr"
}

# json_check NAME FILTER: FILTER must hold for $TMP/NAME.out.
json_check() {
    jq -e "$2" "$TMP/$1.out" > /dev/null || sl_fail "$1: $2 does not hold for $(head -c 600 "$TMP/$1.out")"
}

# out_has NAME REGEX: a line of $TMP/NAME.out matches REGEX.
out_has() {
    grep -qE "$2" "$TMP/$1.out" || sl_fail "$1: no line matches /$2/ in: $(head -c 600 "$TMP/$1.out")"
}

# err_has NAME TEXT: stderr contains TEXT.
err_has() {
    grep -qF -- "$2" "$TMP/$1.err" || sl_fail "$1: stderr lacks \"$2\": $(cat "$TMP/$1.err")"
}

# dp_start_at SOCKET CONF: starts sluice-dp on a socket other than $SOCK.
dp_start_at() {
    "$DP" -c "$2" > "$TMP/dp.log" 2>&1 &
    DP_PID=$!
    for _ in $(seq 1 100); do
        kill -0 "$DP_PID" 2>/dev/null || { DP_PID=; sl_fail "sluice-dp exited during start-up"; }
        if grep -q "ready:" "$TMP/dp.log" && "$CTL" --socket "$1" dp health > /dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    sl_fail "sluice-dp not ready after 20 s"
}

# config_with_control FILE CONTROL-GROUP: the test relay's configuration, its control group
# replaced.
config_with_control() {
    sl_config "$1" 1 1
    grep -q '^control = ' "$1" || sl_fail "sl_config wrote no control group"
    sed -i "s|^control = .*|$2|" "$1"
}

# mode PATH: octal permission bits.
mode() { stat -c %a "$1"; }

# as_uid UID ARGS...: sluicectl as another user (no groups).
as_uid() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$CTL" "$@"; }

# ---- --check-config and a refused start-up ----

sl_log "configuration check"
CONF=$SRC/conf/sluice-dp.conf
"$DP" --check-config "$CONF" > "$TMP/check.out" 2>&1 || sl_fail "conf/sluice-dp.conf invalid: $(cat "$TMP/check.out")"
grep -q "^$CONF: valid" "$TMP/check.out" || sl_fail "check-config said: $(cat "$TMP/check.out")"
# the systemd unit's form (as sluice-cp's): -c FILE --check-config
"$DP" -c "$CONF" --check-config > "$TMP/check2.out" 2>&1 || sl_fail "-c FILE --check-config: $(cat "$TMP/check2.out")"
grep -q "^$CONF: valid" "$TMP/check2.out" || sl_fail "-c FILE --check-config said: $(cat "$TMP/check2.out")"
unit_pre=$(sed -n 's|^ExecStartPre=/usr/local/bin/sluice-dp ||p' "$SRC/conf/sluice-dp.service")
sl_expect "sluice-dp.service checks its configuration" "$unit_pre" "-c /etc/sluice/sluice-dp.conf --check-config"

# line_of FILE REGEX: number of the first line matching REGEX.
line_of() { { grep -nP "$2" "$1" || true; } | head -n 1 | cut -d: -f1; }

# broken NAME SED-SCRIPT LINE-REGEX SETTING: a broken copy of the example; its error must
# name the file, the line that LINE-REGEX finds in the broken copy, and SETTING.
broken() {
    local name=$1 script=$2 re=$3 setting=$4 f=$TMP/broken-$1.conf line rc=0
    sed "$script" "$CONF" > "$f"
    cmp -s "$f" "$CONF" && sl_fail "broken $name: the edit changed nothing"
    line=$(line_of "$f" "$re")
    [ -n "$line" ] || sl_fail "broken $name: no line matches $re"
    "$DP" --check-config "$f" > "$TMP/broken-$name.out" 2> "$TMP/broken-$name.err" || rc=$?
    [ "$rc" -eq 1 ] || sl_fail "check-config of broken $name exited $rc, expected 1"
    [ ! -s "$TMP/broken-$name.out" ] || sl_fail "broken $name: stdout: $(cat "$TMP/broken-$name.out")"
    grep -qF "$f:$line: $setting" "$TMP/broken-$name.err" ||
        sl_fail "broken $name: expected \"$f:$line: $setting\", got: $(cat "$TMP/broken-$name.err")"
}
broken unknown 's/^\(\tburst = 32;\)$/\1\n\tburst_size = 32;/' '^\tburst_size = ' 'workers.burst_size: unknown setting'
broken range 's/^\tburst = 32;$/\tburst = 257;/' '^\tburst = 257;' 'workers.burst = 257: must be'
broken range_low 's/^\tmemory_mb = 512;$/\tmemory_mb = 63;/' '^\tmemory_mb = 63;' 'eal.memory_mb = 63: must be'
broken address 's|^\t\tipv4 = "198.18.0.1/24";|\t\tipv4 = "198.18.0.256/24";|' '^\t\tipv4 = "198.18.0.256' 'ports[0].ipv4 = "198.18.0.256/24": must be'
broken prefix 's|^\t\tipv6 = "2001:db8:5c::1/64";|\t\tipv6 = "2001:db8:5c::1/129";|' '^\t\tipv6 = ' 'ports[0].ipv6 = "2001:db8:5c::1/129": must be'
broken lcores_syntax 's/^\tlcores = "0-1";/\tlcores = "0-1,x";/' '^\tlcores = ' 'eal.lcores = "0-1,x": unexpected'
broken lcores_twice 's/^\tlcores = "0-1";/\tlcores = "0,1,0";/' '^\tlcores = ' 'eal.lcores = "0,1,0": lcore 0 is listed twice'
broken lcores_one 's/^\tlcores = "0-1";/\tlcores = "0";/' '^\tlcores = ' 'eal.lcores = "0": needs at least 2'
broken wrong_type 's/^\tburst = 32;$/\tburst = "32";/' '^\tburst = "32";' 'workers.burst: must be an integer in 1..256 (packets), not a string'

# The relay itself refuses the same file with the same explanation, before EAL and before
# any socket exists.
sl_config "$TMP/run-broken.conf" 1 1
sed -i 's/burst = 32;/burst = 0;/' "$TMP/run-broken.conf"
line=$(line_of "$TMP/run-broken.conf" 'burst = 0;')
rc=0
"$DP" --check-config "$TMP/run-broken.conf" > /dev/null 2> "$TMP/run-broken.check" || rc=$?
sl_expect "check-config of the broken run file" "$rc" 1
rc=0
timeout 20 "$DP" -c "$TMP/run-broken.conf" > "$TMP/run-broken.out" 2> "$TMP/run-broken.err" || rc=$?
sl_expect "sluice-dp exit status with a broken file" "$rc" 1
grep -qF "$TMP/run-broken.conf:$line: workers.burst = 0" "$TMP/run-broken.err" ||
    sl_fail "sluice-dp with a broken file said: $(cat "$TMP/run-broken.err")"
cmp -s "$TMP/run-broken.err" "$TMP/run-broken.check" ||
    sl_fail "sluice-dp and --check-config explain the broken file differently"
grep -q "EAL" "$TMP/run-broken.out" "$TMP/run-broken.err" && sl_fail "EAL started with a broken file"
[ ! -e "$SOCK" ] || sl_fail "a control socket exists after a refused start-up"

# A state file that is not one (state.file): start-up refused with the reason, the file kept.
sl_config "$TMP/run-badstate.conf" 1 1
sed -i "s|^state = .*|state = { file = \"$TMP/junk-state\"; };|" "$TMP/run-badstate.conf"
head -c 8192 /dev/urandom > "$TMP/junk-state"
chmod 600 "$TMP/junk-state"
cp "$TMP/junk-state" "$TMP/junk-state.orig"
rc=0
timeout 20 "$DP" -c "$TMP/run-badstate.conf" > "$TMP/run-badstate.out" 2>&1 || rc=$?
sl_expect "sluice-dp exit status with a foreign state file" "$rc" 2
grep -qF "state: $TMP/junk-state: not a sluice-dp state file" "$TMP/run-badstate.out" ||
    sl_fail "sluice-dp with a foreign state file said: $(tail -3 "$TMP/run-badstate.out")"
cmp -s "$TMP/junk-state" "$TMP/junk-state.orig" || sl_fail "the foreign state file was changed"
[ ! -e "$SOCK" ] || sl_fail "a control socket exists after a refused state file"

# ---- no dataplane ----

sl_log "no dataplane"
ctl_err noconn 2 connect dp health
err_has noconn "$SOCK"
ctl_err noconn_list 2 connect dp leg list
# keys are checked before any connection: a wrong length is 1 even without a dataplane
sl_key AEAD_AES_128_GCM > "$KEYS/early"
ctl_err noconn_keylen 1 input dp leg add --id 1 --conf 1 --suite AES_CM_128_HMAC_SHA1_80 \
    --port 40000 --in-key "@$KEYS/early" --out-key "@$KEYS/early" --ssrc 1
err_has noconn_keylen "key+salt is 28 bytes, AES_CM_128_HMAC_SHA1_80 needs 30"

# ---- the relay ----

sl_log "relay up"
sl_config "$TMP/main.conf" 1 1
sl_dp_start "$TMP/main.conf"
sl_expect "socket mode (root only)" "$(mode "$SOCK")" 600
[ -S "$SOCK" ] || sl_fail "$SOCK is not a socket"
sl_expect "socket owner" "$(stat -c %u "$SOCK")" 0
# nobody cannot even connect: the socket file is root's
rc=0
as_uid 65534 --socket "$SOCK" --json dp health > "$TMP/nobody.out" 2> "$TMP/nobody.err" || rc=$?
sl_expect "nobody on a root-only socket: exit" "$rc" 2
sl_expect "nobody on a root-only socket: code" "$(jq -r .error.code "$TMP/nobody.out")" connect

# health
ctl_ok health dp health
out_has health '^version +[0-9]+\.[0-9]+\.[0-9]+$'
out_has health '^srtp backend +.+'
out_has health '^uptime +[0-9]+d [0-9]{2}:[0-9]{2}:[0-9]{2} \([0-9]+ s\)$'
out_has health '^workers +1$'
out_has health '^legs +0$'
out_has health '^conferences +0$'
out_has health '^ports up +[01] of 1$'
ctl_ok health_json --json dp health
json_check health_json '(keys | sort) == (["version","srtp_backend","uptime_s","workers","legs",
    "conferences","ports_up","ports"] | sort)'
json_check health_json '(.version | type == "string" and test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))
    and (.srtp_backend | type == "string" and length > 0)
    and (.uptime_s | type == "number" and . >= 0 and floor == .)
    and .workers == 1 and .legs == 0 and .conferences == 0 and .ports == 1
    and (.ports_up | type == "number" and (. == 0 or . == 1))'
sl_expect "health --json is pretty-printed over several lines" "$(( $(wc -l < "$TMP/health_json.out") > 1 ))" 1

# ---- keys ----

sl_log "legs, keys in three forms"
S=AES_CM_128_HMAC_SHA1_80
SECRETS=()                     # every key written on a command line or into a file
newkey() { # newkey FILE SUITE
    sl_key "$2" > "$1"
    SECRETS+=("$(sed 's/^inline://' "$1")")
}
for i in 1 2 3; do
    newkey "$KEYS/in$i" "$S"
    newkey "$KEYS/out$i" "$S"
done
# leg 1: inline keys on the command line
ctl_ok add1 dp leg add --id 1 --conf 7 --suite "$S" --port 40000 \
    --in-key "$(cat "$KEYS/in1")" --out-key "$(cat "$KEYS/out1")" --ssrc 1001 --remote 198.18.0.11:5001
sl_expect "leg add output" "$(cat "$TMP/add1.out")" "leg 1 added"
# leg 2: @FILE
ctl_ok add2 --json dp leg add --id 2 --conf 7 --suite "$S" --port 40000 \
    --in-key "@$KEYS/in2" --out-key "@$KEYS/out2" --ssrc 0x3ea --remote 198.18.0.11:5002
json_check add2 '. == {"ok": true, "id": 2}'
# leg 3: both keys from standard input, --in-key's line first
cat "$KEYS/in3" "$KEYS/out3" | ctl_ok add3 dp leg add --id 3 --conf 7 --suite "$S" --port 40000 \
    --in-key - --out-key - --ssrc 1003 --remote 198.18.0.11:5003
sl_expect "leg add (stdin keys) output" "$(cat "$TMP/add3.out")" "leg 3 added"

# show, human and JSON
ctl_ok show2 dp leg show --id 2
out_has show2 '^leg +2$'
out_has show2 '^conference +7$'
out_has show2 "^suite +$S\$"
out_has show2 '^media port +40000$'
out_has show2 '^ssrcs +0x000003ea$'
out_has show2 '^direction +sendrecv$'
out_has show2 '^remote +198\.18\.0\.11:5002$'
out_has show2 '^latched +-$'
out_has show2 '^owner lcore +1$'   # the worker's lcore (1), not its index (0)
out_has show2 '^rx_packets +0$'
ctl_ok show2_json --json dp leg show --id 2
json_check show2_json '.id == 2 and .conf == 7 and .suite == "AES_CM_128_HMAC_SHA1_80"
    and .media_port == 40000 and .ssrcs == [1002] and .direction == "sendrecv"
    and .remote == "198.18.0.11:5002" and .latched == null
    and .owner_lcore == 1 and (.counters | type == "object")
    and (.counters | length > 0) and ([.counters[] | type == "number"] | all)'
json_check show2_json '[paths | map(tostring) | join(".") | test("key"; "i")] | any | not'

# The keys are right: three participants (one per leg) exchange SRTP through the relay.
sl_warm p1
for i in 1 2 3; do
    sl_peer p1 run --local "198.18.0.11:500$i" --remote 198.18.0.1:40000 --suite "$S" \
        --send-key "@$KEYS/in$i" --recv-key "@$KEYS/out$i" --ssrc $((1000 + i)) \
        --count 50 --rate 50 --start-delay-ms 300 --linger-ms 600 --report "$TMP/peer$i.json"
done
sl_peers_wait
for i in 1 2 3; do
    r=$TMP/peer$i.json
    sl_expect "peer $i unprotect failures" "$(sl_jq "$r" '.received.unprotect_fail | .auth + .replay + .other')" 0
    for j in 1 2 3; do
        [ "$i" = "$j" ] && continue
        sl_expect "leg $i <- leg $j" "$(sl_jq "$r" ".received.sources[] | select(.ssrc == $((1000 + j))) | .packets")" 50
    done
done
sl_drops_zero srtp_auth_fail srtp_replay unknown_ssrc
ctl_ok show3_json --json dp leg show --id 3
json_check show3_json '.latched == "198.18.0.11:5003" and .counters.rx_packets == 50'

# ---- list, update, errors ----

ctl_ok list dp leg list
sl_expect "leg list lines" "$(wc -l < "$TMP/list.out")" 4
out_has list '^ *ID +CONF +SUITE +PORT +SSRCS +OWNER +LATCHED +RX_PKTS +TX_PKTS$'
out_has list "^ +2 +7 +$S +40000 +0x000003ea +1 +198\\.18\\.0\\.11:5002 +50 +[0-9]+$"
ctl_ok list_json --json dp leg list
json_check list_json '(keys == ["legs"]) and ([.legs[].id] == [1,2,3])'

sl_log "update"
ctl_ok upd1 dp leg update --id 1 --ssrc 2001 --ssrc 2002 --sendonly
sl_expect "leg update output" "$(cat "$TMP/upd1.out")" "leg 1 updated"
ctl_ok upd1_show --json dp leg show --id 1
json_check upd1_show '.ssrcs == [2001, 2002] and .direction == "sendonly" and .conf == 7'
G=AEAD_AES_128_GCM
newkey "$KEYS/gin" "$G"
newkey "$KEYS/gout" "$G"
cat "$KEYS/gin" | ctl_ok upd1_suite --json dp leg update --id 1 --suite "$G" --in-key - --out-key "@$KEYS/gout"
json_check upd1_suite '. == {"ok": true, "id": 1}'
ctl_ok upd1_show2 --json dp leg show --id 1
json_check upd1_show2 '.suite == "AEAD_AES_128_GCM"'

sl_log "errors and exit codes"
# usage (1)
ctl_err u_missing 1 usage dp leg add --id 9 --conf 7 --suite "$S" --port 40000
err_has u_missing "--in-key is required"
ctl_err u_unknown_opt 1 usage dp leg list --colour
ctl_err u_unknown_cmd 1 usage dp frobnicate
ctl_err u_incomplete 1 usage dp leg
ctl_err u_operand 1 usage dp health extra
ctl_err u_id 1 usage dp leg show --id 0
ctl_err u_suite 1 usage dp leg add --id 9 --conf 7 --suite AES_CM_256 --port 40000 \
    --in-key "@$KEYS/in1" --out-key "@$KEYS/out1" --ssrc 9
ctl_err u_timeout 1 usage --timeout 0 dp health
ctl_err u_count 1 usage dp stats --count 2
ctl_err u_twice 1 usage dp leg add --id 9 --id 10 --conf 7 --suite "$S" --port 40000 \
    --in-key "@$KEYS/in1" --out-key "@$KEYS/out1" --ssrc 9
ctl_err u_suite_nokeys 1 usage dp leg update --id 2 --suite "$G"
err_has u_suite_nokeys "needs --in-key and --out-key"
# no command at all: usage on stderr
ctl_err u_none 1 usage
grep -q '^Usage: sluicectl' "$TMP/u_none.err" || sl_fail "no command: no usage on stderr"
# keys refused locally (1, "input"), before any request
G256=AEAD_AES_256_GCM
newkey "$KEYS/wrong" "$G256"
ctl_err k_len 1 input dp leg add --id 9 --conf 7 --suite "$S" --port 40000 \
    --in-key "$(cat "$KEYS/wrong")" --out-key "@$KEYS/out1" --ssrc 9
err_has k_len "needs 30"
ctl_err k_mki 1 input dp leg add --id 9 --conf 7 --suite "$S" --port 40000 \
    --in-key "$(cat "$KEYS/in1")|2^31|1:4" --out-key "@$KEYS/out1" --ssrc 9
err_has k_mki "MKI"
ctl_err k_nofile 1 input dp leg add --id 9 --conf 7 --suite "$S" --port 40000 \
    --in-key "@$KEYS/absent" --out-key "@$KEYS/out1" --ssrc 9
ctl_err k_nostdin 1 input dp leg add --id 9 --conf 7 --suite "$S" --port 40000 \
    --in-key - --out-key - --ssrc 9 < /dev/null
ctl_err k_base64 1 input dp leg add --id 9 --conf 7 --suite "$S" --port 40000 \
    --in-key 'inline:not*base64' --out-key "@$KEYS/out1" --ssrc 9
# refusals of the dataplane (10 + status)
ctl_err r_exists 15 exists dp leg add --id 2 --conf 7 --suite "$S" --port 40000 \
    --in-key "@$KEYS/in2" --out-key "@$KEYS/out2" --ssrc 9
ctl_err r_notfound_del 16 not_found dp leg del --id 99
ctl_err r_notfound_show 16 not_found dp leg show --id 99
ctl_err r_notfound_upd 16 not_found dp leg update --id 99 --sendonly
ctl_err r_notfound_conf 16 not_found dp conf del --id 99
ctl_err r_ssrc 18 ssrc_in_use dp leg add --id 9 --conf 7 --suite "$S" --port 40000 \
    --in-key "@$KEYS/in2" --out-key "@$KEYS/out2" --ssrc 1003
ctl_err r_ssrc_upd 18 ssrc_in_use dp leg update --id 3 --ssrc 0x3ea
ctl_err r_port 20 bad_port dp leg add --id 9 --conf 7 --suite "$S" --port 40002 \
    --in-key "@$KEYS/in2" --out-key "@$KEYS/out2" --ssrc 9
ctl_err r_onekey 14 invalid dp leg update --id 2 --in-key "@$KEYS/in2"
# a key of the length of another suite: only the dataplane knows the leg's suite
ctl_err r_badkey 19 bad_key dp leg update --id 2 --in-key "@$KEYS/gin" --out-key "@$KEYS/gout"
# nothing of the refused requests changed a leg
ctl_ok after_err --json dp leg list
json_check after_err '[.legs[] | [.id, .suite, .ssrcs]] == [[1, "AEAD_AES_128_GCM", [2001, 2002]],
    [2, "AES_CM_128_HMAC_SHA1_80", [1002]], [3, "AES_CM_128_HMAC_SHA1_80", [1003]]]'

# ---- stats ----

sl_log "stats"
mapfile -t DROPS < <(sed -n 's/^[[:space:]]*X([A-Z0-9_]*, "\([a-z0-9_]*\)").*/\1/p' "$DROP_H" | grep -vx none | sort)
[ "${#DROPS[@]}" -gt 30 ] || sl_fail "read only ${#DROPS[@]} drop reasons from $DROP_H"
ctl_ok stats_json --json dp stats
json_check stats_json '(keys | sort) == ["drops", "lcores", "ports"]'
json_check stats_json '(.ports | length == 1) and .ports[0].name == "lan0"
    and (.ports[0].index | type == "number") and (.ports[0].link_up | type == "boolean")
    and (.ports[0].counters | has("rx_packets") and has("tx_packets"))
    and ([.ports[0].counters[] | type == "number"] | all)
    and .ports[0].counters.rx_packets > 0'
json_check stats_json '([.lcores[].name] == ["worker 0", "control"])
    and ([.lcores[] | (.index | type == "number") and (.counters | type == "object")
          and (.counters.drops | type == "number")] | all)'
json_check stats_json '[.drops[] | type == "number" and . >= 0 and floor == .] | all'
sl_expect "drop reasons (the names of $DROP_H)" "$(jq -r '.drops | keys[]' "$TMP/stats_json.out" | sort | tr '\n' ' ')" \
    "$(printf '%s ' "${DROPS[@]}")"
ctl_ok stats dp stats
out_has stats '^PORT +INDEX +LINK +rx_packets'
out_has stats '^lan0 +[0-9]+ +(up|down) +[0-9]+'
out_has stats '^LCORE +INDEX'
out_has stats '^worker 0 +1 '
out_has stats '^control +0 '
grep -qE '^(no drops|DROP REASON +PACKETS)$' "$TMP/stats.out" || sl_fail "stats: no drop section"
ctl_ok watch_json --json dp stats --watch 1 --count 2
sl_expect "stats --watch --json lines" "$(wc -l < "$TMP/watch_json.out")" 2
while read -r l; do jq -e . <<< "$l" > /dev/null || sl_fail "watch: line is not JSON: $l"; done < "$TMP/watch_json.out"
jq -e -s '(.[0].interval_s == null) and (.[0] | has("drop_rates") | not)
    and (.[1].interval_s | type == "number" and . > 0.5 and . < 5)
    and (.[1].drop_rates | keys | length) == (.[1].drops | keys | length)
    and (.[1].ports[0].rates | type == "object")
    and (.[1].time > .[0].time)' "$TMP/watch_json.out" > /dev/null ||
    sl_fail "watch: samples malformed: $(cat "$TMP/watch_json.out")"
ctl_ok watch dp stats --watch 1 --count 2
sl_expect "stats --watch: samples" "$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2}  ' "$TMP/watch.out")" 2
out_has watch '^[0-9:]{8}  totals$'
out_has watch '^[0-9:]{8}  per second over the last [0-9.]+ s$'

# ---- delete ----

ctl_ok del3 dp leg del --id 3
sl_expect "leg del output" "$(cat "$TMP/del3.out")" "leg 3 deleted"
ctl_ok del2 --json dp leg del --id 2
json_check del2 '. == {"ok": true, "id": 2}'
ctl_ok conf7 dp conf del --id 7
sl_expect "conf del output" "$(cat "$TMP/conf7.out")" "conference 7 deleted, 1 leg removed"
ctl_ok empty dp leg list
sl_expect "empty list: header only" "$(wc -l < "$TMP/empty.out")" 1
ctl_ok empty_json --json dp leg list
json_check empty_json '. == {"legs": []}'

# ---- paging: 300 legs in two conferences ----

sl_log "paging: 300 legs"
# 172 legs in conference 100 and 128 (one full page) in conference 200
start=$SECONDS
for i in $(seq 1 300); do
    conf=100
    [ "$i" -gt 172 ] && conf=200
    "$CTL" --socket "$SOCK" dp leg add --id $((5000 + i)) --conf "$conf" --suite "$S" \
        --port $((40000 + i % 2)) --in-key "@$KEYS/in2" --out-key "@$KEYS/out2" --ssrc "$i" \
        > /dev/null || sl_fail "paging: leg $i not added"
done
sl_log "300 legs added in $((SECONDS - start)) s"
ctl_ok health300 --json dp health
json_check health300 '.legs == 300 and .conferences == 2'
ctl_ok list300 --json dp leg list
json_check list300 '[.legs[].id] == [range(5001; 5301)]'
ctl_ok list300h dp leg list
sl_expect "human list of 300: lines" "$(wc -l < "$TMP/list300h.out")" 301
sl_expect "human list of 300: distinct ids" "$(tail -n +2 "$TMP/list300h.out" | awk '{print $1}' | sort -u | wc -l)" 300
ctl_ok list100 --json dp leg list --conf 100
json_check list100 '([.legs[].id] == [range(5001; 5173)]) and ([.legs[].conf] | unique == [100])'
ctl_ok list200 --json dp leg list --conf 200
json_check list200 '([.legs[].id] == [range(5173; 5301)]) and ([.legs[].conf] | unique == [200])'
ctl_ok list_none --json dp leg list --conf 300
json_check list_none '. == {"legs": []}'
ctl_ok del100 --json dp conf del --id 100
json_check del100 '. == {"ok": true, "conf": 100, "legs_removed": 172}'
ctl_ok del200 dp conf del --id 200
sl_expect "conf del 200" "$(cat "$TMP/del200.out")" "conference 200 deleted, 128 legs removed"
ctl_ok health0 --json dp health
json_check health0 '.legs == 0 and .conferences == 0'

# ---- secrets ----

sl_log "keys neither logged nor printed"
[ "$(grep -c 'leg [0-9]* added' "$TMP/dp.log")" -ge 300 ] || sl_fail "the relay did not log the legs it added"
cp "$TMP/dp.log" "$TMP/dp-main.log"
for k in "${SECRETS[@]}"; do
    b64=${k%%|*}
    hex=$(base64 -d <<< "$b64" | od -An -tx1 | tr -d ' \n')
    for f in "$TMP/dp-main.log" "$ALL"; do
        ! grep -qF "$b64" "$f" || sl_fail "a key's base64 appears in $(basename "$f")"
        ! grep -qiF "$hex" "$f" || sl_fail "a key's bytes (hex) appear in $(basename "$f")"
        ! grep -qiF "${hex:0:16}" "$f" || sl_fail "a key's first bytes (hex) appear in $(basename "$f")"
    done
done

# ---- SIGTERM ----

sl_log "SIGTERM"
sl_dp_stop
[ ! -e "$SOCK" ] || sl_fail "the socket remains after SIGTERM"
ctl_err gone 2 connect dp health

# ---- control.group and allow_uids, a socket directory that exists, SIGINT ----

sl_log "allow_uids"
# other users need the group to open the socket at all: without it the file is refused
config_with_control "$TMP/nogroup.conf" "control = { socket = \"$TMP/x/dp.sock\"; allow_uids = [ 65534 ]; };"
rc=0
"$DP" --check-config "$TMP/nogroup.conf" > "$TMP/nogroup.out" 2>&1 || rc=$?
sl_expect "allow_uids without control.group: exit" "$rc" 1
grep -q "control.allow_uids: users other than root cannot open the root-only socket" "$TMP/nogroup.out" ||
    sl_fail "allow_uids without group: $(cat "$TMP/nogroup.out")"

PUB=$TMP/pub
mkdir -m 0755 "$PUB"
config_with_control "$TMP/uids.conf" "control = { socket = \"$PUB/dp.sock\"; group = \"nogroup\"; allow_uids = [ 65534 ]; };"
dp_start_at "$PUB/dp.sock" "$TMP/uids.conf"
sl_expect "an existing socket directory keeps its mode" "$(mode "$PUB")" 755
sl_expect "socket mode with a group" "$(mode "$PUB/dp.sock")" 660
sl_expect "socket group" "$(stat -c %G "$PUB/dp.sock")" nogroup
rc=0
as_uid 65534 --socket "$PUB/dp.sock" --json dp health > "$TMP/nobody2.out" 2> "$TMP/nobody2.err" || rc=$?
[ "$rc" -eq 0 ] || sl_fail "nobody (in allow_uids) refused: $(cat "$TMP/nobody2.err")"
jq -e '.workers == 1' "$TMP/nobody2.out" > /dev/null || sl_fail "nobody's health: $(cat "$TMP/nobody2.out")"
# a member of the group who is not in allow_uids reaches the socket and the peer check refuses it
rc=0
setpriv --reuid=65533 --regid=65534 --clear-groups "$CTL" --socket "$PUB/dp.sock" --json dp leg list \
    > "$TMP/other.out" 2> "$TMP/other.err" || rc=$?
sl_expect "uid 65533 in the group, not allowed: exit" "$rc" 2
sl_expect "uid 65533 in the group, not allowed: code" "$(jq -r .error.code "$TMP/other.out")" connect
grep -q "refused a peer with uid 65533" "$TMP/dp.log" || sl_fail "the relay did not log the refused peer"
# outside the group the kernel refuses it before the relay sees anything
rc=0
as_uid 65532 --socket "$PUB/dp.sock" --json dp leg list > "$TMP/outsider.out" 2> /dev/null || rc=$?
sl_expect "uid 65532 outside the group: exit" "$rc" 2
grep -q "uid 65532" "$TMP/dp.log" && sl_fail "the relay saw a peer the socket's mode should stop"

sl_log "SIGINT"
kill -INT "$DP_PID"
rc=0
wait "$DP_PID" || rc=$?
DP_PID=
sl_expect "sluice-dp exit status on SIGINT" "$rc" 0
grep -q "stopped" "$TMP/dp.log" || sl_fail "sluice-dp did not log its shutdown on SIGINT"
[ ! -e "$PUB/dp.sock" ] || sl_fail "the socket remains after SIGINT"

# a directory the relay creates: 0750, in the socket's group when there is one
config_with_control "$TMP/newdir.conf" "control = { socket = \"$TMP/new/dp.sock\"; group = \"nogroup\"; allow_uids = [ 65534 ]; };"
dp_start_at "$TMP/new/dp.sock" "$TMP/newdir.conf"
sl_expect "a created socket directory (group)" "$(mode "$TMP/new")" 750
sl_expect "a created socket directory's group" "$(stat -c %G "$TMP/new")" nogroup
sl_dp_stop
config_with_control "$TMP/newdir2.conf" "control = { socket = \"$TMP/new2/dp.sock\"; allow_uids = [ 0 ]; };"
dp_start_at "$TMP/new2/dp.sock" "$TMP/newdir2.conf"
sl_expect "a created socket directory (root only)" "$(mode "$TMP/new2")" 750
sl_expect "socket mode (root only)" "$(mode "$TMP/new2/dp.sock")" 600
sl_dp_stop
sl_log "ok"
