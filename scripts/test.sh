#!/usr/bin/env bash
# Installs what is missing, builds, and runs Sluice's test suites. As root on Debian 12.
#
#   scripts/test.sh                 every suite: unit integration fuzz asan
#   scripts/test.sh unit fuzz       some of them
#
# Environment: FUZZ_SECONDS (default 30) per fuzz target.
#
#   unit         CUnit tests (build/)
#   integration  the real sluice-dp on net_af_packet over veth into network namespaces,
#                with sluice-peer participants and ffmpeg (build/)
#   fuzz         every libFuzzer target, bounded in time, with ASan/UBSan (build-fuzz/, clang)
#   asan         unit tests and a forwarding run under ASan/UBSan, leaks included (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration fuzz asan)
for s in "${suites[@]}"; do
    case "$s" in unit|integration|fuzz|asan) ;; *) echo "test.sh: unknown suite $s" >&2; exit 2 ;; esac
done

scripts/setup-deps.sh

# configure DIR [OPTIONS...]: a fresh setup (or a reconfigure) and a build; the output is
# shown only when something fails.
configure() {
    local dir=$1; shift
    local log
    log=$(mktemp /tmp/sluice-build.XXXXXX)
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" > "$log" 2>&1 || { cat "$log"; rm -f "$log"; return 1; }
    else
        meson setup "$dir" "$@" > "$log" 2>&1 || { cat "$log"; rm -f "$log"; return 1; }
    fi
    ninja -C "$dir" > "$log" 2>&1 || { grep -E "FAILED|error" "$log" | head -40; rm -f "$log"; return 1; }
    rm -f "$log"
}

failed=()
run() {
    local name=$1; shift
    echo "=== $name"
    if "$@"; then echo "=== $name: ok"; else echo "=== $name: FAILED"; failed+=("$name"); fi
}

fuzz_all() {
    local secs=${FUZZ_SECONDS:-30} rc=0 work
    work=$(mktemp -d /tmp/sluice-fuzz.XXXXXX)
    for f in build-fuzz/tests/fuzz_*; do
        [ -f "$f" ] && [ -x "$f" ] || continue
        local name=${f##*/fuzz_}
        mkdir -p "$work/$name"
        echo "--- fuzz_$name for ${secs}s"
        if ! "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                -artifact_prefix="$work/$name-" "$work/$name" "tests/fuzz/corpus/$name" \
                > "$work/$name.log" 2>&1; then
            tail -n 40 "$work/$name.log"
            echo "fuzz_$name failed; the crashing input is in $work"
            rc=1
        else
            grep -E "stat::number_of_executed_units" "$work/$name.log" || true
        fi
    done
    [ "$rc" -ne 0 ] || rm -rf "$work"
    return "$rc"
}

fuzz_build_and_run() {
    CC=clang configure build-fuzz -Dfuzz=enabled -Dtests=enabled && fuzz_all
}

asan_all() {
    configure build-asan -Dtests=enabled -Db_sanitize=address,undefined || return 1
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
        meson test -C build-asan --suite unit --print-errorlogs || return 1
    SLUICE_BUILD="$root/build-asan" ASAN_OPTIONS=detect_leaks=1 \
        tests/integration/forward.sh
}

need_main=false
for s in "${suites[@]}"; do [ "$s" = unit ] || [ "$s" = integration ] && need_main=true; done
if $need_main && ! configure build -Dtests=enabled; then
    echo "test.sh: the build failed"
    exit 1
fi

for s in "${suites[@]}"; do
    case "$s" in
        unit)
            run unit meson test -C build --suite unit --print-errorlogs ;;
        integration)
            run integration meson test -C build --suite integration --print-errorlogs ;;
        fuzz)
            run fuzz fuzz_build_and_run ;;
        asan)
            run asan asan_all ;;
    esac
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "test.sh: FAILED: ${failed[*]}"
    exit 1
fi
echo "test.sh: all suites passed (${suites[*]})"
