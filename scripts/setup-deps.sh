#!/usr/bin/env bash
# Installs everything Sluice needs to build, run and test on Debian 12, idempotently.
#
#   scripts/setup-deps.sh            build and test dependencies
#
# Debian's libsrtp2 uses NSS for its ciphers, which is 3.3x slower than OpenSSL; we build
# the same Debian source package with -Dcrypto-library=openssl into /usr/local (static only,
# so nothing else on the machine changes) and the build checks that this is what it links.
set -euo pipefail

[ "$(id -u)" -eq 0 ] || { echo "setup-deps: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive

SRTP_PREFIX=/usr/local
SRTP_STAMP=$SRTP_PREFIX/lib/pkgconfig/libsrtp2.pc

PKGS=(
    build-essential pkg-config meson ninja-build python3 git ca-certificates
    dpdk dpdk-dev libdpdk-dev
    libssl-dev libconfig-dev libhiredis-dev libcunit1-dev libpcap-dev libjansson-dev
    libevent-dev libargon2-dev libqrencode-dev libcurl4-openssl-dev
    redis-tools oathtool curl openssl
    redis-server
    ffmpeg
    clang libclang-rt-14-dev llvm
    iproute2 iputils-ping ethtool kmod procps jq
    dpkg-dev
)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-deps: installing ${missing[*]}"
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

srtp_backend() {
    { pkg-config --print-requires libsrtp2; pkg-config --print-requires-private libsrtp2; } 2>/dev/null | grep -qE "^(openssl|libcrypto)" && echo openssl
}

if [ ! -f "$SRTP_STAMP" ] || [ "$(srtp_backend)" != openssl ]; then
    # apt-get source needs a deb-src entry; add one for Debian's main archive if none exists.
    if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        cat > /etc/apt/sources.list.d/sluice-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        apt-get update -q
    fi
    work=$(mktemp -d /tmp/sluice-srtp.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    (
        cd "$work"
        apt-get source -q libsrtp2 >/dev/null
        src=$(find . -maxdepth 1 -type d -name 'libsrtp2-*' | head -n 1)
        cd "$src"
        meson setup build --prefix="$SRTP_PREFIX" --libdir=lib --buildtype=release \
            -Dcrypto-library=openssl -Ddefault_library=static -Dtests=disabled \
            -Ddoc=disabled >/dev/null
        ninja -C build >/dev/null
        ninja -C build install >/dev/null
    )
    echo "setup-deps: libsrtp2 $(pkg-config --modversion libsrtp2) built with OpenSSL in $SRTP_PREFIX"
fi

[ "$(srtp_backend)" = openssl ] || { echo "setup-deps: libsrtp2 is not on OpenSSL" >&2; exit 1; }
echo "setup-deps: ok"
