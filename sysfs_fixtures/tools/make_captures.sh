#!/bin/bash
# Rebuilds the project's own QEMU captures (sysfs_fixtures/*.tar.gz) with ../shared/tools/qemu-capture.
# usage: OUTDIR=/dev/shm/qc sysfs_fixtures/tools/make_captures.sh [name ...]   (default: all, in sequence)
# Needs: apt-get install qemu-system-x86 linux-image-amd64 busybox-static cpio gzip bc
# Run one at a time: each boot takes 10-25 s of TCG on a shared 2-core host.
# The output is not bit-for-bit reproducible (boot timings, free memory, dmesg timestamps differ).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG=${RIG:-$HERE/../../../shared/tools/qemu-capture}
OUTDIR=${OUTDIR:-/dev/shm/qc}
export NUMAPROBE_QEMU_CACHE=${NUMAPROBE_QEMU_CACHE:-$OUTDIR/cache}
# The kernel these fixtures were made with (Debian 12 linux-image-amd64).
export KERNEL=${KERNEL:-/boot/vmlinuz-6.1.0-56-amd64}
mkdir -p "$OUTDIR"

mem() { echo "-object memory-backend-ram,id=m$1,size=$2"; }

run() {   # run NAME [ENV=..] -- qemu args
    local name=$1; shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" "$RIG/capture.sh" "$OUTDIR/$name.tar.gz" -- "$@"
    echo "$name rc=$?" >&2
}

# 1. Two sockets x 4 cores x 2 threads, one node per socket, SLIT 10/21; a PCI expander bus on
#    each node (pxb-pcie, bus 0x40 on node 0, bus 0x80 on node 1), the root bus has no node.
cap_2s4c2t() {
    run 2s4c2t-2node-pxb -- \
        -smp 16,sockets=2,cores=4,threads=2 -m 2G \
        $(mem 0 1G) $(mem 1 1G) \
        -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1 \
        -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 \
        -numa dist,src=0,dst=1,val=21 \
        -device pxb-pcie,id=pxb0,bus_nr=64,numa_node=0,bus=pcie.0 \
        -device pcie-root-port,id=rp0,bus=pxb0,chassis=1 -device virtio-rng-pci,bus=rp0 \
        -device pxb-pcie,id=pxb1,bus_nr=128,numa_node=1,bus=pcie.0 \
        -device pcie-root-port,id=rp1,bus=pxb1,chassis=2 -device virtio-rng-pci,bus=rp1
}

# 2. One socket x 8 cores split in 4 nodes (SNC-4), Intel-like SLIT: 11 to the neighbour
#    cluster (0-1, 2-3), 12 to the other two.
cap_snc4() {
    run 1s8c-snc4-10-11-12 -- \
        -smp 8,sockets=1,cores=8 -m 2G \
        $(mem 0 512M) $(mem 1 512M) $(mem 2 512M) $(mem 3 512M) \
        -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1 \
        -numa node,nodeid=2,memdev=m2 -numa node,nodeid=3,memdev=m3 \
        -numa cpu,node-id=0,socket-id=0,core-id=0 -numa cpu,node-id=0,socket-id=0,core-id=1 \
        -numa cpu,node-id=1,socket-id=0,core-id=2 -numa cpu,node-id=1,socket-id=0,core-id=3 \
        -numa cpu,node-id=2,socket-id=0,core-id=4 -numa cpu,node-id=2,socket-id=0,core-id=5 \
        -numa cpu,node-id=3,socket-id=0,core-id=6 -numa cpu,node-id=3,socket-id=0,core-id=7 \
        -numa dist,src=0,dst=1,val=11 -numa dist,src=0,dst=2,val=12 -numa dist,src=0,dst=3,val=12 \
        -numa dist,src=1,dst=2,val=12 -numa dist,src=1,dst=3,val=12 -numa dist,src=2,dst=3,val=11
}

# 3. Memory-only node in the middle: PXM 0 and PXM 2 have the CPUs, PXM 1 only memory.
#    Linux numbers CPU domains first, so PXM 2 becomes node 1 and the memory-only PXM 1 node 2.
cap_memonly() {
    run 2s2c-3node-memonly-pxm1 -- \
        -smp 4,sockets=2,cores=2 -m 3G \
        $(mem 0 1G) $(mem 1 1G) $(mem 2 1G) \
        -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1 -numa node,nodeid=2,memdev=m2 \
        -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=2,socket-id=1 \
        -numa dist,src=0,dst=1,val=17 -numa dist,src=0,dst=2,val=21 -numa dist,src=1,dst=2,val=28
}

