"""One thing a real engine would refuse, as the plan's engine checks report it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    urn: str
    type: str
    path: str
    """Where in the resource's inputs, dotted and indexed (``rules[0].priority``)."""
    message: str

    def to_json(self) -> dict[str, str]:
        return {"urn": self.urn, "type": self.type, "path": self.path, "message": self.message}
