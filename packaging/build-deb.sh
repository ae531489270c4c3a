#!/bin/sh
# Build the Debian package from this tree with Debian's own tools and packages, check it with lintian, unpack it
# with dpkg -x and run the CLI from the unpacked package on fixtures, importing its dependencies from Debian's
# /usr/lib/python3/dist-packages only: the proof that the version floors in pyproject.toml hold on Debian 12.
#
#   packaging/build-deb.sh [-o OUTDIR]     (OUTDIR receives the .deb, the build log and lintian's output)
#
# Needs: dpkg-dev and the Build-Depends of packaging/debian/control (see .ci/setup); lintian if installed.
# Prints "build-deb: ok" last and exits 0 when everything passed.
set -eu

OUT=
while getopts o: opt; do
    case $opt in
        o) OUT=$OPTARG ;;
        *) echo "usage: $0 [-o OUTDIR]" >&2; exit 2 ;;
    esac
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
# A pyenv or virtualenv python3 earlier in PATH would build the wheel with the wrong interpreter.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV || true

# Many small files: RAM is much faster than this disk.
BASE=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && BASE=/dev/shm
WORK=$(mktemp -d "$BASE/numaprobe-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$REPO/numaprobe/__init__.py")
DEBVERSION=$(dpkg-parsechangelog -l "$REPO/packaging/debian/changelog" -S Version)
if [ "${DEBVERSION%-*}" != "$VERSION" ]; then
    echo "build-deb: packaging/debian/changelog says $DEBVERSION but numaprobe is $VERSION" >&2
    exit 1
fi
SRC=$WORK/numaprobe-$VERSION
mkdir "$SRC"

# The tree as the developer sees it: tracked and new files, not ignored ones (caches, build output).
cd "$REPO"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
        | tar --null -T - -cf - | tar -xf - -C "$SRC"
else
    tar --exclude=.git --exclude=__pycache__ --exclude=build --exclude='*.egg-info' -cf - . | tar -xf - -C "$SRC"
fi
cp -R packaging/debian "$SRC/debian"

echo "build-deb: dpkg-buildpackage -us -uc -b in $SRC"
start=$(date +%s)
if ! (cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
    tail -40 "$WORK/build.log" >&2
    [ -n "$OUT" ] && mkdir -p "$OUT" && cp "$WORK/build.log" "$OUT/"
    echo "build-deb: dpkg-buildpackage failed" >&2
    exit 1
fi
echo "build-deb: built in $(($(date +%s) - start)) s"
DEB=$(ls "$WORK"/numaprobe_*_all.deb)
CHANGES=$(ls "$WORK"/numaprobe_*.changes)

status=0
fail() { echo "build-deb: FAIL: $*" >&2; status=1; }

if command -v lintian >/dev/null; then
    lrc=0
    lintian --fail-on error --display-info "$CHANGES" >"$WORK/lintian.raw" 2>&1 || lrc=$?
    grep -v "running with root privileges" "$WORK/lintian.raw" >"$WORK/lintian.txt" || true
    [ "$lrc" = 0 ] || fail "lintian exited $lrc (errors, or lintian itself failed)"
    echo "build-deb: lintian: $(grep -c '^E:' "$WORK/lintian.txt" || true) errors, $(grep -c '^W:' "$WORK/lintian.txt" || true) warnings, $(grep -c '^I:' "$WORK/lintian.txt" || true) info"
    sed 's/^/  /' "$WORK/lintian.txt"
else
    echo "build-deb: lintian not installed, not run"
fi

ROOT=$WORK/root
dpkg -x "$DEB" "$ROOT"

# What the package must contain: the command, a man page per command, both completions.
for f in usr/bin/numaprobe usr/share/man/man8/numaprobe.8.gz usr/share/bash-completion/completions/numaprobe \
         usr/share/zsh/vendor-completions/_numaprobe usr/share/doc/numaprobe/copyright; do
    [ -e "$ROOT/$f" ] || fail "$f missing from the package"
done
[ "$(head -1 "$ROOT/usr/bin/numaprobe")" = "#!/usr/bin/python3" ] || fail "usr/bin/numaprobe does not start with #!/usr/bin/python3"
SITE=$ROOT/usr/lib/python3/dist-packages
[ -d "$SITE/numaprobe" ] || fail "no numaprobe module under /usr/lib/python3/dist-packages"

# Run only with the unpacked package and Debian's libraries: no source tree, no user site, no pyenv.
run() {
    (cd "$WORK" && env -i PATH=/usr/bin:/bin LANG=C.UTF-8 PYTHONPATH="$SITE" PYTHONDONTWRITEBYTECODE=1 \
        /usr/bin/python3 -s "$@")
}

run -c '
import sys, numaprobe, typer, click, construct, psutil, pyudev
root = sys.argv[1]
assert numaprobe.__file__.startswith(root + "/"), numaprobe.__file__
for m in (typer, click, construct, psutil, pyudev):
    assert m.__file__.startswith("/usr/lib/python3/dist-packages/"), m.__file__
print("build-deb: imports: numaprobe from the package; typer %s, click %s, construct %s, psutil %s, pyudev %s from Debian"
      % (typer.__version__, click.__version__, construct.__version__, psutil.__version__, pyudev.__version__))
' "$ROOT" || fail "imports do not come from the package and Debian"

FIX=$REPO/sysfs_fixtures/2s2c-3node-hmat-cache.tar.gz
EDITED=$REPO/sysfs_fixtures/edited/cpu-node-mismatch.tar.gz
BIN=$ROOT/usr/bin/numaprobe

# smoke EXPECTED_STATUSES COMMAND ARGS...: run one command; a command whose module is not in this tree is skipped.
smoke() {
    expect=$1; shift
    cmd=$1
    case $cmd in
        -*) ;;
        *) if [ ! -e "$SRC/numaprobe/cli/$cmd.py" ]; then echo "build-deb: smoke: $cmd: not in this tree, skipped"; return; fi ;;
    esac
    set +e
    run "$BIN" "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    set -e
    case " $expect " in
        *" $rc "*) ;;
        *) fail "numaprobe $* exited $rc (expected $expect): $(head -c 600 "$WORK/err")"; return ;;
    esac
    if [ ! -s "$WORK/out" ]; then fail "numaprobe $* printed nothing"; return; fi
    if grep -q Traceback "$WORK/err"; then fail "numaprobe $* printed a traceback"; return; fi
    case " $* " in
        *" --json "*)
            run -c 'import json, sys, numaprobe
