"""The one JSON serialisation of every --json document."""

from __future__ import annotations

import json
from typing import Any, Dict


def dumps(doc: Dict[str, Any]) -> str:
    """Two-space indent, keys in the schema's order (docs/json.md), ASCII only (a process name cannot smuggle
    terminal escapes through), one trailing newline."""
    return json.dumps(doc, indent=2) + "\n"