# 4. HMAT: 2 CPU nodes and a far memory-only node 2 (initiator 0), latency and bandwidth for
#    every initiator/target pair, memory-side caches on node 1 (16M) and node 2 (64M).
cap_hmat() {
    local lb=() i t lat bw
    for i in 0 1; do for t in 0 1 2; do
        if [ $t = 2 ]; then lat=$((250 + 50 * i)); bw=$((4 - 2 * i))G
        elif [ $i = $t ]; then lat=80; bw=20G
        else lat=140; bw=10G; fi
        lb+=(-numa "hmat-lb,initiator=$i,target=$t,hierarchy=memory,data-type=access-latency,latency=$lat"
             -numa "hmat-lb,initiator=$i,target=$t,hierarchy=memory,data-type=access-bandwidth,bandwidth=$bw")
    done; done
    run 2s2c-3node-hmat-cache -- \
        -machine hmat=on \
        -smp 4,sockets=2,cores=2 -m 3G \
        $(mem 0 1G) $(mem 1 1G) $(mem 2 1G) \
        -numa node,nodeid=0,memdev=m0,initiator=0 -numa node,nodeid=1,memdev=m1,initiator=1 \
        -numa node,nodeid=2,memdev=m2,initiator=0 \
        -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 \
        -numa dist,src=0,dst=1,val=21 -numa dist,src=0,dst=2,val=30 -numa dist,src=1,dst=2,val=35 \
        "${lb[@]}" \
        -numa hmat-cache,node-id=1,size=16M,level=1,associativity=direct,policy=write-back,line=64 \
        -numa hmat-cache,node-id=2,size=64M,level=1,associativity=complex,policy=write-through,line=64
}

# 5. Unequal nodes, sparse PXM: QEMU node 0 = 2 CPUs (socket 3) + 512M, QEMU node 3 = 6 CPUs
#    (sockets 0-2) + 2560M, nodes 1-2 declared empty (QEMU refuses id gaps). CPU 0 (APIC 0) is in
#    PXM 3, so Linux makes PXM 3 node 0 and PXM 0 (which holds the low memory) node 1.
cap_sparse() {
    run 4s2c-uneven-sparse-pxm3-first -- \
        -smp 8,sockets=4,cores=2 -m 3G \
        $(mem 0 512M) $(mem 3 2560M) \
        -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1 -numa node,nodeid=2 \
        -numa node,nodeid=3,memdev=m3 \
        -numa cpu,node-id=3,socket-id=0 -numa cpu,node-id=3,socket-id=1 \
        -numa cpu,node-id=3,socket-id=2 -numa cpu,node-id=0,socket-id=3 \
        $(sparse_dists)
}
# The same with 2 sockets x 4 cores, so node 0 (PXM 3) holds socket 0 and half of socket 1:
# hwloc 2.9 reports "intersection without inclusion" on this tree and hangs node 0 off the Machine.
cap_sparse_split() {
    run 2s4c-uneven-sparse-pxm3-node-splits-package -- \
        -smp 8,sockets=2,cores=4 -m 3G \
        $(mem 0 512M) $(mem 3 2560M) \
        -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1 -numa node,nodeid=2 \
        -numa node,nodeid=3,memdev=m3 \
        -numa cpu,node-id=3,socket-id=0 \
        -numa cpu,node-id=3,socket-id=1,core-id=0 -numa cpu,node-id=3,socket-id=1,core-id=1 \
        -numa cpu,node-id=0,socket-id=1,core-id=2 -numa cpu,node-id=0,socket-id=1,core-id=3 \
        $(sparse_dists)
}
# QEMU 7.2 needs a distance for every node pair once one is given, empty nodes included:
# 0<->3 = 20, any pair with an empty node (1, 2) = 40.
sparse_dists() {
    local i j
    for i in 0 1 2 3; do for j in 0 1 2 3; do
        [ $i -lt $j ] || continue
        if [ $i = 0 ] && [ $j = 3 ]; then echo "-numa dist,src=$i,dst=$j,val=20"
        else echo "-numa dist,src=$i,dst=$j,val=40"; fi
    done; done
}

