"""The CLI misuse matrix: every command, every option, wrong values -> one line on stderr, exit 2, no traceback.

The matrix is generated from the CLI itself (the click command tree typer builds): every command gets unknown
options, stray arguments, options missing their value and missing required options; every option of every
command gets the bad values listed for it below, and a test fails when an option has none listed, so a new
command or option cannot escape. Cases run in process (fast); unreadable files run in a child as `nobody`.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from audit import SAMPLES, cli_commands, nobody_preexec, one_clean_line, run_audited
from oracles import SCRATCH

COMMANDS = cli_commands()

# Bad values by (command, parameter name) or parameter name. Callables build a path in the private place `p`.
ROOT_BAD = [
    lambda p: str(p / "missing.tar.gz"),
    lambda p: _write(p / "text.tar.gz", b"this is not a capture\n"),
    lambda p: _write(p / "empty.tar", b""),
    lambda p: _write(p / "table.tar.gz", bytes.fromhex("53524154") + bytes(60)),  # a table, not an archive
    lambda p: _mkdir(p / "no-sys-or-proc"),
    lambda p: _fifo(p / "fifo"),
    lambda p: "/dev/null",
    lambda p: "",
]
FILE_BAD = [
    lambda p: str(p / "missing.dat"),
    lambda p: _write(p / "text.txt", b"hello, not a table\n"),
    lambda p: _write(p / "empty.dat", b""),
    lambda p: _write(p / "short.dat", b"SRAT\x30\x00"),
    lambda p: _write(p / "latin1-digit.dat", b"\xb2MAT" + bytes(60)),
    lambda p: _write(p / "dump.txt", b"SRAT @ 0x0\n  0000: 53 52 41 54\n  0040: 00 00\n"),  # rows not contiguous
    lambda p: _mkdir(p / "a-directory"),
    lambda p: _sparse(p / "sparse-6GiB.dat", 6 << 30),  # a hole, read no further than the size check
    lambda p: _fifo(p / "fifo"),  # opened non-blocking and refused: it once hung this test
]
OUT_BAD = [
    lambda p: str(p / "no" / "such" / "dir" / "c.tar.gz"),
    lambda p: _mkdir(p / "existing-dir"),
    lambda p: _fifo(p / "fifo.tar.gz"),
    lambda p: _chardev(p / "null.tar.gz"),
    lambda p: _symlink(p / "link.tar.gz", p / "elsewhere.tar.gz"),
    lambda p: "",
]
SIZES_BAD = ["12Q", "0", "-1G", "", "G", "1e9999G", "16GiBB", "1.5.2G", "nan", "inf", "-0"]
BAD = {
    "root": ROOT_BAD,
    "files": FILE_BAD,
    ("capture", "out"): OUT_BAD,
    ("capture", "snapshot"): OUT_BAD,
    "fmt": ["bogus", "", "JSON;rm"],
    "memory": SIZES_BAD,
    "vcpus": ["0", "-1", "abc", "1.5", ""],
    "count": ["0", "-1", "abc"],
    "sample": ["0", "-1", "nan", "inf", "-inf", "1e300", "abc"],
    "device": ["zz", "0000:ff:1f.7", "../../../etc/passwd"],  # "" means no device
    "hugepages": ["3M", "bogus", "", "2"],
    "mode": ["bogus", ""],
    "reserve": ["-1", "100", "nan", "abc"],
    "nodes": ["zz", "", "3-1"],
    "cpus": ["zz", "", "-1"],
    "libvirt_version": ["nine", "", "9.x", "1.2.3.4"],
    "seed": ["bogus", ""],
    ("simulate", "domains"): [
        "x", "", ":vcpus=1,memory=1G", "x:vcpus=2,memory=12Q", "x:vcpus=abc,memory=1G", "x:vcpus=0,memory=1G",
        "x:vcpus=2", "x:memory=1G", "x:vcpus=2,memory=1G,bogus=1", "x:vcpus=2,memory=1G,policy=bogus",
        "x:vcpus=1,memory=0", "x:vcpus=1,memory=0.5", "x:vcpus=1,memory=-1G",
        # bad node lists
        "x:vcpus=2,memory=1G,nodes=zz", "x:vcpus=2,memory=1G,nodes=0+x", "x:vcpus=2,memory=1G,nodes=1-3",
        "x:vcpus=2,memory=1G,nodes=0", "x:vcpus=2,memory=1G,nodes=-1", "x:vcpus=2,memory=1G,nodes=999",
        "x:vcpus=2,memory=1G,nodes=0+0", "x:vcpus=2,memory=1G,nodes=0+-1", "x:vcpus=2,memory=1G,nodes=5+7",
    ],
    ("numastat", "pids"): ["abc", "-1", "99999999", ""],
    ("numastat", "domain"): ["no-such-guest", ""],
    ("capture", "pids"): ["abc", "1.5", ""],
    ("report", "output"): OUT_BAD,
    ("report", "advise"): [
        "", "vcpus=2", "memory=1G", "vcpus=x,memory=1G", "vcpus=-1,memory=1G", "vcpus=0,memory=1G",
        "vcpus=2,memory=12Q", "vcpus=2,memory=1G,bogus=1", "vcpus=2,vcpus=3,memory=1G", "vcpus=2,memory=1G,mode=x",
        "vcpus=2,memory=1G,hugepages=3M", "vcpus=2,memory=1G,device=zz", "vcpus=2,,memory=1G", "vcpus=2;memory=1G",
    ],
    ("fleet", "jobs"): ["-1", "abc", "", "1.5"],
    ("fleet", "html"): OUT_BAD,
    ("fleet", "scheduler"): ["", "tcp://", "no-port", "http://x:1", "tcp://a b:1"],
}
# Options that accept any value by design (a search pattern); they still get the generic checks.
# fleet's PATHs: an unreadable one is a row with its error (exit 1), never the end of a run (tests/test_fleet.py).
ANY_VALUE = {("numastat", "name"), ("fleet", "paths")}


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def _sparse(path: Path, size: int) -> str:
    with open(path, "wb") as f:
        f.write(b"SRAT")
        f.truncate(size)
    return str(path)


def _mkdir(path: Path) -> str:
    path.mkdir(exist_ok=True)
    return str(path)


def _fifo(path: Path) -> str:
    if not path.exists():
        os.mkfifo(path)
    return str(path)


def _chardev(path: Path) -> str:
    if os.geteuid() != 0:
        return _fifo(path)
    if not path.exists():
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a second /dev/null
    return str(path)


def _symlink(path: Path, target: Path) -> str:
    target.write_bytes(b"keep me")
    if not path.is_symlink():
        os.symlink(target, path)
    return str(path)


def bad_values(command: str, param):
    if (command, param.name) in BAD:
        return BAD[(command, param.name)]
    return BAD.get(param.name)


def _base(name: str, place: Path):
    if name == "capture":
        return [str(place / "base.tar.gz"), "--no-dmesg"]
    return list(SAMPLES.get(name, [[]])[0])


def _replace_option(argv, opts, value):
    """argv with the option (any of its spellings) removed, then OPT VALUE appended."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in opts:
            skip = True
            continue
        out.append(a)
    return out + [opts[0], value]


