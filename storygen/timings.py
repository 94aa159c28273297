"""Seconds per phase of a build, for `storygen build --timings` (like Hugo's --templateMetrics)."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Timings:
    """Phases in the order they ran. A renderer's own phases are kept as sub-phases
    (indented in the table), already counted in their parent's time."""

    phases: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str, *, sub: bool = False):
        key = f"  {name}" if sub else name
        self.phases.setdefault(key, 0.0)       # listed where it starts: a parent before its sub-phases
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[key] += time.perf_counter() - start

    def seconds(self, name: str) -> float:
        """A phase's time, sub-phase or not (0 when it did not run)."""
        return self.phases.get(name, self.phases.get(f"  {name}", 0.0))

    def table(self) -> str:
        total = sum(v for k, v in self.phases.items() if not k.startswith(" "))
        lines = [f"{name:<22}{seconds:>9.3f} s" for name, seconds in self.phases.items()]
        return "\n".join(["phase                       time", *lines, f"{'total':<22}{total:>9.3f} s"])
