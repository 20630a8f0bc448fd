#!/usr/bin/env bash
# Reserves 2 MiB hugepages for sluice-dp (idempotent). Without them sluice-dp still runs
# (hugepages = "auto" falls back to --no-huge), only slower to start and without
# physically contiguous memory, which real NICs want.
#
#   scripts/setup-hugepages.sh [MEGABYTES]     default 1024
set -u
mb=${1:-1024}
pages=$(( (mb + 1) / 2 ))
sysfs=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

if [ ! -w "$sysfs" ]; then
    echo "setup-hugepages: this kernel does not let us reserve 2 MiB hugepages; sluice-dp will run without them"
    exit 0
fi
have=$(cat "$sysfs")
if [ "$have" -lt "$pages" ]; then
    echo "$pages" > "$sysfs" 2>/dev/null || true
    have=$(cat "$sysfs")
fi
if [ "$have" -lt "$pages" ]; then
    echo "setup-hugepages: only $have of $pages hugepages could be reserved (memory fragmented?); sluice-dp falls back to --no-huge when too few are free"
else
    echo "setup-hugepages: $have hugepages of 2 MiB reserved"
fi
exit 0
