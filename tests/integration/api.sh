#!/usr/bin/env bash
# A conference driven through the API, end to end: the first admin from `sluice-cp
# --add-admin`, logins with codes computed by oathtool, an organizer enrolled by the admin,
# a conference, a guest token, three participants joining over HTTPS and exchanging SRTP
# through sluice-dp with exactly the keys the API gave them, leaving, and the end of the
# conference. Then what must not be there: keys in a Redis dump, secrets in any log, keys
# without a TTL, connections of sluice-cp other than to Redis and the dataplane; a keyring
# rotation (SIGHUP) that keeps sessions and recovery codes.
source "$(dirname "$0")/lib_cp.sh"

sl_cp_setup sla 3
COUNT=100
SECRETS=$TMP/secrets          # every secret seen, one a line: none may be in a log
: > "$SECRETS"

sl_config "$TMP/dp.conf" 1 1
sl_dp_start "$TMP/dp.conf"
sl_cp_config 1
sl_add_admin admin
echo "$PW_ADMIN" >> "$SECRETS"
cat "$TMP/admin.secret" >> "$SECRETS"
jq -r '.recovery_codes[]' "$TMP/admin.enrol" >> "$SECRETS"
sl_expect "admin recovery codes" "$(jq '.recovery_codes | length' "$TMP/admin.enrol")" 10
sl_cp_start 1

api 1 GET health; api_expect health 200
api 1 GET ready; api_expect ready 200
sl_expect "ready" "$(jq -c . "$TMP/api.out")" '{"ready":true,"redis":true,"dataplane":true}'

# ---- people ----
code=$(totp admin); echo "$code" >> "$SECRETS"
api 1 POST login "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\",\"totp\":\"$code\"}"
api_expect "admin login" 200
ADMIN=$(jq -r .token "$TMP/api.out"); echo "$ADMIN" >> "$SECRETS"
sl_expect "admin role" "$(jq -r .role "$TMP/api.out")" admin

api 1 POST users '{"name":"olga","password":"organizer-pass-01","role":"organizer"}' "$ADMIN"
api_expect "organizer enrolment" 201
cp "$TMP/api.out" "$TMP/olga.enrol"
jq -r .totp_secret "$TMP/olga.enrol" > "$TMP/olga.secret"
cat "$TMP/olga.secret" >> "$SECRETS"; echo organizer-pass-01 >> "$SECRETS"
jq -r '.recovery_codes[]' "$TMP/olga.enrol" >> "$SECRETS"
jq -e '.totp_uri | startswith("otpauth://totp/")' "$TMP/olga.enrol" > /dev/null || sl_fail "no otpauth URI"
api 1 POST users '{"name":"paul","password":"participant-pw-1","role":"participant"}' "$ADMIN"
api_expect "participant enrolment" 201
api 1 GET users "" "$ADMIN"; api_expect "user list" 200
sl_expect "users" "$(jq -c '[.users[] | [.name, .role]] | sort' "$TMP/api.out")" \
    '[["admin","admin"],["olga","organizer"],["paul","participant"]]'

code=$(totp olga); echo "$code" >> "$SECRETS"
api 1 POST login "{\"user\":\"olga\",\"password\":\"organizer-pass-01\",\"totp\":\"$code\"}"
api_expect "organizer login" 200
ORG=$(jq -r .token "$TMP/api.out"); echo "$ORG" >> "$SECRETS"
api 1 GET users "" "$ORG"; api_expect "organizer lists users" 403 forbidden


# ---- the same API through sluicectl ----
export SLUICE_API=https://127.0.0.1:18444 SLUICE_CACERT=$TMP/tls.crt
(umask 077; echo "$ADMIN" > "$TMP/admin.token"; echo "$ORG" > "$TMP/org.token"
 echo carl-password-01 > "$TMP/carl.pw")
