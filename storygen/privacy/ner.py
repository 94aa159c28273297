"""Named entities from an installed spaCy pipeline: people, places and organisations.

Lists and patterns catch what they know; a statistical model catches the rest of what
real people write — first names no list holds, places spelt in lower case after "in",
the name of a centre nobody thought to list. Only the entity recogniser runs (the
parser, tagger and lemmatiser are never loaded), texts go through `nlp.pipe` in
batches, and the detector's clean-text cache means a rebuild runs it only on what changed.

Which pipeline: `[privacy] ner_model` — a package name or a folder. Unset: the official
`en_core_web_sm` when it is installed, else none, and every report says so in one line.
`ner_model = "none"` turns the layer off on purpose.
"""
from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from ..errors import ProjectError

DEFAULT_MODEL = "en_core_web_sm"
OFF = "none"
INSTALL = "python -m spacy download en_core_web_sm"
NOTICE = ("names and places found by lists and patterns only — install an English spaCy pipeline "
          f"(`{INSTALL}`) for better recall")
# spaCy's labels -> the guard's entities. GPE: towns, counties; LOC: areas, rivers;
# FAC: buildings, hospitals, wards ("Bracken House").
LABELS = {"PERSON": "PERSON", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE", "ORG": "ORG"}
BATCH = 128          # measured: 128 texts a batch beat 32 and 512 on the dev set


def _installed(name: str) -> bool:
    if Path(name).is_dir():
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def resolve(setting: str) -> str | None:
    """The pipeline to load for `setting`, or None for lists and patterns only.

    A pipeline that is named but not installed is a mistake worth stopping for: the
    team believes names are being looked for by a model that is not there."""
    setting = (setting or "").strip()
    if setting.lower() == OFF:
        return None
    if not setting:
        return DEFAULT_MODEL if _installed(DEFAULT_MODEL) else None
    if not _installed(setting):
        raise ProjectError(
            f"[privacy] ner_model = {setting!r}: no spaCy pipeline of that name is installed",
            path="storygen.toml",
            hint=f"install it (for the official English model: `{INSTALL}`), give the folder it is in, "
                 'or set ner_model = "none" to use lists and patterns only')
    return setting


@functools.lru_cache(maxsize=2)
def pipeline(name: str):
    """The loaded pipeline with only its entity recogniser enabled (loaded once per process)."""
    import spacy

    try:
        nlp = spacy.load(name, enable=["ner"])
    except (OSError, ValueError, ImportError) as exc:
        raise ProjectError(f"[privacy] ner_model = {name!r} could not be loaded: {exc}", path="storygen.toml",
                           hint=f"reinstall it (`{INSTALL}` for the official model)") from None
    if "ner" not in nlp.pipe_names:
        raise ProjectError(f"[privacy] ner_model = {name!r} has no entity recogniser", path="storygen.toml",
                           hint="use an English pipeline with `ner`, such as en_core_web_sm")
    from thinc.api import NumpyOps

    ops = _numpy_products()
    for component in nlp.pipe_names:
        model = getattr(nlp.get_pipe(component), "model", None)
        for node in model.walk() if model is not None else ():
            if type(node.ops) is NumpyOps:       # not another backend a pipeline chose
                node.ops = ops
    return nlp


@functools.lru_cache(maxsize=1)
def _numpy_products():
    """Thinc's CPU operations with its matrix products done by numpy.

    Thinc multiplies matrices with BLIS, which picks its kernels by the CPU's model name
    and falls back to a generic one it cannot place: on the virtual machines councils
    and CI rent ("AMD EPYC" with no model), a product of the recogniser's shape took 4.1 ms
    there against numpy's 0.8 ms (OpenBLAS picks by the instructions the CPU has). The
    recogniser's findings are the same (tests/test_privacy_real_text.py compares them)."""
    import numpy
    from thinc.api import NumpyOps

    class NumpyProducts(NumpyOps):
        name = "storygen-numpy-products"

        def gemm(self, x, y, out=None, trans1=False, trans2=False):
            x, y = (x.T if trans1 else x), (y.T if trans2 else y)
            if out is None:
                return numpy.matmul(x, y)
            numpy.matmul(x, y, out=out)
            return out

    return NumpyProducts()


def describe(name: str | None) -> str:
    """One line for the audit log: which pipeline, which version."""
    if name is None:
        return "off (lists and patterns only)"
    nlp = pipeline(name)
    return f"{nlp.meta.get('lang', '?')}_{nlp.meta.get('name', '?')} {nlp.meta.get('version', '?')}"


_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?:;\n\"“”(]\W*$")
_PRONOUN_I = frozenset(("I", "I'm", "I’m", "I've", "I’ve", "I'll", "I’ll", "I'd", "I’d", "OK"))
WINDOW = 6          # words of context either side of a candidate: what the model needs to judge it


