#!/usr/bin/env bash
# What sluice-cp refuses, and that a refusal changes nothing: bad logins (wrong password,
# wrong, expired and reused TOTP codes, a lockout shared by two sluice-cp on one Redis),
# missing, forged, revoked, expired and orphaned bearer tokens, a guest token for another
# conference, a role that may not act, bodies that are too large, too deep, with duplicate
# keys, unknown fields or wrong types, too many headers, unknown routes and methods,
# malformed ids, plain HTTP on the HTTPS port and TLS 1.1; api.max_connections.
source "$(dirname "$0")/lib_cp.sh"

sl_cp_setup slr 1

sl_config "$TMP/dp.conf" 1 1
sl_dp_start "$TMP/dp.conf"
sl_cp_config 1
sl_cp_config 2
sl_add_admin admin
sl_cp_start 1
sl_cp_start 2

# ---- helpers of this test ----
nkeys() { rcli --scan --pattern "${1:-sl:*}" | wc -l; }
nlegs() { sl_ctl --json dp health | jq -r .legs; }

# snap: remembers the Redis key counts and the dataplane's legs; same WHAT: none changed.
snap() { K0=$(nkeys); T0=$(nkeys 'sl:t:*'); L0=$(nlegs); }
same() {
    sl_expect "$1: Redis keys" "$(nkeys)" "$K0"
    sl_expect "$1: token keys" "$(nkeys 'sl:t:*')" "$T0"
    sl_expect "$1: dataplane legs" "$(nlegs)" "$L0"
}
# same_tokens WHAT: a refused login made no token (it may count a failure in Redis).
same_tokens() {
    sl_expect "$1: token keys" "$(nkeys 'sl:t:*')" "$T0"
    sl_expect "$1: dataplane legs" "$(nlegs)" "$L0"
}

# step_margin: a code computed now stays in its 30 s step while it is sent (3 s margin).
step_margin() {
    local left=$(( 30 - $(date +%s) % 30 ))
    [ "$left" -gt 3 ] || sleep "$left"
}

# enrol NAME ROLE: a user made by the admin; its password is pw-NAME-000001.
enrol() {
    api 1 POST users "{\"name\":\"$1\",\"password\":\"pw-$1-000001\",\"role\":\"$2\"}" "$ADMIN"
    api_expect "enrol $1" 201
    jq -r .totp_secret "$TMP/api.out" > "$TMP/$1.secret"
}

# try_login I NAME PASSWORD CODE: a login with exactly these; headers in $TMP/api.hdr.
try_login() {
    printf '{"user":"%s","password":"%s","totp":"%s"}' "$2" "$3" "$4" > "$TMP/api.in"
    ST=$(curl -s -D "$TMP/api.hdr" -o "$TMP/api.out" -w '%{http_code}' --cacert "$TMP/tls.crt" \
        -H 'Content-Type: application/json' --data-binary "@$TMP/api.in" \
        "https://127.0.0.1:$((18443 + $1))/v1/login") || ST=000
    rm -f "$TMP/api.in"
}

# raw I METHOD PATH [CURL ARGS...]: a request built by hand, reply in $TMP/api.out.
raw() {
    local i=$1 method=$2 path=$3; shift 3
    ST=$(curl -s -o "$TMP/api.out" -w '%{http_code}' --cacert "$TMP/tls.crt" -X "$method" "$@" \
        "https://127.0.0.1:$((18443 + i))/v1/$path") || ST=000
}

# ---- the admin's one login ----
step_margin
api 1 POST login "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\",\"totp\":\"$(totp admin)\"}"
api_expect "admin login" 200
ADMIN=$(jq -r .token "$TMP/api.out")
for u in wpass wcode old reuse lock gone bye; do enrol "$u" participant; done
enrol olga organizer
enrol paul participant

# ---- logins ----
step_margin
snap
try_login 1 wpass wrong-password-01 "$(totp wpass)"
api_expect "wrong password" 401 bad_credentials
same_tokens "wrong password"

# a code of none of the steps around now
bad=000000
for c in "$(totp wcode -1)" "$(totp wcode)" "$(totp wcode 1)"; do
    [ "$c" != "$bad" ] || bad=000001
