"""Fold what repeats, so that a 64-node machine reads like a 2-node one: notes and findings that differ only in the
node they name become one line naming the nodes as a range ("node0-63"), and identical lines about several
nodes or packages become one line about all of them.

Pure functions of strings and model records; the text renderers (probe, check) and the pictures use them."""

from __future__ import annotations

import dataclasses
import re
from typing import Callable, Dict, Hashable, List, Sequence, Tuple, TypeVar

from numaprobe.readers.cpumask import format_cpulist

T = TypeVar("T")

# "node5" (the kernel's directory names, model/build.py's notes) and "node 5" (crosscheck's findings).
_NODE_WORD = re.compile(r"\bnode( ?)(\d+)\b")


def id_range(ids: Sequence[int]) -> str:
    """(0, 1, 2, 3, 7) -> "0-3,7": the kernel's list syntax, for node ids as for CPUs."""
    return format_cpulist(ids)


def _one_node(message: str):
    """(template, node id) when the message names exactly one node, else None."""
    found = list(_NODE_WORD.finditer(message))
    if len(found) != 1:
        return None
    m = found[0]
    return (message[:m.start()], m.group(1), message[m.end():]), int(m.group(2))


def _join(template, nodes: Sequence[int]) -> str:
    before, sep, after = template
    return "%snode%s%s%s" % (before, sep, id_range(nodes), after)


def group_in_order(items: Sequence[T], key: Callable[[T], Hashable]) -> List[List[T]]:
    """Items with equal keys together, groups in the order of their first member, members in input order."""
    groups: Dict[Hashable, List[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.values())


def fold_messages(items: Sequence[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """(code, message) pairs; those with the same code whose messages differ only in the one node they name
    become one pair whose message names the nodes as a range, at the place of the first. Order is kept."""
    def key(item):
        parsed = _one_node(item[1])
        return (item[0], parsed[0]) if parsed is not None else (item[0], item[1], id(item))

    out = []
    for group in group_in_order(items, key):
        parsed = _one_node(group[0][1])
        if len(group) == 1 or parsed is None:
            out.extend(group)
            continue
        nodes = sorted({_one_node(message)[1] for _, message in group})
        out.append((group[0][0], _join(parsed[0], nodes)))
    return out


def fold_findings(findings: Sequence[T]) -> List[T]:
    """Findings (code, severity, message, nodes, cpus) that differ only in the one node their message names, and
    so in their nodes and CPUs, become one finding naming all the nodes; the rest stay as they are."""
    def key(f):
        parsed = _one_node(f.message)
        if parsed is None or tuple(f.nodes) not in ((), (parsed[1],)):
            return (f.code, f.severity, f.message, id(f))
        return (f.code, f.severity, parsed[0])

    out = []
    for group in group_in_order(findings, key):
        if len(group) == 1:
            out.append(group[0])
            continue
        template = _one_node(group[0].message)[0]
        nodes = sorted({_one_node(f.message)[1] for f in group})
        cpus = tuple(sorted({c for f in group for c in f.cpus}))
        out.append(dataclasses.replace(group[0], message=_join(template, nodes), nodes=tuple(nodes), cpus=cpus))
    return out


def fold_lines(entries: Sequence[Tuple[int, str]], label: str) -> List[str]:
    """(id, text) pairs: equal texts become one "<label>s 0-3,7: text" line, in the order of the first id."""
    return ["%s%s %s: %s" % (label, "s" if len(group) > 1 else "", id_range([i for i, _ in group]), group[0][1])
            for group in group_in_order(entries, lambda e: e[1])]


def distance_profiles(node_ids: Sequence[int], rows: Sequence[Sequence[int]]) -> List[Tuple[List[int], str]]:
    """How far each node sees the others, as (nodes, "22 to 3 nodes, 26 to 8") groups of nodes that see the same
    counts at the same distances: the 64-node matrix in one line when the machine is regular."""
    def profile(k: int) -> str:
        counts: Dict[int, int] = {}
        for j, d in enumerate(rows[k]):
            if j != k:
                counts[d] = counts.get(d, 0) + 1
        parts = ["%d to %d" % (d, n) for d, n in sorted(counts.items())]
        if parts:
            parts[0] += " node" if counts[min(counts)] == 1 else " nodes"
        return ", ".join(parts)

    groups = group_in_order(list(range(len(node_ids))), profile)
    return [([node_ids[k] for k in g], profile(g[0])) for g in groups]
