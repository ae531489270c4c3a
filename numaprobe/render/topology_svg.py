"""The machine as a picture: packages, then their NUMA nodes, then cores and their threads (CPU ids), each node with
its memory as a bar and its PCI devices; memory-only and CPU-less nodes marked in words and by pattern; an advise
placement drawn on top. A pure function of a Topology (and a placement view): `probe --format svg` and the HTML
report share it.

Large machines stay legible: above FOLD_NODES nodes, packages (or nodes) that are alike in every drawn respect are
drawn once, captioned with how many there are and which; memory counts as alike within 3 % (DIMM-sized holes
differ, boot-time reservations do not)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from numaprobe.model.topology import Device, Node, Topology
from numaprobe.render import fold
from numaprobe.render.svgkit import document, esc, group, rect, text, text_width
from numaprobe.render.topology_style import DEFS, DEVICE_MEMORY, STYLE, pci_kind  # noqa: F401 (importable from here)
from numaprobe.units import human_size

FOLD_NODES = 16
MAX_WIDTH = 1240
PAD = 6
GAP = 8
CELL_H = 20
ROW_H = 16
CORES_PER_ROW = 8
MAX_DEVICES = 4

@dataclass(frozen=True)
class PlacementView:
    """What to draw of an advise answer: its label, the CPUs it pins, vCPUs and memory per node."""

    label: str
    cpus: FrozenSet[int]
    vcpus_by_node: Dict[int, int] = field(default_factory=dict)
    bytes_by_node: Dict[int, int] = field(default_factory=dict)


@dataclass
class _Ctx:
    topo: Topology
    placement: Optional[PlacementView]
    folding: bool
    cell_w: int
    max_memory: int
    devices: Dict[int, List[Device]]
    online: FrozenSet[int] = frozenset()


@dataclass
class _Item:
    """One top-level thing: a package with its nodes, a node holding several packages, or a CPU-less node."""

    packages: Tuple[int, ...]
    nodes: Tuple[Node, ...]
    alike_packages: Tuple[int, ...] = ()
    alike_nodes: Tuple[int, ...] = ()
    count: int = 1  # how many alike items this one stands for


def _items(topo: Topology) -> List[_Item]:
    """Packages and nodes linked by their CPUs, each linked set one item, in order of its lowest node id."""
    parent: Dict[Tuple[str, int], Tuple[str, int]] = {}

    def find(k):
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for n in topo.nodes:
        find(("n", n.id))
        for c in n.cpus:
            pkg = topo.cpu(c).package
            if pkg is not None:
                parent[find(("p", pkg))] = find(("n", n.id))
    members: Dict[Tuple[str, int], List[Tuple[str, int]]] = {}
    for k in list(parent):
        members.setdefault(find(k), []).append(k)
    items = []
    for ms in members.values():
        nodes = tuple(sorted((topo.node(i) for kind, i in ms if kind == "n"), key=lambda n: n.id))
        items.append(_Item(tuple(sorted(i for kind, i in ms if kind == "p")), nodes))
    return sorted(items, key=lambda it: (not any(n.cpus for n in it.nodes), it.nodes[0].id))


# Memory within this fraction counts as alike: boot-time reservations differ by node, DIMMs do not.
MEMORY_SLACK = 0.03


def _node_signature(ctx: _Ctx, n: Node) -> tuple:
    """Everything the drawing shows of a node except its ids and exact memory."""
    cores = _cores(ctx.topo, n)
    placed = ctx.placement is not None and (n.id in ctx.placement.vcpus_by_node
                                            or n.id in ctx.placement.bytes_by_node)
    return (n.has_cpu, n.has_memory, tuple(len(t) for _, t in cores), len({p for p, _ in cores}),
            len(n.all_cpus) - len(n.cpus), placed, tuple(sorted(pci_kind(d) for d in ctx.devices.get(n.id, ()))),
            tuple((h.size_bytes, h.total) for h in n.hugepages if h.total))


def _memory_alike(a: _Item, b: _Item) -> bool:
    for m, n in zip(a.nodes, b.nodes):
        x, y = m.memory_total_bytes or 0, n.memory_total_bytes or 0
        if abs(x - y) > MEMORY_SLACK * max(x, y):
            return False
    return True


def _fold(ctx: _Ctx, items: List[_Item]) -> List[_Item]:
    """Alike items as one, standing for all of them (count, their package and node ids)."""
    def key(it: _Item):
        return (len(it.packages), tuple(_node_signature(ctx, n) for n in it.nodes))

    groups: List[List[_Item]] = []
    for g in fold.group_in_order(items, key):
        clusters: List[List[_Item]] = []
        for it in g:
            home = next((c for c in clusters if _memory_alike(c[0], it)), None)
            if home is None:
                clusters.append([it])
            else:
                home.append(it)
        groups += clusters
    groups.sort(key=lambda g: items.index(g[0]))
    return [_Item(g[0].packages, g[0].nodes, tuple(p for it in g for p in it.packages),
                  tuple(n.id for it in g for n in it.nodes), len(g)) for g in groups]


def _cores(topo: Topology, n: Node) -> List[Tuple[Optional[int], Tuple[int, ...]]]:
    """(package, thread ids) per core of the node in CPU order: the online CPUs, and the offline ones that share a
    core with them (an offlined SMT sibling); the other offline CPUs are a line of text (_loose_offline)."""
    by_core: Dict[tuple, List[int]] = {}
    for c in n.cpus:
        cpu = topo.cpu(c)
        by_core.setdefault((cpu.package, cpu.core if cpu.core is not None else ("cpu", c)), []).append(c)
    for c in _offline(topo, n):
        cpu = topo.cpu(c)
        if (cpu.package, cpu.core) in by_core:
            by_core[(cpu.package, cpu.core)].append(c)
    return [(k[0], tuple(sorted(v))) for k, v in sorted(by_core.items(), key=lambda kv: min(kv[1]))]


def _offline(topo: Topology, n: Node) -> List[int]:
    known = {c.id for c in topo.cpus}
    return [c for c in n.all_cpus if c not in n.cpus and c in known]


def _loose_offline(topo: Topology, n: Node) -> List[int]:
    """Offline CPUs of the node drawn in no core: sysfs has no topology for them (it goes with the CPU)."""
    drawn = {c for _, threads in _cores(topo, n) for c in threads}
    return [c for c in n.all_cpus if c not in n.cpus and c not in drawn]


# -- drawing: each function draws at (0, 0) and returns (width, height, parts) ---------------------------------

def _core_box(ctx: _Ctx, threads: Sequence[int]) -> Tuple[float, float, List[str]]:
    online = ctx.online
    placed = ctx.placement.cpus if ctx.placement is not None else frozenset()
    w = len(threads) * (ctx.cell_w + 1) + 3
    parts = [rect(0, 0, w, CELL_H + 4, "core", 2)]
    for k, c in enumerate(threads):
        cls = "cpu placed" if c in placed else "cpu" if c in online else "cpu off"
        x = 2 + k * (ctx.cell_w + 1)
        parts.append(rect(x, 2, ctx.cell_w, CELL_H, cls, title="CPU %d%s" % (c, "" if c in online else " (offline)")))
        parts.append(text(x + ctx.cell_w / 2, 2 + CELL_H - 5, str(c), "c", "middle"))
    return w, CELL_H + 4, parts


def _flow(boxes: Sequence[Tuple[float, float, List[str]]], max_w: float, gap: float,
          per_row: int = 10 ** 6) -> Tuple[float, float, List[str]]:
    """Boxes left to right, wrapped into rows no wider than max_w (and no more than per_row a row)."""
    parts: List[str] = []
    x = y = row_h = width = 0.0
    count = 0
    for w, h, p in boxes:
        if count and (x + w > max_w or count >= per_row):
            y += row_h + gap
            x = row_h = count = 0
        parts.append(group(x, y, p))
        width = max(width, x + w)
        x += w + gap
        row_h = max(row_h, h)
        count += 1
    return width, y + row_h, parts


def _cores_block(ctx: _Ctx, n: Node, item: _Item) -> Tuple[float, float, List[str]]:
    cores = _cores(ctx.topo, n)
    if not cores:
        return 0, 0, []
    if len(item.packages) <= 1:
        return _flow([_core_box(ctx, t) for _, t in cores], 10 ** 6, 3, CORES_PER_ROW)
    subs = []
    for pkg in sorted({p for p, _ in cores}, key=lambda p: -1 if p is None else p):
        w, h, parts = _flow([_core_box(ctx, t) for p, t in cores if p == pkg], 10 ** 6, 3, CORES_PER_ROW)
        label = "package %s" % ("?" if pkg is None else pkg)
        w = max(w, text_width(label, 11)) + 8
        subs.append((w, h + 22, [rect(0, 0, w, h + 22, "sub", 3), text(4, 12, label, "small"),
                                 group(4, 17, parts)]))
    return _flow(subs, 10 ** 6, 4, 4)


def _tags(n: Node, placed: bool) -> List[Tuple[str, str]]:
    tags = []
    if n.device_memory:
        tags.append(("memonly", DEVICE_MEMORY.get(n.device_memory, "DEVICE MEMORY")))
    elif n.has_memory and not n.cpus:
        tags.append(("memonly", "MEMORY ONLY" if not n.all_cpus else "NO ONLINE CPU"))
    if not n.has_memory:
        tags.append(("nomem", "NO MEMORY" if n.cpus else "EMPTY"))
    if placed:
        tags.append(("placed", "PLACED"))
    return tags


def _memory_bar(ctx: _Ctx, n: Node, width: float) -> List[str]:
    total, free = n.memory_total_bytes or 0, n.memory_free_bytes
    track = max(4.0, width * total / max(ctx.max_memory, 1))
    used = track * (total - (free if free is not None else total)) / total
    tip = "%s, %s free" % (human_size(total), human_size(free))
    return [rect(0, 0, track, 8, "track", title=tip), rect(0, 0, used, 8, "used", title=tip)]


def _node_lines(ctx: _Ctx, n: Node, caption: str) -> List[Tuple[str, str]]:
    """The node's text lines under its heading, as (css class, text)."""
    lines = []
    if caption:
        lines.append(("small", caption))
    lines.append(("", _memory_text(n)))
    for h in n.hugepages:
        if h.total:
            lines.append(("small", "%s pages: %d of %d free" % (human_size(h.size_bytes), h.free, h.total)))
    nearest = _nearest_cpu_nodes(ctx.topo, n)
    if nearest:
        lines.append(("small", "nearest CPUs: node%s %s (distance %d)" % (
            "s" if "," in nearest[0] or "-" in nearest[0] else "", nearest[0], nearest[1])))
    loose = _loose_offline(ctx.topo, n)
    if loose:
        lines.append(("small", "offline: CPU%s %s" % ("s" if len(loose) > 1 else "", fold.id_range(loose))))
    p = ctx.placement
    if p is not None and (n.id in p.vcpus_by_node or n.id in p.bytes_by_node):
        lines.append(("h", "advise: %d vCPUs, %s" % (p.vcpus_by_node.get(n.id, 0),
                                                   human_size(p.bytes_by_node.get(n.id, 0)))))
    return lines