done
for c in "$(totp wcode -1)" "$(totp wcode)" "$(totp wcode 1)"; do
    [ "$c" != "$bad" ] || bad=000002
done
try_login 1 wcode pw-wcode-000001 "$bad"
api_expect "wrong TOTP code" 401 bad_credentials
same_tokens "wrong TOTP code"

try_login 1 old pw-old-000001 "$(totp old -2)"
api_expect "expired TOTP code" 401 bad_credentials
same_tokens "expired TOTP code"

step_margin
code=$(totp reuse)
try_login 1 reuse pw-reuse-000001 "$code"
api_expect "first use of a code" 200
snap
try_login 2 reuse pw-reuse-000001 "$code"
api_expect "reused code on the other sluice-cp" 401 totp_reused
same_tokens "reused code"

# three failures, on both processes: the user is locked out on both
try_login 1 lock wrong-password-01 "$(totp lock)"; api_expect "lock failure 1 (cp 1)" 401 bad_credentials
try_login 2 lock wrong-password-02 "$(totp lock)"; api_expect "lock failure 2 (cp 2)" 401 bad_credentials
try_login 1 lock wrong-password-03 "$(totp lock)"; api_expect "lock failure 3 (cp 1)" 401 bad_credentials
step_margin
try_login 2 lock pw-lock-000001 "$(totp lock)"
api_expect "locked out (cp 2)" 429 locked_out
ra=$(tr -d '\r' < "$TMP/api.hdr" | sed -n 's/^[Rr]etry-[Aa]fter: *//p')
[[ "$ra" =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] && [ "$ra" -le 60 ] ||
    sl_fail "locked out: Retry-After '$ra', expected 1..60 s"
try_login 1 lock pw-lock-000001 "$(totp lock)"
api_expect "locked out (cp 1)" 429 locked_out
same_tokens "locked out"

# ---- bearer tokens ----
snap
raw 1 GET users; api_expect "no Authorization header" 401 unauthenticated
api 1 GET users "" "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
api_expect "forged token" 401 unauthenticated
api 1 GET users "" abc; api_expect "malformed token" 401 unauthenticated
raw 1 GET users -H "Authorization: Basic $(printf 'admin:x' | base64)"
api_expect "not a bearer token" 401 unauthenticated
same "bearer tokens"

step_margin
try_login 1 bye pw-bye-000001 "$(totp bye)"; api_expect "bye login" 200
BYE=$(jq -r .token "$TMP/api.out")
api 1 POST logout "" "$BYE"; api_expect "logout" 204
snap
api 1 GET conferences/1 "" "$BYE"; api_expect "revoked token" 401 unauthenticated
api 1 POST logout "" "$BYE"; api_expect "logout again" 401 unauthenticated
same "revoked token"

try_login 2 gone pw-gone-000001 "$(totp gone)"; api_expect "gone login" 200
GONE=$(jq -r .token "$TMP/api.out")
api 1 DELETE users/gone "" "$ADMIN"; api_expect "delete user" 204
snap
api 1 GET conferences/1 "" "$GONE"; api_expect "token of a deleted user" 401 unauthenticated
api 2 POST logout "" "$GONE"; api_expect "logout of a deleted user" 401 unauthenticated
same "deleted user"

# ---- guests, roles ----
try_login 1 olga pw-olga-000001 "$(totp olga)"; api_expect "organizer login" 200
ORG=$(jq -r .token "$TMP/api.out")
try_login 1 paul pw-paul-000001 "$(totp paul)"; api_expect "participant login" 200
PAUL=$(jq -r .token "$TMP/api.out")
api 1 POST conferences '{"name":"one"}' "$ORG"; api_expect "conference one" 201
C1=$(jq -r .id "$TMP/api.out")
api 1 POST conferences '{"name":"two"}' "$ORG"; api_expect "conference two" 201
C2=$(jq -r .id "$TMP/api.out")
api 1 POST "conferences/$C1/legs" '{}' "$ORG"; api_expect "a leg in one" 201

api 1 POST "conferences/$C1/guest-tokens" '{"uses":1,"ttl":120}' "$ORG"; api_expect "guest token" 201
GUEST=$(jq -r .token "$TMP/api.out")
snap
api 1 POST "conferences/$C2/legs" '{}' "$GUEST"; api_expect "guest in another conference" 403 wrong_conference
api 1 GET "conferences/$C2" "" "$GUEST"; api_expect "guest reads another conference" 403 wrong_conference
same "wrong conference"

api 1 POST "conferences/$C1/guest-tokens" '{"uses":1,"ttl":120}' "$ORG"; api_expect "second guest token" 201
OLD=$(jq -r .token "$TMP/api.out")
# the newest guest key: the one that is not the first guest's (which still has its use)
gkeys=()
for k in $(rcli --scan --pattern 'sl:t:*'); do
    [ "$(rcli HGET "$k" kind)" = guest ] && gkeys+=("$k")
done
sl_expect "guest token keys" "${#gkeys[@]}" 2
for k in "${gkeys[@]}"; do rcli PEXPIRE "$k" 1 > /dev/null; done
sleep 0.05
snap
api 1 POST "conferences/$C1/legs" '{}' "$OLD"; api_expect "expired guest token" 401 unauthenticated
api 1 POST "conferences/$C1/legs" '{}' "$GUEST"; api_expect "expired guest token (2)" 401 unauthenticated
same "expired token"

snap
api 1 POST conferences '{"name":"mine"}' "$PAUL"; api_expect "participant creates a conference" 403 forbidden
api 1 POST users '{"name":"evil","password":"evil-password-1","role":"admin"}' "$ORG"
api_expect "organizer creates a user" 403 forbidden
same "forbidden"

# ---- bodies ----
snap
# body_of N: a conference body of exactly N bytes (its name too long to be accepted)
body_of() { printf '{"name":"%s"}' "$(head -c $(($1 - 11)) /dev/zero | tr '\0' a)"; }
api 1 POST conferences "$(body_of 4097)" "$ORG"; api_expect "body of max_body + 1" 413 body_too_large
# Past 4 * max_body + 1024 bytes libevent refuses the body itself: 413, but its own HTML
# page instead of the JSON error (reported); the status is what is checked.
api 1 POST conferences "$(body_of 65536)" "$ORG"; api_expect "body of 64 KiB" 413
api 1 POST conferences "$(body_of 4096)" "$ORG"; api_expect "body of max_body" 400 bad_field
# four nested objects are read (and the name refused), five are too deep
api 1 POST conferences '{"name":{"a":{"b":{"c":1}}}}' "$ORG"; api_expect "JSON of depth 4" 400 bad_field
api 1 POST conferences '{"name":{"a":{"b":{"c":{"d":1}}}}}' "$ORG"
api_expect "JSON of depth 5" 400 json_too_deep
api 1 POST conferences '{"name":[[[[[[[[1]]]]]]]]}' "$ORG"; api_expect "nested arrays" 400 json_too_deep
api 1 POST conferences '{"name":"x","name":"y"}' "$ORG"; api_expect "duplicate key" 400 json_duplicate_key
api 1 POST conferences '{"name":"x","colour":"red"}' "$ORG"; api_expect "unknown field" 400 unknown_field
api 1 POST conferences '{"name":"x","max_legs":"ten"}' "$ORG"; api_expect "wrong type" 400 bad_field
api 1 POST conferences '{"name":"x",' "$ORG"; api_expect "broken JSON" 400 json_invalid
api 1 POST conferences '[1]' "$ORG"; api_expect "not an object" 400
same "bodies"
api 1 GET conferences "" "$ORG"; api_expect "conference list" 200
sl_expect "conferences after refused bodies" "$(jq '.conferences | length' "$TMP/api.out")" 2

# ---- headers, routes, ids ----
snap
hdrs=()
for n in $(seq 1 40); do hdrs+=(-H "X-Filler-$n: $n"); done
raw 1 GET health "${hdrs[@]}"; api_expect "40 headers" 431 too_many_headers
# headers over api.max_header_bytes (8192): the JSON 431; over twice that, the HTTP layer
# cuts the request off with a plain 400
raw 1 GET health -H "X-Big: $(head -c 10000 /dev/zero | tr '\0' b)"; api_expect "10 KB header" 431 too_many_headers
raw 1 GET health -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' b)"; api_expect "20 KB header" 400
api 1 GET nothing-here "" "$ADMIN"; api_expect "unknown path" 404 not_found
raw 1 GET ../v2/health; api_expect "unknown version" 404 not_found
api 1 PATCH conferences "" "$ADMIN"; api_expect "PATCH conferences" 405 method_not_allowed
api 1 DELETE health "" "$ADMIN"; api_expect "DELETE health" 405 method_not_allowed
for id in abc 0 -1 1x 99999999999999999999999; do
    api 1 GET "conferences/$id" "" "$ADMIN"; api_expect "conference id '$id'" 400 bad_request
done
api 1 DELETE "conferences/$C1/legs/abc" "" "$ADMIN"; api_expect "leg id 'abc'" 400 bad_request
same "routes"

# ---- transport ----
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:18444/v1/health) &&
    sl_fail "plain HTTP got an answer: HTTP $code"
