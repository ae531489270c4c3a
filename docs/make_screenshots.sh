#!/bin/sh
# Remakes the README's report screenshots (docs/report-*.png) with Debian's headless Chromium (.ci/setup).
# usage: sh docs/make_screenshots.sh   (from the checkout; ../shared must hold the hwloc corpus)
set -eu
cd "$(dirname "$0")/.."
TMP=$(mktemp -d /dev/shm/numaprobe-shots.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$TMP"' EXIT
shot() {  # shot NAME HEIGHT numaprobe-report-args...
    name=$1 height=$2
    shift 2
    /usr/bin/python3 -m numaprobe report "$@" -o "$TMP/$name.html"
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$TMP/profile-$name" \
        --window-size=1280,"$height" --screenshot="docs/report-$name.png" "file://$TMP/$name.html" 2>/dev/null
}
shot 2node 1000 --root sysfs_fixtures/2s4c2t-2node-pxb.tar.gz
shot nps4 1150 --root sysfs_fixtures/2s8c2t-8node-nps4-nvme.tar.gz --advise vcpus=8,memory=768M
shot 64node 1250 --root ../shared/corpus/hwloc-linux/256ia64-64n2s2c.tar.bz2