def _matrix():
    for name, cmd in sorted(COMMANDS.items()):
        yield name, "unknown-option", ["--no-such-option"], None
        yield name, "unknown-option-with-value", ["--no-such-option=3"], None
        yield name, "unknown-short-option", ["-Z"], None
        if not any(p.param_type_name == "argument" for p in cmd.params):
            yield name, "stray-argument", ["stray"], None
        for p in cmd.params:
            if p.param_type_name == "option" and not p.is_flag:
                yield name, "missing-value-" + p.name, [p.opts[0]], "append-last"
            if p.param_type_name == "option" and p.is_flag:
                yield name, "flag-with-value-" + p.name, [p.opts[0] + "=3"], None
            if p.required:
                yield name, "without-" + p.name, p, "drop"
            values = bad_values(name, p)
            for i, v in enumerate(values or ()):
                yield name, "bad-%s-%d" % (p.name, i), (p, v), "value"


CASES = list(_matrix())


def test_every_option_of_every_command_has_bad_values():
    missing = []
    for name, cmd in COMMANDS.items():
        for p in cmd.params:
            if p.param_type_name == "option" and p.is_flag:
                continue
            if bad_values(name, p) is None and (name, p.name) not in ANY_VALUE:
                missing.append("%s %s" % (name, "/".join(p.opts)))
    assert not missing, "list bad values for these in BAD (tests/test_cli_misuse.py): %s" % missing
    assert len(CASES) > 100


