"""Small enough to read: no module in numaprobe/ over 450 lines, no function over 60 (issue 13). Measured
before the rule: the largest module was sim/buddy.py with 661 lines, five modules were over 450 and ten
functions over 60 (build_topology 116)."""

from __future__ import annotations

import ast

import pytest

from oracles import REPO

PACKAGE = REPO / "numaprobe"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60
MODULES = sorted(PACKAGE.rglob("*.py"))


def _functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_and_its_functions_are_small(path):
    text = path.read_text()
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, "%s has %d lines" % (path.name, lines)
    long = ["%s (%d lines)" % (f.name, f.end_lineno - f.lineno + 1) for f in _functions(ast.parse(text))
            if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, long


def test_the_rule_measures_what_it_says(tmp_path):
    body = "def f():\n" + "    x = 1\n" * 60
    assert [f.end_lineno - f.lineno + 1 for f in _functions(ast.parse(body))] == [61]
    assert len(MODULES) > 60