echo carl-password-01 >> "$SECRETS"
ctlapi() {  # ctlapi NAME TOKEN ARGS...: stdout in $TMP/NAME.out, stderr .err, status in RC
    local name=$1 tok=$2; shift 2
    RC=0
    "$CTL" --token-file "$TMP/$tok.token" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" || RC=$?
}
ctlapi ctl-add admin --json user add carl --role participant --password-file "$TMP/carl.pw" --no-qr
sl_expect "sluicectl user add" "$RC" 0
jq -r '.totp_secret, .recovery_codes[]' "$TMP/ctl-add.out" >> "$SECRETS"
sl_expect "sluicectl user add: role" "$(jq -r .role "$TMP/ctl-add.out")" participant
ctlapi ctl-users admin user list
sl_expect "sluicectl user list" "$RC" 0
grep -q '^carl *participant' "$TMP/ctl-users.out" || sl_fail "sluicectl user list: $(cat "$TMP/ctl-users.out")"
ctlapi ctl-forbidden org --json user list
sl_expect "sluicectl refused (exit 3)" "$RC" 3
sl_expect "sluicectl refused: code" "$(jq -r .error.code "$TMP/ctl-forbidden.out")" forbidden
ctlapi ctl-conf org --json conf create --name viactl --max-legs 4
sl_expect "sluicectl conf create" "$RC" 0
CTLCONF=$(jq -r .id "$TMP/ctl-conf.out")
ctlapi ctl-show org --json conf show "$CTLCONF"
sl_expect "sluicectl conf show" "$(jq -r '[.name, .max_legs, .legs] | join(" ")' "$TMP/ctl-show.out")" "viactl 4 0"
ctlapi ctl-end org conf end "$CTLCONF"
sl_expect "sluicectl conf end" "$RC" 0
ctlapi ctl-gone org --json conf show "$CTLCONF"
sl_expect "sluicectl: an ended conference (exit 3)" "$RC" 3
SLUICE_CACERT=/etc/ssl/certs/ca-certificates.crt ctlapi ctl-tls org conf list
sl_expect "sluicectl with a CA that did not sign the certificate (exit 2)" "$RC" 2
ctlapi ctl-health org api health
sl_expect "sluicectl api health" "$RC" 0

# ---- a conference ----
api 1 POST conferences '{"name":"weekly","max_legs":10}' "$ORG"; api_expect "conference" 201
CONF=$(jq -r .id "$TMP/api.out")
api 1 POST "conferences/$CONF/guest-tokens" '{"uses":1,"ttl":120}' "$ORG"; api_expect "guest token" 201
GUEST=$(jq -r .token "$TMP/api.out"); echo "$GUEST" >> "$SECRETS"

join() {    # join I TOKEN BODY: participant I's leg in $TMP/jI.json, keys in files
    api 1 POST "conferences/$CONF/legs" "$3" "$2"
    api_expect "join p$1" 201
    cp "$TMP/api.out" "$TMP/j$1.json"
    jq -r .send_key "$TMP/j$1.json" > "$TMP/j$1.send"
    jq -r .recv_key "$TMP/j$1.json" > "$TMP/j$1.recv"
    cat "$TMP/j$1.send" "$TMP/j$1.recv" >> "$SECRETS"
    sl_expect "p$1 relay" "$(jq -c '.relay | [.address, .port]' "$TMP/j$1.json")" '["198.18.0.1",40000]'
}
join 1 "$ORG" '{}'
join 2 "$ORG" '{"suite":"AEAD_AES_128_GCM","ssrcs":1}'
join 3 "$GUEST" '{"ssrcs":2}'
sl_expect "p2 suite" "$(jq -r .suite "$TMP/j2.json")" AEAD_AES_128_GCM
api 1 POST "conferences/$CONF/legs" '{}' "$GUEST"; api_expect "guest token used up" 410 token_used_up
sl_expect "legs in the dataplane" "$(sl_ctl --json dp health | jq -r .legs)" 3