doc = json.load(open(sys.argv[1]))
assert doc["schema_version"] == numaprobe.SCHEMA_VERSION, doc.get("schema_version")' "$WORK/out" \
                || { fail "numaprobe $* did not print a JSON document with schema_version"; return; } ;;
    esac
    echo "build-deb: smoke: numaprobe $* -> $rc, $(wc -l <"$WORK/out") lines"
}

smoke 0 --version
grep -qx "numaprobe $VERSION" "$WORK/out" || fail "--version printed $(cat "$WORK/out")"
smoke 0 --help
smoke 0 probe --root "$FIX"
smoke 0 probe --root "$FIX" --json
smoke 0 tables --root "$FIX"
smoke "0 1" check --root "$FIX"
smoke 1 check --root "$EDITED"
smoke 0 physinfo --root "$FIX"
smoke 0 numastat --root "$FIX"
smoke 0 simulate --root "$FIX" --domain vm:vcpus=2,memory=512M
smoke 0 advise --root "$FIX" --vcpus 2 --memory 1G
smoke 0 advise --root "$FIX" --vcpus 2 --memory 1G --format libvirt
smoke 1 advise --root "$FIX" --vcpus 64 --memory 1T
smoke 0 capture --help
# The shared QEMU captures (real Linux 6.1 kernels), when this checkout sits next to ../shared.
for cap in "$REPO"/../shared/corpus/qemu/*.tar.gz; do
    [ -e "$cap" ] || continue
    smoke 0 probe --root "$cap" --json
    smoke "0 1" check --root "$cap"
done
set +e
run "$BIN" probe --root "$WORK/no-such-capture" >/dev/null 2>"$WORK/err"
rc=$?
set -e
if [ "$rc" != 2 ] || [ "$(wc -l <"$WORK/err")" != 1 ]; then
    fail "a missing --root should give exit 2 and one line, gave $rc: $(cat "$WORK/err")"
else
    echo "build-deb: smoke: numaprobe probe --root MISSING -> 2, one line on stderr"
fi

if command -v mandoc >/dev/null; then
    for page in "$ROOT"/usr/share/man/man8/*.8.gz; do
        mandoc -Tlint -Wwarning "$page" || fail "mandoc -Tlint: $page"
    done
    echo "build-deb: man pages: $(ls "$ROOT"/usr/share/man/man8 | tr '\n' ' ')"
fi

if [ -n "$OUT" ]; then
    mkdir -p "$OUT"
    cp "$DEB" "$WORK/build.log" "$OUT/"
    [ -f "$WORK/lintian.txt" ] && cp "$WORK/lintian.txt" "$OUT/"
fi
if [ "$status" = 0 ]; then
    echo "build-deb: ok ($(basename "$DEB"), $(($(date +%s) - start)) s in all)"
fi
exit $status