def _nearest_cpu_nodes(topo: Topology, n: Node) -> Optional[Tuple[str, int]]:
    """For a CPU-less node: the CPU nodes nearest to it by the SLIT, and the distance."""
    if n.cpus or n.distances is None:
        return None
    near = [(d, m.id) for m, d in zip(topo.nodes, n.distances) if m.cpus]
    if not near:
        return None
    best = min(d for d, _ in near)
    return fold.id_range([i for d, i in near if d == best]), best


def _device_lines(ctx: _Ctx, n: Node) -> List[str]:
    devs = [d for d in ctx.devices.get(n.id, ()) if pci_kind(d) != "bridge"]
    lines = ["%s %s%s" % (d.address, pci_kind(d), " [%s:%s]" % (d.vendor[2:], d.device[2:]) if d.vendor and d.device
                                else "") for d in devs[:MAX_DEVICES]]
    if len(devs) > MAX_DEVICES:
        lines.append("+%d more devices" % (len(devs) - MAX_DEVICES))
    return lines


def _node_box(ctx: _Ctx, n: Node, item: _Item, caption: str = "") -> Tuple[float, float, List[str]]:
    placed = ctx.placement is not None and (n.id in ctx.placement.vcpus_by_node or n.id in ctx.placement.bytes_by_node)
    tags = _tags(n, placed)
    title = "Node %d" % n.id
    head_w = text_width(title, 14, True) + sum(text_width(t, 10, True) + 14 for _, t in tags)
    lines = _node_lines(ctx, n, caption)
    devices = _device_lines(ctx, n)
    cw, ch, cparts = _cores_block(ctx, n, item)
    inner = max([160, head_w, cw] + [text_width(t, 12, c == "h") for c, t in lines]
                + [text_width(d, 11) + 10 for d in devices])
    parts = [text(PAD, PAD + 13, title, "h")]
    x = PAD + text_width(title, 14, True) + 6
    for cls, label in tags:
        w = text_width(label, 10, True) + 8
        parts += [rect(x, PAD + 1, w, 15, "tag " + cls, 3), text(x + 4, PAD + 12, label, "tagt")]
        x += w + 6
    y = PAD + 20
    for k, (cls, line) in enumerate(lines):
        parts.append(text(PAD, y + 12, line, cls))
        y += ROW_H
        if k == (1 if caption else 0) and n.memory_total_bytes:
            parts.append(group(PAD, y, _memory_bar(ctx, n, inner)))
            y += 12
    if cparts:
        parts.append(group(PAD, y + 2, cparts))
        y += ch + 6
    for d in devices:
        parts += [rect(PAD, y, inner, 16, "dev", 2), text(PAD + 4, y + 12, d, "c")]
        y += 18
    kinds = ["node"] + [cls for cls, _ in tags if cls != "placed"] + (["placed"] if placed else [])
    w, h = inner + 2 * PAD, y + PAD
    return w, h, [rect(0, 0, w, h, " ".join(kinds), 4, title="node %d" % n.id)] + parts