sl_expect "plain HTTP status" "$code" 000
curl -s -o /dev/null --max-time 5 --cacert "$TMP/tls.crt" --tlsv1.1 --tls-max 1.1 \
    https://127.0.0.1:18444/v1/health && sl_fail "TLS 1.1 accepted (curl)"
# a client willing to speak TLS 1.1: the refusal must be the server's
openssl s_client -connect 127.0.0.1:18444 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    < /dev/null > "$TMP/tls11.out" 2>&1 && sl_fail "TLS 1.1 accepted (openssl)"
grep -q 'alert protocol version' "$TMP/tls11.out" ||
    sl_fail "TLS 1.1 not refused with a protocol_version alert: $(head -3 "$TMP/tls11.out")"
openssl s_client -connect 127.0.0.1:18444 -tls1_2 < /dev/null > "$TMP/tls12.out" 2>&1 ||
    sl_fail "TLS 1.2 refused: $(tail -3 "$TMP/tls12.out")"
api 1 GET health; api_expect "health after plain HTTP and TLS 1.1" 200
api 1 GET conferences "" "$ORG"; api_expect "API after plain HTTP and TLS 1.1" 200

# ---- api.max_connections: at the limit new clients wait until a connection closes ----
sl_cp_stop 2
sed -i 's/^    max_body = 4096;$/    max_body = 4096;\n    max_connections = 2;/' "$TMP/cp2.conf"
grep -q 'max_connections = 2;' "$TMP/cp2.conf" || sl_fail "cp2.conf: no max_connections"
sl_cp_start 2
HOLD=()
for _ in 1 2; do     # two idle TLS connections, held open
    sleep 30 | openssl s_client -connect 127.0.0.1:18445 -quiet > /dev/null 2>&1 &
    HOLD+=($!)
done
metric2() { curl -s "http://127.0.0.1:19466/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
for _ in $(seq 1 50); do [ "$(metric2 sluice_cp_api_connections)" = 2 ] && break; sleep 0.1; done
sl_expect "API connections open" "$(metric2 sluice_cp_api_connections)" 2
rc=0
curl -s -o /dev/null --max-time 2 --cacert "$TMP/tls.crt" https://127.0.0.1:18445/v1/health || rc=$?
sl_expect "a third connection waits (curl: timeout)" "$rc" 28
sl_expect "limit reached once" "$(metric2 sluice_cp_api_connection_limit_total)" 1
kill "${HOLD[0]}" 2>/dev/null || true
pkill -f "openssl s_client -connect 127.0.0.1:18445" || true
wait "${HOLD[@]}" 2>/dev/null || true
api 2 GET health; api_expect "health once the held connections closed" 200

for i in 1 2; do
    kill -0 "${CP_PIDS[$i]}" 2>/dev/null || sl_fail "sluice-cp $i died"
    sl_cp_stop "$i"
done
sl_dp_stop
sl_log "ok"
