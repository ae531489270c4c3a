"""Note: an oddity met while reading or decoding, in a module of its own so that every layer (acpi/, readers/,
model/, the analyses) can use it without importing any other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """An oddity met while reading: never a crash, never silent loss. `code` is stable, `message` is for people."""

    code: str
    message: str

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message}