def _inner_nodes(ctx: _Ctx, item: _Item) -> List[Tuple[Node, str]]:
    """The nodes of a package to draw, alike ones folded when folding (a package of 16 equal SNC/NPS nodes)."""
    if not ctx.folding or len(item.nodes) <= 4:
        return [(n, "") for n in item.nodes]
    out = []
    for g in _fold(ctx, [_Item((), (n,)) for n in item.nodes]):
        caption = "%d alike: nodes %s" % (g.count, fold.id_range(g.alike_nodes)) if g.count > 1 else ""
        out.append((g.nodes[0], caption))
    return out


def _item_box(ctx: _Ctx, item: _Item) -> Tuple[float, float, List[str]]:
    if len(item.packages) != 1 and len(item.nodes) == 1:
        # a CPU-less node, or one node holding several packages: the node is the box
        caption = ""
        if item.count > 1:
            caption = "%d alike: nodes %s (node %d shown)" % (item.count, fold.id_range(item.alike_nodes),
                                                               item.nodes[0].id)
        return _node_box(ctx, item.nodes[0], item, caption)
    nodes = [_node_box(ctx, n, item, caption) for n, caption in _inner_nodes(ctx, item)]
    if len(item.packages) != 1:
        label = "Packages %s" % fold.id_range(item.packages)
    else:
        label = "Package %d" % item.packages[0]
    caption = ""
    if item.count > 1:
        caption = "%d alike: packages %s, nodes %s (the first shown)" % (
            item.count, _ids(item.alike_packages), fold.id_range(item.alike_nodes))
    w, h, parts = _flow(nodes, MAX_WIDTH - 40, GAP)
    top = 42 if caption else 28
    w = max(w, text_width(label, 14, True), text_width(caption, 11)) + 2 * GAP
    out = [rect(0, 0, w, h + top + GAP, "pkg", 6), text(GAP, 19, label, "h")]
    if caption:
        out.append(text(GAP, 34, caption, "small"))
    return w, h + top + GAP, out + [group(GAP, top, parts)]


