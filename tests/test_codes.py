"""One module of codes (numaprobe/codes.py): docs/json.md lists exactly its codes, every code the source raises
is in it, and every finding on every tree has a severity its code allows."""

from __future__ import annotations

import ast
import re

import pytest

from oracles import REPO, fixture_tarballs, qemu_tarballs

from numaprobe import codes
from numaprobe.analysis.crosscheck import CHECKS, crosscheck
from numaprobe.model.gather import build_machine
from numaprobe.source.root import open_root

DOC = REPO / "docs" / "json.md"
_TOKEN = re.compile(r"`([a-z][a-z0-9-]*)`")


def _doc_lists(lead: str):
    """Codes in the paragraphs of docs/json.md that start with `lead`: the backticked names after the first colon."""
    out = {}
    for para in DOC.read_text().split("\n\n"):
        para = para.strip()
        if para.startswith(lead):
            head, _, body = para.partition(":")
            where = re.search(r"`([a-z_]+)`", head)
            out[where.group(1) if where else head] = set(_TOKEN.findall(body))
    return out


def test_docs_list_exactly_the_finding_codes():
    (listed,) = _doc_lists("Finding codes").values()
    assert listed == set(codes.FINDINGS)


def test_docs_list_exactly_the_note_codes_of_each_document():
    listed = _doc_lists("Note codes")
    tables = listed.pop("Note codes on tables")
    assert tables == set(codes.NOTES["tables"])
    assert listed == {doc: set(c) for doc, c in codes.NOTES.items() if doc != "tables"}


def _raised_codes():
    """(code, file) for every Note(...) and Finding(...) in numaprobe/, literals and codes.py names resolved."""
    out = []
    for path in sorted((REPO / "numaprobe").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name not in ("Note", "Finding"):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant):
                out.append((name, arg.value, path.name))
            elif isinstance(arg, ast.Name) and hasattr(codes, arg.id):
                out.append((name, getattr(codes, arg.id), path.name))
            elif isinstance(arg, ast.BinOp) and isinstance(arg.left, ast.Constant):
                # model/build.py: "%s-id-unusable" % what, what = "package"
                out.append((name, arg.left.value % "package", path.name))
            # else a variable or *args: a Note rebuilt from one already made (snapshot loading, copies)
    return out


def test_every_raised_code_is_in_the_codes_module():
    raised = _raised_codes()
    notes = codes.note_codes()
    for kind, code, where in raised:
        known = codes.FINDINGS if kind == "Finding" else notes
        assert code in known, "%s code %r (%s) is not in numaprobe/codes.py" % (kind, code, where)
    assert {c for k, c, _ in raised if k == "Finding"} == set(codes.FINDINGS)
    for c in CHECKS:
        assert set(c.codes) <= set(codes.FINDINGS), c.name


def _all(fs):
    for f in fs:
        yield f
        yield from _all(f.consequences)


@pytest.mark.parametrize("path", qemu_tarballs() + fixture_tarballs() + fixture_tarballs("edited")
                         + fixture_tarballs("handmade"), ids=lambda p: p.name)
def test_every_finding_has_an_allowed_severity(path):
    fs = crosscheck(build_machine(open_root(str(path))))
    for f in _all(fs):
        assert f.severity in codes.FINDINGS[f.code], (f.code, f.severity)