# 6. Memory hotplug: SRAT hot-pluggable range (QEMU puts it on the highest PXM), two cold-plugged
#    DIMMs, 512M on node 0 and 1G on node 1, onlined by memhp_default_state=online.
cap_hotplug() {
    run 2s2c-2node-memhotplug-2dimm APPEND=memhp_default_state=online -- \
        -smp 4,sockets=2,cores=2 -m 2G,slots=4,maxmem=8G \
        $(mem 0 1G) $(mem 1 1G) \
        -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1 \
        -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 \
        -numa dist,src=0,dst=1,val=21 \
        -object memory-backend-ram,id=dimm0mem,size=512M -device pc-dimm,id=dimm0,memdev=dimm0mem,node=0 \
        -object memory-backend-ram,id=dimm1mem,size=1G -device pc-dimm,id=dimm1,memdev=dimm1mem,node=1
}

# 7. No NUMA at all: two sockets, no -numa option, so no SRAT and no SLIT.
cap_nonuma() {
    run 2s2c2t-nonuma-nosrat -- \
        -smp 8,sockets=2,cores=2,threads=2 -m 1G
}

# 7b. The same machine with the kernel's fake NUMA (numa=fake=2): nodes that no SRAT describes.
cap_numafake() {
    run 2s2c2t-nonuma-numafake2 APPEND=numa=fake=2 -- \
        -smp 8,sockets=2,cores=2,threads=2 -m 1G
}

# 7c. A node with CPUs and no memory: QEMU node 1 has socket 1 and no memdev, so SRAT has
#     APIC entries for PXM 1 and no memory entry.
cap_memless() {
    run 2s2c-2node-memoryless-node1 -- \
        -smp 4,sockets=2,cores=2 -m 2G \
        $(mem 0 2G) \
        -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1 \
        -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 \
        -numa dist,src=0,dst=1,val=21
}

# 8. Placement playground: 4 sockets x 4 cores, 2 nodes per socket (NPS2/SNC2-like), 8 nodes.
#    SLIT: 10 local, 12 same socket, 20 neighbour socket (0-1, 0-2, 1-3, 2-3), 32 diagonal
#    (0-3, 1-2). Memory 4G, uneven: node 0 2G, node 5 512M, the other six 256M.
cap_8node() {
    local numa=() n s c sizes=(2G 256M 256M 256M 256M 512M 256M 256M)
    for n in 0 1 2 3 4 5 6 7; do
        numa+=(-object "memory-backend-ram,id=m$n,size=${sizes[$n]}" -numa "node,nodeid=$n,memdev=m$n")
    done
    for s in 0 1 2 3; do for c in 0 1 2 3; do
        numa+=(-numa "cpu,node-id=$((2 * s + c / 2)),socket-id=$s,core-id=$c")
    done; done
    local a b sa sb d
    for a in 0 1 2 3 4 5 6 7; do for b in 0 1 2 3 4 5 6 7; do
        [ $a -lt $b ] || continue
        sa=$((a / 2)); sb=$((b / 2))
        if [ $sa = $sb ]; then d=12
        elif [ $((sa ^ sb)) = 3 ]; then d=32
        else d=20; fi
        numa+=(-numa "dist,src=$a,dst=$b,val=$d")
    done; done
    run 4s4c-8node-nps2-uneven -- \
        -smp 16,sockets=4,cores=4 -m 4G "${numa[@]}"
}