def windows(text: str, covered: list[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """The stretches of `text` worth the model's time: a few words either side of each word
    that could begin a name — capitalised mid-sentence, or in capitals, or an unknown word
    after a full stop. Texts in plain lower case hold nothing the model finds, and reading
    only these stretches is what makes the model affordable on thousands of excerpts."""
    from .names import lists

    words = list(_WORD.finditer(text))
    dictionary = None
    marks = []
    for i, m in enumerate(words):
        w = m.group().strip("\"'“”‘’()[],.;:!?")
        if not w or not w[0].isupper() or w in _PRONOUN_I:
            continue
        if covered and any(a <= m.start() < b or a < m.end() <= b for a, b in covered):
            continue              # the lists and patterns already explain this word
        initial = i == 0 or _SENTENCE_END.search(words[i - 1].group()) is not None
        if not w.isupper():
            if dictionary is None:
                first, _surnames, dictionary = lists()
            if w.lower() in dictionary and (initial or w not in first and not _capital_neighbour(words, i)):
                # "The", "When", "Staff" opening a sentence; "the Staff were kind" in the middle of
                # one: an everyday word alone is a name only when it is also a first name ("Rose")
                # or stands next to another capitalised word ("Emerald Ward", "Home Talk")
                continue
        marks.append(i)
    spans: list[tuple[int, int]] = []
    for i in marks:
        a, b = max(0, i - WINDOW), min(len(words) - 1, i + WINDOW)
        if spans and a <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return [(words[a].start(), words[b].end()) for a, b in spans]


def _capital_neighbour(words, i: int) -> bool:
    for j in (i - 1, i + 1):
        if 0 <= j < len(words):
            w = words[j].group().strip("\"'“”‘’()[],.;:!?")
            if w[:1].isupper() and w not in _PRONOUN_I:
                return True
    return False


def entities(name: str, texts: list[str], covered: list[list[tuple[int, int]]] | None = None,
             ) -> list[list[tuple[str, int, int]]]:
    """For each text, its (entity, start, end) spans, entity one of PERSON, PLACE, ORG.
    `covered`: per text, spans already explained (their words start no window)."""
    nlp = pipeline(name)
    pieces, owners = [], []
    for n, text in enumerate(texts):
        for a, b in windows(text, covered[n] if covered else ()):
            pieces.append(text[a:b])
            owners.append((n, a))
    out: list[list[tuple[str, int, int]]] = [[] for _ in texts]
    from threadpoolctl import threadpool_limits
    # The recogniser multiplies small matrices: BLAS threads cost more to wake than they
    # save (a third of its time on a busy 2-core machine), and the guard spreads its work
    # over processes instead (detect.py).
    with threadpool_limits(limits=1, user_api="blas"):
        for doc, (n, offset) in zip(nlp.pipe(pieces, batch_size=BATCH), owners):
            out[n] += [(LABELS[e.label_], offset + e.start_char, offset + e.end_char)
                       for e in doc.ents if e.label_ in LABELS]
    return out
