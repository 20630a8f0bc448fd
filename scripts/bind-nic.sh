#!/usr/bin/env bash
# Hands a PCI NIC to DPDK (vfio-pci) or back to its kernel driver.
#
#   scripts/bind-nic.sh status                 what dpdk-devbind sees
#   scripts/bind-nic.sh bind PCI               e.g. 0000:03:00.0 -> vfio-pci
#   scripts/bind-nic.sh unbind PCI DRIVER      e.g. 0000:03:00.0 ixgbe
#
# The NIC must not carry the address you are logged in through: once bound, the kernel no
# longer sees it. Put the same PCI address in eal.pci and ports[].device of sluice-dp.conf.
set -euo pipefail
devbind=$(command -v dpdk-devbind.py || true)
[ -n "$devbind" ] || { echo "bind-nic: dpdk-devbind.py not found (package dpdk); run scripts/setup-deps.sh" >&2; exit 1; }

case "${1:-}" in
    status)
        exec "$devbind" --status-dev net
        ;;
    bind)
        pci=${2:?PCI address}
        modprobe vfio-pci
        if [ ! -d /sys/kernel/iommu_groups ] || [ -z "$(ls -A /sys/kernel/iommu_groups)" ]; then
            echo "bind-nic: no IOMMU groups: enable VT-d/AMD-Vi (intel_iommu=on iommu=pt) or use vfio no-IOMMU mode" >&2
            exit 1
        fi
        ip -o link show | awk -F': ' '{print $2}' | while read -r ifc; do
            if [ "$(basename "$(readlink -f "/sys/class/net/$ifc/device" 2>/dev/null)")" = "$pci" ]; then
                ip link set "$ifc" down
            fi
        done
        "$devbind" --bind=vfio-pci "$pci"
        "$devbind" --status-dev net | grep -F "$pci"
        ;;
    unbind)
        pci=${2:?PCI address}
        drv=${3:?kernel driver}
        "$devbind" --bind="$drv" "$pci"
        ;;
    *)
        sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
        exit 1
        ;;
esac
