#!/usr/bin/env bash
# Shared by the control-plane integration tests, on top of lib.sh: a real redis-server on a
# Unix socket in the test's directory, sluice-cp processes with a certificate made for the
# test, the first admin, logins with codes from oathtool, and an API client (curl, verifying
# the certificate). Everything started here stops on exit.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CP=$B/controlplane/sluice-cp
REDIS_PID=
CP_PIDS=()
PW_ADMIN='admin-password-0001'

sl_cp_cleanup() {
    local rc=$?
    set +e
    for p in "${CP_PIDS[@]}" $REDIS_PID; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
    for p in "${CP_PIDS[@]}" $REDIS_PID; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
    (exit "$rc")
    sl_cleanup
}

# sl_cp_setup PREFIX N: lib.sh's sl_setup, then a certificate, a keyring and Redis.
sl_cp_setup() {
    sl_setup "$1" "$2"
    trap sl_cp_cleanup EXIT
    for t in redis-server oathtool curl openssl; do
        command -v "$t" > /dev/null || sl_fail "$t not installed (scripts/setup-deps.sh)"
    done
    [ -x "$CP" ] || sl_fail "$CP not built"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj "/CN=sluice-test" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2> /dev/null || sl_fail "cannot make a certificate"
    chmod 600 "$TMP/tls.key"
    "$CP" --gen-key "$TMP/cp.key" > /dev/null || sl_fail "sluice-cp --gen-key failed"
    sl_redis_start
}

sl_redis_start() {
    redis-server --port 0 --unixsocket "$TMP/redis.sock" --unixsocketperm 700 \
        --save "" --appendonly no --dir "$TMP" > "$TMP/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 50); do
        redis-cli -s "$TMP/redis.sock" ping 2> /dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    sl_fail "redis-server did not start"
}

sl_redis_stop() {
    kill -TERM "$REDIS_PID"
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=
}

rcli() { redis-cli -s "$TMP/redis.sock" "$@"; }

# sl_cp_config I: the configuration of sluice-cp number I (API port 18443+I).
sl_cp_config() {
    local i=$1
    cat > "$TMP/cp$i.conf" <<CONF
relay = {
    id = "relay-1";
    address = "198.18.0.1";
    media_port = 40000;
    suites = [ "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM" ];
    dp_socket = "$TMP/dp.sock";
};
api = {
    address = "127.0.0.1";
    port = $((18443 + i));
    tls_cert = "$TMP/tls.crt";
    tls_key = "$TMP/tls.key";
    max_body = 4096;
    max_json_depth = 4;
};
metrics = { address = "127.0.0.1"; port = $((19464 + i)); };
redis = { socket = "$TMP/redis.sock"; };
security = {
    key_file = "$TMP/cp.key";
    login_max_failures = 3;
    source_max_failures = 50;
    lockout = 60;
    audit_log = "$TMP/audit$i.log";
};
ttl = { conference = 600; guest_token_max = 300; };
log = { level = "info"; };
CONF
}

# sl_cp_start I: starts sluice-cp I and waits until /v1/ready says yes.
sl_cp_start() {
    local i=$1
    [ -f "$TMP/cp$i.conf" ] || sl_cp_config "$i"
    "$CP" -c "$TMP/cp$i.conf" >> "$TMP/cp$i.log" 2>&1 &
    CP_PIDS[$i]=$!
    for _ in $(seq 1 100); do
        kill -0 "${CP_PIDS[$i]}" 2>/dev/null || sl_fail "sluice-cp $i exited: $(tail -5 "$TMP/cp$i.log")"
        if curl -sf --cacert "$TMP/tls.crt" "https://127.0.0.1:$((18443 + i))/v1/ready" > /dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    sl_fail "sluice-cp $i not ready after 10 s: $(tail -5 "$TMP/cp$i.log")"
}

sl_cp_stop() {
    local i=$1
    kill -TERM "${CP_PIDS[$i]}" 2>/dev/null || true
    wait "${CP_PIDS[$i]}" 2>/dev/null || true
    CP_PIDS[$i]=
}

# api I METHOD PATH [BODY] [TOKEN]: HTTPS to sluice-cp I; the reply body in $TMP/api.out,
# the status in ST. Bodies go through a file so that no secret shows in a process list.
api() {
    local i=$1 method=$2 path=$3 body=${4:-} token=${5:-}
    local args=(-s -o "$TMP/api.out" -w '%{http_code}' --cacert "$TMP/tls.crt" -X "$method")
    if [ -n "$body" ]; then
        printf '%s' "$body" > "$TMP/api.in"
        args+=(-H 'Content-Type: application/json' --data-binary "@$TMP/api.in")
    fi
    [ -n "$token" ] && args+=(-H "@$TMP/auth.hdr") && printf 'Authorization: Bearer %s\n' "$token" > "$TMP/auth.hdr"
    ST=$(curl "${args[@]}" "https://127.0.0.1:$((18443 + i))/v1/$path") || ST=000
    rm -f "$TMP/api.in" "$TMP/auth.hdr"
}

# api_expect WHAT STATUS [CODE]: the last reply had STATUS (and error CODE).
api_expect() {
    [ "$ST" = "$2" ] || sl_fail "$1: HTTP $ST, expected $2: $(cat "$TMP/api.out")"
    if [ -n "${3:-}" ]; then
        [ "$(jq -r .error.code "$TMP/api.out")" = "$3" ] ||
            sl_fail "$1: error $(jq -c .error "$TMP/api.out"), expected $3"
    fi
}

# sl_add_admin NAME: the first admin; its TOTP secret in $TMP/NAME.secret.
sl_add_admin() {
    printf '%s\n' "$PW_ADMIN" | "$CP" -c "$TMP/cp1.conf" --add-admin "$1" > "$TMP/$1.enrol" 2>> "$TMP/cp1.log" ||
        sl_fail "sluice-cp --add-admin failed: $(tail -3 "$TMP/cp1.log")"
    jq -r .totp_secret "$TMP/$1.enrol" > "$TMP/$1.secret"
}

# totp NAME [STEP_OFFSET]: the current code (or STEP_OFFSET steps away) by oathtool.
totp() {
    local off=${2:-0}
    oathtool --totp -b "$(cat "$TMP/$1.secret")" --now "@$(( $(date +%s) + 30 * off ))"
}

# wait_fresh_step: sleeps into a new 30 s TOTP step when the current one is used up or ends
# within 2 s, so that a login's code is fresh and stays valid while sent.
wait_fresh_step() {
    local left=$(( 30 - $(date +%s) % 30 ))
    sleep $((left + 1))
}

# login I NAME PASSWORD: logs in with the current code; the token in TOKEN.
login() {
    api "$1" POST login "{\"user\":\"$2\",\"password\":\"$3\",\"totp\":\"$(totp "$2")\"}"
    api_expect "login $2" 200
    TOKEN=$(jq -r .token "$TMP/api.out")
}
