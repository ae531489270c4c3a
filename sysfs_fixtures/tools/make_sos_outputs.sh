#!/bin/bash
# What sos would have recorded under sos_commands/ on each QEMU capture's guest, made with the real tools:
#   numactl --hardware  -- run in a private mount namespace with the capture's sys/devices/system/{node,cpu}
#                          bind-mounted over the host's (numactl has no --sysroot; libnuma reads only those)
#   lscpu -ae, lsmem -a -o RANGE,SIZE,STATE,REMOVABLE,ZONES,NODE,BLOCK -- with util-linux's own --sysroot
# usage (as root, Debian 12: numactl 2.0.16, util-linux 2.38.1):
#   sysfs_fixtures/tools/make_sos_outputs.sh            # every sysfs_fixtures/*.tar.gz
# Output: sysfs_fixtures/sos/commands/<capture>/{numactl_--hardware,lscpu_-ae,lsmem_-a_-o_...}; the tests lay
# each capture out as a sosreport around these (sysfs_fixtures/tools/sos_layout.py). numactl's output is also
# the oracle for probe's numactl block on the derived reports.
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIX=$HERE/..
OUT=$FIX/sos/commands
WORK=$(mktemp -d /dev/shm/sos-outputs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LSMEM=lsmem_-a_-o_RANGE_SIZE_STATE_REMOVABLE_ZONES_NODE_BLOCK
for tarball in "$FIX"/*.tar.gz; do
    name=$(basename "$tarball" .tar.gz)
    tree=$WORK/$name
    mkdir -p "$tree" "$OUT/$name"
    tar -xzf "$tarball" -C "$tree"
    lscpu -ae --sysroot "$tree" > "$OUT/$name/lscpu_-ae"
    lsmem -a -o RANGE,SIZE,STATE,REMOVABLE,ZONES,NODE,BLOCK --sysroot "$tree" > "$OUT/$name/$LSMEM" || true
    if [ -d "$tree/sys/devices/system/node" ]; then
        unshare -m sh -c "mount --bind '$tree/sys/devices/system/node' /sys/devices/system/node &&
                          mount --bind '$tree/sys/devices/system/cpu' /sys/devices/system/cpu &&
                          numactl --hardware" > "$OUT/$name/numactl_--hardware"
    fi
    echo "$name: $(head -1 "$OUT/$name/numactl_--hardware" 2>/dev/null)"
done
