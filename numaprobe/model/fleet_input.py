"""Where `numaprobe fleet` finds its machines: the one place the fleet touches numaprobe.source (the analyses
and the runner above model/ get (path, kind) pairs, and each worker builds its Machine with model.gather)."""

from __future__ import annotations

from typing import Iterable, List, Tuple


def discover_inputs(paths: Iterable[str]) -> List[Tuple[str, str]]:
    """The machines under `paths` as (path, kind) pairs (source/discover.py)."""
    from numaprobe.source.discover import discover

    return [(i.path, i.kind) for i in discover(paths)]
