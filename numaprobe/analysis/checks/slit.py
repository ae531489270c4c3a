"""SLIT on its own (what Linux's slit_valid() accepts) and the kernel's node distance files against it."""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

from numaprobe.analysis.checks.base import (ERROR, LOCAL_DISTANCE, REMOTE_DISTANCE, UNREACHABLE, WARNING, Finding,
                                            fmt_ids)
from numaprobe.analysis.checks.context import CheckContext
from numaprobe.codes import DISTANCE_MISMATCH, SLIT_ASYMMETRIC, SLIT_INVALID, SLIT_MISSING
from numaprobe.model.topology import Topology


def _problems(slit, pxms: List[int]) -> List[str]:
    n, m = slit.localities, slit.matrix
    problems = []
    if len(m) != n:
        problems.append("the table holds %d of its %d rows" % (len(m), n))
    bad_diag = [i for i in range(len(m)) if m[i][i] != LOCAL_DISTANCE]
    if bad_diag:
        problems.append("diagonal entries of locality %s are not 10 (%s)"
                        % (fmt_ids(bad_diag), ", ".join(str(m[i][i]) for i in bad_diag)))
    low = [(i, j) for i in range(len(m)) for j in range(n) if i != j and m[i][j] <= LOCAL_DISTANCE]
    if low:
        problems.append("%d off-diagonal entr%s at or below 10 (first [%d][%d] = %d)"
                        % (len(low), "y is" if len(low) == 1 else "ies are", low[0][0], low[0][1],
                           m[low[0][0]][low[0][1]]))
    if pxms and max(pxms) >= n:
        problems.append("it has %d localities but SRAT uses PXM %d" % (n, max(pxms)))
    return problems


def check_slit(slit, topo: Topology, pxm_node: Dict[int, int], dmesg_rejected: bool = False) -> List[Finding]:
    nodes_with_pxm = sorted(set(pxm_node.values()) & set(topo.node_ids))
    if slit is None:
        if len(nodes_with_pxm) > 1:
            return [Finding(SLIT_MISSING, WARNING,
                            "no SLIT: the kernel uses distance 10 locally and 20 for every remote node, so "
                            "placement tools cannot tell near nodes from far ones", nodes=tuple(nodes_with_pxm))]
        return []
    n, m = slit.localities, slit.matrix
    pxms = sorted(pxm_node)
    out: List[Finding] = []
    problems = _problems(slit, pxms)
    unreach = [(i, j) for i in pxms for j in pxms if i != j and i < len(m) and j < n and m[i][j] == UNREACHABLE]
    if unreach:
        problems.append("PXMs %d and %d, both in use, are marked unreachable (255)" % unreach[0])
    if problems:
        linux_rejects = not slit.linux_valid
        consequence = ("Linux ignores it and uses 10/20 for every distance" if linux_rejects
                       else "Linux uses it as it is")
        if dmesg_rejected:
            consequence += " (dmesg: 'SLIT table looks invalid. Not used.')"
        out.append(Finding(SLIT_INVALID, ERROR if linux_rejects or unreach else WARNING,
                           "SLIT is invalid: %s; %s" % ("; ".join(problems), consequence),
                           nodes=tuple(nodes_with_pxm)))
    asym = [(i, j) for i in pxms for j in pxms if i < j and j < len(m) and j < n and m[i][j] != m[j][i]]
    if asym:
        out.append(Finding(SLIT_ASYMMETRIC, WARNING,
                           "SLIT is asymmetric: %s; Linux copies it as it is, but tools that read one direction "
                           "(numactl, Xen, libvirt) may rank nodes differently"
                           % ", ".join("PXM %d->%d is %d, %d->%d is %d" % (a, b, m[a][b], b, a, m[b][a])
                                       for a, b in asym[:4]),
                           nodes=tuple(sorted({pxm_node[p] for pr in asym for p in pr}))))
    return out


def run_slit(ctx: CheckContext) -> List[Finding]:
    dmesg = ctx.kernel.dmesg
    return check_slit(ctx.slit, ctx.topo, ctx.pxm_node, dmesg is not None and dmesg.slit_rejected)


def _expected(slit, a: int, b: int, node_pxm: Dict[int, int]) -> int:
    d = LOCAL_DISTANCE if a == b else REMOTE_DISTANCE
    if slit is not None and slit.linux_valid and a in node_pxm and b in node_pxm:
        v = slit.distance(node_pxm[a], node_pxm[b])
        if v is not None:
            d = v
    return d


def _why(slit, have: Dict[Tuple[int, int], int]) -> str:
    fallback = all(v == (LOCAL_DISTANCE if a == b else REMOTE_DISTANCE) for (a, b), v in have.items())
    if slit is None:
        return "without a SLIT the kernel should use 10/20"
    if not slit.linux_valid:
        return "the SLIT is invalid, so the kernel should use 10/20"
    if fallback:
        return "the kernel fell back to 10/20 although the SLIT is valid"
    return "the kernel did not fall back to 10/20; its values are neither SLIT's nor the default"


def check_distances(slit, topo: Topology, pxm_node: Dict[int, int],
                    real_node: Optional[Callable[[int], Optional[int]]] = None) -> List[Finding]:
    """The kernel's distance files against the SLIT through the PXM -> node map. `real_node` rebases emulated
    (numa=fake) nodes on their real node: emulation copies the real nodes' distances (numa_emulation())."""
    real = real_node or (lambda n: n)
    node_pxm: Dict[int, int] = {}
    for pxm, node in sorted(pxm_node.items()):
        node_pxm.setdefault(node, pxm)  # the lowest PXM wins, as in Linux's node_to_pxm_map
    if not node_pxm or any(real(n) not in node_pxm for n in topo.node_ids):
        return []  # nodes SRAT does not describe: nothing to map the SLIT through
    have = {}
    for a in topo.node_ids:
        for b in topo.node_ids:
            d = topo.distance(a, b)
            if d is not None:
                have[(a, b)] = d
    want = {(a, b): _expected(slit, real(a), real(b), node_pxm) for a, b in have}
    wrong = sorted(k for k in have if have[k] != want[k])
    if not wrong:
        return []
    pairs = ", ".join("%d->%d kernel %d, SLIT %d" % (a, b, have[(a, b)], want[(a, b)]) for a, b in wrong[:6])
    return [Finding(DISTANCE_MISMATCH, ERROR,
                    "node distance files differ from the SLIT mapped through the PXM->node map (%s%s); %s"
                    % (pairs, ", ..." if len(wrong) > 6 else "", _why(slit, have)),
                    nodes=tuple(sorted({x for pr in wrong for x in pr})))]


def run_distances(ctx: CheckContext) -> List[Finding]:
    return check_distances(ctx.slit, ctx.topo, ctx.pxm_node, ctx.real_node if ctx.fake is not None else None)
