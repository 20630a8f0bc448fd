#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Makes a build directory for perf/scaling.sh that runs on a machine with no DPDK, libsrtp2
# or libconfig installed (any x86_64 Linux with python3): the benchmark's binaries, every
# shared library they load (glibc's loader included) and the DPDK drivers the benchmark uses
# (bus_vdev, mempool_ring, net_pcap, preloaded: EAL's plugin folder is not there).
#
#   perf/bundle.sh [BUILD [OUT]]     default build-perf -> build-bundle (about 14 MB)
#   perf/scaling.sh --build-dir build-bundle          on the other machine
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-perf}; D=${2:-build-bundle}
[ -f "$B/dataplane/sluice-dp" ] || { echo "bundle: $B has no sluice-dp: run perf/bench.sh first" >&2; exit 1; }
rm -rf "$D"; mkdir -p "$D/lib" "$D/real" "$D/dataplane" "$D/controlplane" "$D/tests/peer" "$D/perf" "$D/meson-info"
cp "$B/meson-info/intro-buildoptions.json" "$D/meson-info/"
bins="dataplane/sluice-dp controlplane/sluicectl tests/peer/sluice-peer perf/sluice-bench-crypto"
drv=/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0
extra="$drv/librte_net_pcap.so.23 $drv/librte_mempool_ring.so.23 $drv/librte_bus_vdev.so.23"
for f in $bins; do cp "$B/$f" "$D/real/"; done
for f in "$D"/real/* $extra; do
    ldd "$f" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | grep '^/' 
done | sort -u | while read -r l; do cp -L "$l" "$D/lib/"; done
for e in $extra; do cp -L "$e" "$D/lib/"; done
pre="librte_bus_vdev.so.23 librte_mempool_ring.so.23 librte_net_pcap.so.23"
for f in $bins; do
    n=$(basename "$f")
    cat > "$D/$f" <<W
#!/bin/sh
d=\$(cd "\$(dirname "\$0")" && cd .. && pwd); while [ ! -d "\$d/lib" ]; do d=\$(dirname "\$d"); done
p=""; for x in $pre; do p="\$p \$d/lib/\$x"; done
exec "\$d/lib/ld-linux-x86-64.so.2" --library-path "\$d/lib" --preload "\${p# }" "\$d/real/$n" "\$@"
W
    chmod +x "$D/$f"
done
du -sh "$D"