# 9. AMD EPYC-like NPS4 (issue 16's README picture): 2 sockets x 8 cores x 2 threads, 4 nodes per socket
#    (2 cores, 4 CPUs and 512M each). SLIT as Rome/Milan NPS4 firmware gives it: 10 local, 11 the
#    neighbour quadrant (0-1, 2-3 within a socket), 12 the other two quadrants, 32 the other socket.
#    Devices at nodes: an NVMe controller behind a PCI expander bus on node 2 (bus 0x40) and a virtio
#    network card behind one on node 5 (bus 0x80).
cap_nps4() {
    local numa=() n s c a b d
    for n in 0 1 2 3 4 5 6 7; do
        numa+=(-object "memory-backend-ram,id=m$n,size=512M" -numa "node,nodeid=$n,memdev=m$n")
    done
    for s in 0 1; do for c in 0 1 2 3 4 5 6 7; do
        numa+=(-numa "cpu,node-id=$((4 * s + c / 2)),socket-id=$s,core-id=$c")
    done; done
    for a in 0 1 2 3 4 5 6 7; do for b in 0 1 2 3 4 5 6 7; do
        [ $a -lt $b ] || continue
        if [ $((a / 4)) != $((b / 4)) ]; then d=32
        elif [ $((a / 2)) = $((b / 2)) ]; then d=11
        else d=12; fi
        numa+=(-numa "dist,src=$a,dst=$b,val=$d")
    done; done
    run 2s8c2t-8node-nps4-nvme -- \
        -smp 32,sockets=2,cores=8,threads=2 -m 4G "${numa[@]}" \
        -device pxb-pcie,id=pxb0,bus_nr=64,numa_node=2,bus=pcie.0 \
        -device pcie-root-port,id=rp0,bus=pxb0,chassis=1 \
        -drive if=none,id=nv0,file=null-co://,format=raw -device nvme,drive=nv0,serial=numaprobe0,bus=rp0 \
        -device pxb-pcie,id=pxb1,bus_nr=128,numa_node=5,bus=pcie.0 \
        -device pcie-root-port,id=rp1,bus=pxb1,chassis=2 \
        -netdev user,id=net0,restrict=on -device virtio-net-pci,netdev=net0,bus=rp1
}

# 10. Root causes in check (issue 14): the healthy 2-node firmware of qemu-capture's example a
#    (2 sockets x 2 cores x 2 threads, 1G per node, SLIT 10/21, pxb-pcie bus on node 1) booted so
#    that the kernel does not use it: numa=off, numa=fake=4, and arm64 UEFI (the kernel throws the
#    SRAT away by itself because UEFI reports RAM that SRAT does not cover).
example_a() {
    echo -smp 8,sockets=2,cores=2,threads=2 -m 2G \
        $(mem 0 1G) $(mem 1 1G) \
        -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1 \
        -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 \
        -numa dist,src=0,dst=1,val=21 \
        -device pxb-pcie,id=pxb1,bus_nr=128,numa_node=1,bus=pcie.0 \
        -device pcie-root-port,id=rp1,bus=pxb1,chassis=1 -device virtio-rng-pci,bus=rp1
}
cap_numaoff() {
    run 2s2c2t-2node-numaoff APPEND=numa=off -- $(example_a)
}
cap_numafake4() {
    run 2s2c2t-2node-numafake4 APPEND=numa=fake=4 -- $(example_a)
}
# qemu-capture's example arm: aarch64 virt + AAVMF UEFI + ACPI (SRAT with GICC entries, SLIT, HMAT).
# Needs qemu-system-arm qemu-efi-aarch64 and the arm64 kernel + busybox in $NUMAPROBE_QEMU_CACHE/arm64
# (../shared/tools/qemu-capture/README.md); KERNEL is the arm64 one there.
cap_arm64uefi() {
    run arm64-2s2c-2node-uefi-srat-rejected ARCH=aarch64 KERNEL=$NUMAPROBE_QEMU_CACHE/arm64/vmlinuz -- \
        -machine gic-version=3,hmat=on -smp 4,sockets=2,cores=2 -m 2G \
        $(mem 0 1G) $(mem 1 1G) \
        -numa node,nodeid=0,memdev=m0,initiator=0 -numa node,nodeid=1,memdev=m1,initiator=1 \
        -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 \
        -numa dist,src=0,dst=1,val=21 \
        -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=80 \
        -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=140 \
        -numa hmat-lb,initiator=1,target=0,hierarchy=memory,data-type=access-latency,latency=140 \
        -numa hmat-lb,initiator=1,target=1,hierarchy=memory,data-type=access-latency,latency=80
}

ALL=(2s4c2t snc4 memonly hmat sparse sparse_split hotplug nonuma numafake memless 8node nps4 numaoff numafake4 arm64uefi)
[ $# -gt 0 ] || set -- "${ALL[@]}"
for x in "$@"; do "cap_$x"; done