@pytest.fixture(scope="module")
def place():
    d = Path(tempfile.mkdtemp(prefix="numaprobe-misuse-", dir=str(SCRATCH) if SCRATCH else None))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _argv(name, extra, how, place):
    argv = _base(name, place)
    if how is None:
        return [name] + argv + extra
    if how == "append-last":
        return [name] + argv + extra
    if how == "drop":
        p = extra
        if p.param_type_name == "argument":
            return [name] + [a for a in argv if a != argv[0]]
        return [name] + _replace_option(argv, p.opts, "")[:-2]
    p, value = extra
    value = value(place) if callable(value) else value
    if p.param_type_name == "argument":
        if name == "capture":
            return [name, value] + argv[1:]
        return [name] + argv + [value]
    return [name] + _replace_option(argv, p.opts, value)


@pytest.mark.parametrize("name,case,extra,how", CASES, ids=["%s:%s" % (c[0], c[1]) for c in CASES])
def test_misuse_is_one_line_and_exit_2(name, case, extra, how, place, cli, monkeypatch):
    monkeypatch.chdir(place)
    before = sorted(os.listdir(place))
    argv = _argv(name, extra, how, place)
    code, out, err = cli(*argv)
    assert code == 2, (argv, code, out[:300], err)
    assert out == "", (argv, out[:300])
    assert one_clean_line(err), (argv, err)
    assert "\x1b" not in err
    if name in ("capture", "report", "fleet"):
        # nothing left behind by a refused capture or report; a pre-existing special target is untouched
        created = set(os.listdir(place)) - set(before)
        assert all(not c.startswith(".") for c in created), created
        for special in ("fifo.tar.gz", "null.tar.gz"):
            if (place / special).exists():
                assert not stat.S_ISREG(os.lstat(place / special).st_mode)
        if (place / "link.tar.gz").is_symlink():
            assert (place / "elsewhere.tar.gz").read_bytes() == b"keep me"


UNREADABLE = {
    "root": lambda p: _write(p / "unreadable.tar.gz", b"\x1f\x8b" + bytes(100)),
    "files": lambda p: _write(p / "unreadable.dat", b"SRAT" + bytes(60)),
}


def _unreadable_cases():
    for name, cmd in sorted(COMMANDS.items()):
        for p in cmd.params:
            if p.name in UNREADABLE:
                yield name, p


@pytest.mark.parametrize("name,param", list(_unreadable_cases()),
                         ids=["%s:%s" % (n, p.name) for n, p in _unreadable_cases()])
def test_unreadable_file_is_one_line_and_exit_2(name, param, place):
    preexec = nobody_preexec()
    os.chmod(place, 0o755)
    path = UNREADABLE[param.name](place)
    os.chmod(path, 0o000)
    argv = _argv(name, (param, path), "value", place)
    run = run_audited(argv, cwd=str(place), preexec=preexec)
    assert run.code == 2, (argv, run.code, run.err)
    assert run.out == "" and one_clean_line(run.err), run.err
    assert "ermission denied" in run.err


def test_capture_in_an_unwritable_directory_as_nobody(place):
    preexec = nobody_preexec()
    locked = place / "locked"
    locked.mkdir(exist_ok=True)
    os.chmod(locked, 0o755)
    run = run_audited(["capture", "--no-dmesg", str(locked / "c.tar.gz")], cwd=str(place), preexec=preexec)
    assert run.code == 2 and one_clean_line(run.err) and "cannot write" in run.err, run.err
    assert os.listdir(locked) == []