def _ids(ids: Sequence[int]) -> str:
    """An id list short enough for a caption: sparse package ids (0, 3, 512, ...) are elided in the middle."""
    text_ = fold.id_range(ids)
    if len(text_) <= 40:
        return text_
    return "%d,%d,...,%d" % (ids[0], ids[1], ids[-1])


def _legend(ctx: _Ctx) -> Tuple[float, float, List[str]]:
    entries = [("cpu", "CPU (thread), by id"), ("core", "core: its threads side by side")]
    if any(c.id not in ctx.online for c in ctx.topo.cpus):
        entries.append(("cpu off", "offline CPU"))
    entries.append(("used", "memory bar: used (dark) and free; length = node size against the largest"))
    if any(n.has_memory and not n.cpus for n in ctx.topo.nodes):
        entries.append(("node memonly", "hatched: memory-only node (no CPU)"))
    if any(not n.has_memory for n in ctx.topo.nodes):
        entries.append(("node nomem", "dashed: node without memory"))
    if any(ctx.devices.values()):
        entries.append(("dev", "PCI device, at its node"))
    if ctx.placement is not None:
        entries.append(("cpu placed", "dotted, thick green: the advise placement (%s)" % ctx.placement.label))
    boxes = []
    for cls, label in entries:
        w = text_width(label, 11) + 26
        boxes.append((w, 18, [rect(0, 2, 16, 13, cls, 2), text(22, 13, label, "small")]))
    return _flow(boxes, MAX_WIDTH, 14)