# ---- media with the API's keys ----
sl_warm p1 p2 p3
# run ROUND COUNT SEQ_START: every participant sends COUNT packets with the API's keys,
# after a second in which every participant's socket is surely open (a busy machine starts
# processes slowly; a packet to a port not yet bound is lost).
run() {
    for i in 1 2 3; do
        ssrcs=()
        for s in $(jq -r '.ssrcs[]' "$TMP/j$i.json"); do ssrcs+=(--ssrc "$s"); done
        sl_peer "p$i" run --local "198.18.0.1$i:5000" --remote 198.18.0.1:40000 \
            --suite "$(jq -r .suite "$TMP/j$i.json")" --send-key "@$TMP/j$i.send" \
            --recv-key "@$TMP/j$i.recv" "${ssrcs[@]}" --count "$2" --rate 100 \
            --seq-start "$3" --start-delay-ms 1000 --report "$TMP/$1.p$i.json"
    done
}
# The relay learns each participant's address from its first authenticated packet: a
# short first round, then the counted one.
run warm 5 0
sl_peers_wait
run media $COUNT 1000
sl_peers_wait
for i in 1 2 3; do
    for j in 1 2 3; do
        [ "$i" = "$j" ] && continue
        s=$(jq -r '.ssrcs[0]' "$TMP/j$j.json")
        sl_expect "p$i <- p$j" "$(sl_jq "$TMP/media.p$i.json" ".received.sources[] | select(.ssrc == $s) | .packets")" $COUNT
        sl_expect "p$i <- p$j lost" "$(sl_jq "$TMP/media.p$i.json" ".received.sources[] | select(.ssrc == $s) | .lost")" 0
    done
    sl_expect "p$i unprotect failures" "$(sl_jq "$TMP/media.p$i.json" '.received.unprotect_fail | .auth + .replay + .other')" 0
done

# ---- keys at rest: a Redis dump reveals none ----
rcli SAVE > /dev/null
hexpat() { od -An -tx1 | tr -d ' \n' | sed 's/../\\x&/g'; }
for i in 1 2 3; do
    for k in send recv; do
        pat=$(sed 's/^inline://' "$TMP/j$i.$k" | base64 -d | hexpat)
        ! LC_ALL=C grep -qaP "$pat" "$TMP/dump.rdb" || sl_fail "p$i's $k key is in the Redis dump"
        ! grep -qF "$(sed 's/^inline://' "$TMP/j$i.$k")" "$TMP/dump.rdb" || sl_fail "p$i's $k key (base64) in the dump"
    done
done
for u in admin olga; do
    # 20 bytes are 32 base32 digits: no padding
    pat=$(base32 -d < "$TMP/$u.secret" | hexpat)
    [ -n "$pat" ] || sl_fail "$u's TOTP secret is not base32"
    ! LC_ALL=C grep -qaP "$pat" "$TMP/dump.rdb" || sl_fail "$u's TOTP secret is in the Redis dump"
done
! grep -qaF "$PW_ADMIN" "$TMP/dump.rdb" || sl_fail "a password is in the Redis dump"
! grep -qaF "$ORG" "$TMP/dump.rdb" || sl_fail "a bearer token is in the Redis dump"

# ---- keyring rotation: a new key first, then SIGHUP; sessions and recovery codes live on ----
NEWKEY=$(openssl rand -hex 32); echo "$NEWKEY" >> "$SECRETS"
{ printf '2 %s\n' "$NEWKEY"; grep -v '^#' "$TMP/cp.key"; } > "$TMP/cp.key.new"
chmod 600 "$TMP/cp.key.new"
mv "$TMP/cp.key.new" "$TMP/cp.key"
kill -HUP "${CP_PIDS[1]}"
for _ in $(seq 1 50); do
    [ "$(grep -c 'configuration reloaded' "$TMP/cp1.log")" -ge 1 ] && break
    sleep 0.1
done
grep -q 'configuration reloaded' "$TMP/cp1.log" || sl_fail "no reload after SIGHUP: $(tail -3 "$TMP/cp1.log")"
api 1 GET conferences "" "$ORG"; api_expect "the organizer's session after the rotation" 200
RC=$(jq -r '.recovery_codes[2]' "$TMP/olga.enrol")
api 1 POST login "{\"user\":\"olga\",\"password\":\"organizer-pass-01\",\"recovery_code\":\"$RC\"}"
api_expect "a recovery code after the rotation" 200
echo "$(jq -r .token "$TMP/api.out")" >> "$SECRETS"

