"""numaprobe without root: as `nobody`, root-only ACPI tables are a note, not an error; everything else works.

On a live host /sys/firmware/acpi/tables/* are mode 0400 root. This VM may have no SRAT at all, so the same
situation is also built from a QEMU capture whose tables are made root-only, read by `nobody` with --root.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import pytest

from audit import SAMPLES, WRITERS, cli_commands, nobody_preexec, ok_codes, run_audited
from oracles import QEMU_CORPUS, SCRATCH, need_shared, unpack

TABLES = "sys/firmware/acpi/tables"
COMMANDS = cli_commands()
READ_ONLY = sorted(set(COMMANDS) - WRITERS)


@pytest.fixture(scope="module")
def place():
    d = Path(tempfile.mkdtemp(prefix="numaprobe-nobody-", dir=str(SCRATCH) if SCRATCH else None))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("name", READ_ONLY)
def test_every_read_only_command_works_as_nobody_on_the_live_host(name, place):
    argv = [name] + SAMPLES.get(name, [[]])[0]
    as_root = run_audited(argv, cwd=str(place))
    run = run_audited(argv, cwd=str(place), preexec=nobody_preexec())
    assert run.code == as_root.code and run.code in ok_codes(name), (run.err, as_root.err)
    assert run.err == "", run.err
    assert run.out
    assert run.events == []


def test_live_numa_tables_are_notes_as_nobody(place):
    run = run_audited(["tables", "--json"], cwd=str(place), preexec=nobody_preexec())
    assert run.code == 0, run.err
    notes = {n["message"].split(":")[0]: n["code"] for n in json.loads(run.out)["notes"]}
    for sig in ("SRAT", "SLIT", "HMAT"):
        present = os.path.exists("/" + TABLES + "/" + sig)
        assert notes[sig] == ("acpi-table-unreadable" if present else "acpi-table-absent"), (sig, notes)
    # the live state for an unprivileged user: the table files exist but are root-only
    some = sorted(os.listdir("/" + TABLES))
    files = [t for t in some if os.path.isfile("/" + TABLES + "/" + t)]
    if files:
        assert not os.stat("/" + TABLES + "/" + files[0]).st_mode & 0o044, "ACPI tables readable by others here"


@pytest.fixture(scope="module")
def root_only_tables(place):
    """A QEMU capture (2 nodes, SRAT and SLIT) whose ACPI tables are root-only, as on a live host."""
    tree = unpack(need_shared(QEMU_CORPUS / "a-2node-2s2c2t.tar.gz"), place / "qemu-a")
    for dirpath, dirnames, filenames in os.walk(tree):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            if not os.path.islink(os.path.join(dirpath, f)):
                os.chmod(os.path.join(dirpath, f), 0o444)
    for t in os.listdir(tree / TABLES):
        if (tree / TABLES / t).is_file():
            os.chmod(tree / TABLES / t, 0o400)
    assert (tree / TABLES / "SRAT").exists()
    return tree


def _on_tree(name, tree):
    if any("--root" in p.opts for p in COMMANDS[name].params):
        return [name] + SAMPLES.get(name, [[]])[0] + ["--root", str(tree)]
    return [name, str(tree)]  # fleet takes its machines as arguments


@pytest.mark.parametrize("name", READ_ONLY)
def test_root_only_tables_are_a_note_for_every_command(name, root_only_tables, place):
    argv = _on_tree(name, root_only_tables)
    as_root = run_audited(argv, cwd=str(place))
    run = run_audited(argv, cwd=str(place), preexec=nobody_preexec())
    assert run.code == as_root.code and run.code in ok_codes(name), (run.err, as_root.err)
    assert run.err == "" and run.events == []


def test_tables_says_why_as_nobody_and_decodes_as_root(root_only_tables, place):
    argv = ["tables", "--root", str(root_only_tables)]
    run = run_audited(argv, cwd=str(place), preexec=nobody_preexec())
    assert run.code == 0
    assert "SRAT: /sys/firmware/acpi/tables/SRAT is readable only by root" in run.out
    as_root = run_audited(argv, cwd=str(place))
    assert "readable only by root" not in as_root.out and "SRAT" in as_root.out
    check = run_audited(["check", "--root", str(root_only_tables)], cwd=str(place), preexec=nobody_preexec())
    assert check.code in ok_codes("check") and "tables-unreadable" in check.out


def test_capture_as_nobody_records_what_it_could_not_read(place):
    out_dir = place / "capture-out"
    out_dir.mkdir()
    os.chmod(out_dir, 0o777)
    out = out_dir / "nobody.tar.gz"
    run = run_audited(["capture", str(out)], cwd=str(out_dir), preexec=nobody_preexec())
    assert run.code == 0, run.err
    assert len(run.err.strip().splitlines()) == 1 and "wrote" in run.err
    with tarfile.open(out) as tf:
        manifest = json.load(tf.extractfile("numaprobe-manifest.json"))
        names = set(tf.getnames())
    assert manifest["uid"] != 0
    unreadable = {u["path"] for u in manifest["unreadable"]}
    for t in os.listdir("/" + TABLES):
        if os.path.isfile("/" + TABLES + "/" + t):
            assert TABLES + "/" + t in unreadable and TABLES + "/" + t not in names
    assert "proc/meminfo" in names and os.listdir(out_dir) == ["nobody.tar.gz"]


def test_a_checkout_others_cannot_read_runs_as_nobody_from_a_copy(tmp_path):
    """A clone under a 0700 home directory: `nobody` cannot reach it, so the tests run it from a copy instead of
    skipping (they skipped, and the suite stayed green)."""
    import subprocess
    import sys

    from audit import REPO, importable_by_others

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    clone = home / "numaprobe"
    shutil.copytree(REPO / "numaprobe", clone / "numaprobe", ignore=shutil.ignore_patterns("__pycache__"))
    preexec = nobody_preexec()
    where = importable_by_others(clone)
    assert not where.startswith(str(tmp_path))
    code = "import numaprobe.cli.entry, sys; sys.stdout.write(numaprobe.cli.entry.__file__)"
    p = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": where, "PYTHONDONTWRITEBYTECODE": "1"},
                       cwd="/", capture_output=True, text=True, preexec_fn=preexec, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith(where), p.stderr
    blocked = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(clone)}, cwd="/",
                             capture_output=True, text=True, preexec_fn=preexec, timeout=60)
    assert blocked.returncode != 0  # the clone itself is out of nobody's reach, as it would be in CI