def _overview(ctx: _Ctx) -> Tuple[float, float, List[str]]:
    """When alike nodes are folded: every node as a small tile (id, memory bar, kind), so none is out of sight."""
    tiles = []
    w = max(34, text_width(str(max(ctx.topo.node_ids)), 11, True) + 10)
    for n in ctx.topo.nodes:
        tags = _tags(n, ctx.placement is not None and (n.id in ctx.placement.vcpus_by_node
                                                       or n.id in ctx.placement.bytes_by_node))
        cls = " ".join(["tile"] + [c for c, _ in tags])
        tip = "node %d: %s; CPUs %s%s" % (n.id, _memory_text(n), fold.id_range(n.cpus) or "none",
                                         "".join("; " + t.lower() for _, t in tags))
        tiles.append((w, 30, [rect(0, 0, w, 30, cls, 3, title=tip), text(w / 2, 13, str(n.id), "h", "middle"),
                              group(4, 18, _memory_bar(ctx, n, w - 8)) if n.memory_total_bytes else ""]))
    fw, fh, parts = _flow(tiles, MAX_WIDTH, 3, 32 if w * 32 < MAX_WIDTH else 16)
    return fw, fh + 18, [text(0, 12, "All %d nodes (alike ones are drawn once below):" % len(ctx.topo.nodes),
                              "small"), group(0, 18, parts)]


def _memory_text(n: Node) -> str:
    if not n.has_memory:
        return "no memory"
    free = n.memory_free_bytes
    return human_size(n.memory_total_bytes) + (", %s free" % human_size(free) if free is not None else "")


def _title(topo: Topology) -> str:
    online = topo.online_cpus
    who = topo.source.hostname or os.path.basename(topo.source.path.rstrip("/")) or "this host"
    return "%s: %d NUMA nodes, %d packages, %d cores, %d CPUs, %s" % (
        who, len(topo.nodes), len(topo.packages), len({(c.package, c.core) for c in online}), len(online),
        human_size(sum(n.memory_total_bytes or 0 for n in topo.nodes)))


def topology_svg(topo: Topology, placement: Optional[PlacementView] = None, folding: Optional[bool] = None) -> str:
    """The drawing as a standalone SVG document (also valid inline in HTML). folding: None = above FOLD_NODES."""
    devices: Dict[int, List[Device]] = {}
    for d in topo.devices:
        if d.node is not None:
            devices.setdefault(d.node, []).append(d)
    biggest = max((c.id for c in topo.cpus), default=0)
    ctx = _Ctx(topo, placement, len(topo.nodes) > FOLD_NODES if folding is None else folding,
               max(22, 7 * len(str(biggest)) + 8), max((n.memory_total_bytes or 0 for n in topo.nodes), default=0),
               devices, frozenset(c.id for c in topo.online_cpus))
    items = _items(topo)
    if ctx.folding:
        items = _fold(ctx, items)
    title = _title(topo)
    body_w, body_h, body = _flow([_item_box(ctx, it) for it in items], MAX_WIDTH, 12)
    parts = [text(0, 18, title, "t")]
    y = 30
    if ctx.folding:
        ow, oh, overview = _overview(ctx)
        parts.append(group(0, y, overview))
        body_w, y = max(body_w, ow), y + oh + 12
    parts.append(group(0, y, body))
    y += body_h + 12
    loose = [d for d in topo.devices if d.node is None and pci_kind(d) != "bridge"]
    if loose:
        parts.append(text(0, y + 12, "%d PCI device(s) without a NUMA node (the kernel reports -1): %s" % (
            len(loose), ", ".join("%s %s" % (d.address, pci_kind(d)) for d in loose[:6])
            + (", ..." if len(loose) > 6 else "")), "small"))
        y += 20
    lw, lh, legend = _legend(ctx)
    parts.append(group(0, y, legend))
    width = max(body_w, lw, text_width(title, 16, True)) + 16
    return document(width, y + lh + 16, STYLE, DEFS, [rect(0, 0, width, y + lh + 16, "bg"), group(8, 8, parts)],
                    title, "np-topology")
