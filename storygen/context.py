"""What a build keeps in memory, in one object: the build context.

`build()` makes a fresh context for every build, so a one-off `storygen build`
starts clean and two builds in one process (tests) share nothing. `storygen
serve` makes one and hands it to every rebuild: that is what lets a rebuild
after an edit redo only what the edit touched. Every in-memory cache lives
here, as an attribute, and nowhere else: no module keeps project state of its
own (tests/test_caches.py greps for it). Each attribute's key, contents and
what invalidates it are declared in `storygen/cache.py` (docs/caching.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BuildContext:
    """The in-memory caches one process keeps between builds of one project."""

    # Parsed YAML trees by (file, line offset): (text, tree). yamlfile.load_yaml reuses a
    # tree while its file's text is unchanged; load_project drops files no longer read.
    yaml_trees: dict = field(default_factory=dict)
    # What composing each story did, by slug (compose/memo.py Trace: its calls and what they
    # returned, its composite); replayed by the next build to reuse what did not change.
    # Valid while the codebook and reading speed are `compose_basis`.
    composites: dict = field(default_factory=dict)
    compose_basis: tuple | None = None
    # Each output's own memory between builds, by output name (see storygen/outputs.py):
    # whatever the output's `new_memory()` made (no built-in output keeps one today).
    outputs: dict = field(default_factory=dict)
    # How many builds this context has seen (serve's rebuild counter, for messages).
    builds: int = 0
    # The privacy guard's detectors by settings fingerprint (storygen.privacy.detect.Detector):
    # each keeps the hits of every text it read, and its clean-verdict memory. The guard, the
    # pool check and the output scan of one build share them; `serve` keeps them warm.
    privacy_detectors: dict = field(default_factory=dict)
    # The compiled matcher for the private values the output scan searches every file for,
    # by a hash of the values (only the latest is kept: one project at a time).
    private_values: dict = field(default_factory=dict)
    # The private-id scan's record (storygen.privacy.ids.IdMemory, made on first use): the
    # published files found clean, by content, and the values they were searched for.
    id_scan: object | None = None

    def memory_for(self, output) -> object | None:
        """The output's memory in this context, made on first use (None if it keeps none)."""
        if output.new_memory is None:
            return None
        if output.name not in self.outputs:
            self.outputs[output.name] = output.new_memory()
        return self.outputs[output.name]