# ---- leaving ----
L1=$(jq -r .leg "$TMP/j1.json"); L3=$(jq -r .leg "$TMP/j3.json")
api 1 DELETE "conferences/$CONF/legs/$L3" "" "$GUEST"; api_expect "guest leaves" 204
api 1 DELETE "conferences/$CONF/legs/$L1" "" "$ORG"; api_expect "p1 leaves" 204
sl_expect "legs left in the dataplane" "$(sl_ctl --json dp health | jq -r .legs)" 1
sl_expect "leg 1 in Redis" "$(rcli EXISTS "sl:l:$L1")" 0
sl_ctl dp leg show --id "$L1" > /dev/null 2>&1 && sl_fail "leg $L1 still in the dataplane"
api 1 GET "conferences/$CONF/legs" "" "$ORG"; api_expect "leg list" 200
sl_expect "legs listed" "$(jq '.legs | length' "$TMP/api.out")" 1
! grep -q key "$TMP/api.out" || sl_fail "the leg list shows keys"

# ---- the end ----
api 1 DELETE "conferences/$CONF" "" "$ORG"; api_expect "end" 204
sl_expect "legs after the end" "$(sl_ctl --json dp health | jq -r .legs)" 0
sl_expect "conference keys in Redis" "$(rcli --scan --pattern "sl:c:$CONF*" | wc -l)" 0
sl_expect "leg keys in Redis" "$(rcli --scan --pattern 'sl:l:*' | wc -l)" 0
for k in $(rcli --scan --pattern '*'); do
    ttl=$(rcli TTL "$k")
    [ "$ttl" -gt 0 ] || sl_fail "Redis key $k has no TTL ($ttl)"
done
# What still names the ended conference (its guest token) goes within the token's TTL.
named=0
for k in $(rcli --scan --pattern 'sl:t:*'); do
    [ "$(rcli HGET "$k" conf)" = "$CONF" ] || continue
    named=$((named + 1))
    ttl=$(rcli TTL "$k")
    [ "$ttl" -gt 0 ] && [ "$ttl" -le 120 ] || sl_fail "a key of the ended conference lives $ttl s"
done
sl_expect "keys naming the ended conference (its guest token)" "$named" 1

api 1 POST logout "" "$ORG"; api_expect logout 204
api 1 GET conferences "" "$ORG"; api_expect "token after logout" 401 unauthenticated

# ---- metrics ----
curl -sf http://127.0.0.1:19465/metrics > "$TMP/metrics" || sl_fail "no metrics"
grep -q '^sluice_cp_joins_total 3$' "$TMP/metrics" || sl_fail "metrics: joins"
grep -q '^sluice_dp_drops_total{reason="srtp_auth_fail"} 0$' "$TMP/metrics" || sl_fail "metrics: dataplane drops"
grep -q '^sluice_cp_dataplane_up 1$' "$TMP/metrics" || sl_fail "metrics: dataplane up"

# ---- privacy ----
ss -tunap 2>/dev/null | grep "pid=${CP_PIDS[1]}," | grep -v LISTEN |
    grep -vE "127\.0\.0\.1:(18444|19465) " > "$TMP/cp-sockets" || true
[ ! -s "$TMP/cp-sockets" ] || sl_fail "sluice-cp has network connections: $(cat "$TMP/cp-sockets")"
sl_cp_stop 1
grep -q '"event":"login"' "$TMP/audit1.log" || sl_fail "no login in the audit log"
grep -q '127.0.0.1' "$TMP/audit1.log" && sl_fail "a client address in the audit log"
while read -r s; do
    [ -n "$s" ] || continue
    for f in "$TMP"/*.log "$TMP"/*.err; do
        ! grep -qF -- "$s" "$f" || sl_fail "a secret is in $(basename "$f")"
    done
done < "$SECRETS"
sl_dp_stop
sl_log "ok"
