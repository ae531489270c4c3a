"""The layering of docs/architecture: nothing above model/ (analysis, sim, advise, render, cli) reads the machine
itself. They never import numaprobe.source (the Root), and take from numaprobe.readers only pure helpers
(cpulist formatting, names of categories), never a function that reads."""

from __future__ import annotations

import ast

import pytest

from oracles import REPO

PACKAGE = REPO / "numaprobe"
ABOVE_MODEL = ("analysis", "sim", "advise", "render", "cli")
READING_PREFIXES = ("read_", "list_", "find_")


def _modules():
    return sorted(p for layer in ABOVE_MODEL for p in (PACKAGE / layer).rglob("*.py"))


def _imports(path):
    """(module, name or None) for every import in the file, those inside functions included."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, None
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                yield node.module, a.name


def test_every_layer_is_there():
    assert all((PACKAGE / layer).is_dir() for layer in ABOVE_MODEL)
    assert len(_modules()) > 20


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_above_model_reads(path):
    bad = []
    for module, name in _imports(path):
        if module == "numaprobe.source" or module.startswith("numaprobe.source."):
            bad.append("imports %s" % module)
        elif module == "numaprobe" and name == "source":
            bad.append("imports numaprobe.source")
        elif module.startswith("numaprobe.readers") and (name is None or name.startswith(READING_PREFIXES)):
            bad.append("imports %s%s from the readers" % (module, "." + name if name else ""))
    assert not bad, bad


def test_the_rule_catches_a_violation(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("def f():\n    from numaprobe.source.root import open_root\n    import numaprobe.readers.nodes\n")
    assert list(_imports(p)) == [("numaprobe.source.root", "open_root"), ("numaprobe.readers.nodes", None)]
