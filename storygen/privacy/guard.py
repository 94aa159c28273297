"""The guard: every text that will be published, through every detector.

`guard_project` walks each composite's published texts (segments, title,
summary, persona, content note, pictures, slug), runs the detectors, the
project's private knowledge (pseudonym map, deny-list) and the composite-level
rules (R11, R15), applies reviewers' sign-offs, and returns a `GuardReport`.
`check_excerpts` does the same for imported excerpts.

A sign-off's key is a hash of the rule, the span and the whole text the span
was found in, so any edit to that text makes the sign-off stale.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import cache_root
from ..context import BuildContext
from ..model import Composite, Finding, Origin, Project, Story, text_hash
from . import quasi
from .detect import ENTITY_RULES, Hit
from .literals import Literals
from .propagate import Propagation
from .settings import detector_for, privacy_config as _privacy_config, settings_for
from .private import PrivateKnowledge, SignOff, load_private
from .textnorm import fold, fold_key

# Rules whose findings no reviewer can wave through: the values are known to be real.
UNSIGNABLE = frozenset({"R4", "R5"})


@dataclass(frozen=True)
class GuardFinding(Finding):
    """A privacy finding: a `Finding` plus the key a sign-off refers to."""

    key: str = ""
    entity: str = ""
    field: str = ""                    # which published text: "excerpt", "title", "alt", …
    signoff: SignOff | None = None

    @property
    def resolved(self) -> bool:
        """True when this finding does not stop publication."""
        return self.action == "warn" or (self.action == "signoff" and self.signoff is not None) \
            or (self.action == "block" and self.signoff is not None)

    def format(self) -> str:
        text = super().format()
        if self.signoff:
            text += f" — signed off by {self.signoff.reviewer} on {self.signoff.date}: {self.signoff.reason}"
        elif self.key and self.action != "warn" and self.rule not in UNSIGNABLE:
            text += f" (key {self.key})"
        return text


@dataclass
class GuardReport:
    findings: list[GuardFinding] = field(default_factory=list)
    verdicts: dict[str, str] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    stale_signoffs: list[SignOff] = field(default_factory=list)
    # One line when no NER model ran ("names and places found by lists and patterns only…").
    notice: str | None = None
    # The Guard that made this report (private knowledge, warm detector): the output scan reuses it.
    guard: "Guard | None" = field(default=None, repr=False, compare=False)

    @property
    def blocking(self) -> bool:
        """Any BLOCK, or any SIGN-OFF without a reviewer's decision."""
        return any(not f.resolved for f in self.findings)


def finding_key(rule: str, span: str, context: str) -> str:
    """The sign-off key: rule + span + the full text the span sits in."""
    data = "\x1f".join((rule, fold_key(span), text_hash(context)))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


class Guard:
    """Shared state for one run: settings, detector, private knowledge."""

    def __init__(self, project: Project, knowledge: PrivateKnowledge | None = None,
                 context: BuildContext | None = None):
        self.project = project
        # The build context owns the detectors (and so their memory of texts already read):
        # without one, this guard's memory lasts as long as the guard.
        self.context = context if context is not None else BuildContext()
        self.knowledge = knowledge if knowledge is not None else load_private(Path(project.root))
        self.settings = settings_for(project, self.knowledge)
        self.detector = detector_for(self.settings, self.context.privacy_detectors)
        self.detector.use_clean_cache(cache_root(project.root) / "privacy")
        secrets = self.knowledge.secrets()
        self.literals = Literals(secrets)
        self.real = self.knowledge.real_keys()
        self.used_signoffs: set[str] = set()
        self.propagation = Propagation(())
        self._set_context()

    def _set_context(self) -> None:
        # Everything besides a composite's own text that decides what check_composite finds.
        self._context = hashlib.blake2b(json.dumps(
            [sorted(self.knowledge.secrets()), sorted(self.real), self.settings_limit,
             self.propagation.digest()]).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def learn(self, texts) -> None:
        """Scan every text of this run (the model reads them in batches) and learn what was
        flagged, so that check_text finds it again wherever else it is written (propagate.py)."""
        texts = [t for t in texts if t]
        found = [(h.entity, h.span) for hits in self.detector.scan_many(texts) for h in hits]
        self.propagation = Propagation(found, allowed=self.settings.allowed_names)
        self._set_context()

    # -- one text -----------------------------------------------------------------
    def check_text(self, text: str, *, field: str, origin: Origin | None, story: str | None,
                   names: bool = True) -> list[GuardFinding]:
        out: list[GuardFinding] = []
        if not text:
            return out
        taken: list[tuple[int, int]] = []
        for hit in self.literals.find(text):
            entry = self.real.get(fold_key(hit.span))
            hint = (f"replace it with the pseudonym “{entry.pseudonym}”" if entry else
                    "remove or generalise it; deny-list terms never reach a published file")
            out.append(self._finding("R5", "block", f"{field}: {hit.label}", hint, story, origin,
                                     hit.span, text, entity="PRIVATE", field=field))
            taken.append((hit.start, hit.end))
        for hit in self.detector.scan(text):
            if not names and hit.entity.startswith("PERSON"):
                continue
            if any(hit.start < b and a < hit.end for a, b in taken):
                continue          # already reported as a known private value
            out.append(self._finding(hit.rule, hit.action, f"{field}: {_describe(hit)}", hit.hint, story,
                                     origin, hit.span, text, entity=hit.entity, field=field))
            taken.append((hit.start, hit.end))
        for entity, a, b in self.propagation.find(text):
            if (not names and entity == "PERSON") or any(a < y and x < b for x, y in taken):
                continue
            rule, action, hint = ENTITY_RULES[entity]
            out.append(self._finding(rule, action, f"{field}: {_LABELS.get(entity, entity)} "
                                                   "(flagged elsewhere in the project)", hint, story,
                                     origin, text[a:b], text, entity=entity, field=field))
        return out

    def _finding(self, rule, action, message, hint, story, origin, span, context, *, entity, field):
        key = finding_key(rule, span, context)
        signoff = None
        if rule not in UNSIGNABLE:
            signoff = self.knowledge.signoffs.get(key)
            if signoff is not None:
                self.used_signoffs.add(key)
        return GuardFinding(rule=rule, action=action, message=message, hint=hint, story=story,
                            origin=origin, span=span, key=key, entity=entity, field=field, signoff=signoff)

    # -- one composite --------------------------------------------------------------
    def check_composite(self, composite: Composite) -> list[GuardFinding]:
        """Every finding in one composite's published texts (R1–R12, R15).

        A composite found clean is remembered by a hash of its texts and the private
        knowledge (never the text): a rebuild after one edit re-checks only the
        composites that changed, or that had findings.
        """
        texts = self.published_texts(composite)
        clean_key = self._composite_hash(composite, texts)
        if self.detector.composite_remembered(clean_key):
            return []
        findings = self._check_composite(composite, texts)
        if not findings:
            self.detector.remember_composite(clean_key)
        return findings

    def published_texts(self, composite: Composite) -> list[tuple[str, str, Origin | None, bool]]:
        """Every published text of one composite: (field, text, origin, run the name detectors).

        The one list both the check and its clean-verdict key read: a text published in a
        new field is added here, and is then both checked and part of the key, so an edit
        to it can never be waved through as already clean.
        """
        story = composite.story
        where = story.origin
        texts: list[tuple[str, str, Origin | None, bool]] = [("persona name", story.persona.name, where, False)]
        for seg in composite.segments:
            if seg.kind == "excerpt":
                ex = self.project.excerpts.get(seg.excerpt_id or "")
                origin = ex.origin if ex and ex.origin else _at(where, seg.line)
                texts.append(("excerpt", seg.text, origin, True))
            else:
                texts.append((seg.kind, seg.text, _at(where, seg.line), True))
        texts += [("title", story.title, where, True), ("summary", story.summary, where, True),
                  ("persona role", story.persona.role, where, True),
                  ("persona setting", story.persona.setting, where, True),
                  ("content note", story.content_note, where, True),
                  ("slug", _words(story.slug), where, True)]
        for pic in story.images:
            texts += [("alt text", pic.alt, where, True), ("caption", pic.caption, where, True),
                      ("credit", pic.credit, where, True), ("image file name", _words(Path(pic.image).stem),
                                                              where, True),
                      ("image path", pic.image, where, False)]
        return texts

    def _composite_hash(self, composite: Composite, texts) -> str:
        # Origins are left out: they only say where a finding points, and a clean composite has none.
        parts = [self._context, composite.story.slug, [[f, t, names] for f, t, _o, names in texts]]
        data = json.dumps(parts, default=str).encode("utf-8", "surrogatepass")
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    def _check_composite(self, composite: Composite, texts) -> list[GuardFinding]:
        story = composite.story
        findings: list[GuardFinding] = []
        findings += self._persona_name(story)
        texts = [t for t in texts if t[0] != "persona name"]     # checked above, with the map
        for field_name, text, origin, run_names in texts:
            findings += self.check_text(text, field=field_name, origin=origin, story=story.slug, names=run_names)
        findings += self._combination(story, texts, findings)
        return findings

    def _persona_name(self, story: Story) -> list[GuardFinding]:
        name = story.persona.name
        out = []
        entry = self.real.get(fold_key(name))
        if entry is None:
            # The invented first name may stand alone; a known surname or full real name may not.
            for part in fold_key(name).split():
                if part in self.real:
                    entry = self.real[part]
        if entry is not None:
            out.append(self._finding("R4", "block", "persona name equals a real name in the pseudonym map",
                                     "invent a different persona name", story.slug, story.origin, name, name,
                                     entity="PRIVATE", field="persona name"))
        # Other detectors still run on the name field (a phone number is never a name).
        for f in self.check_text(name, field="persona name", origin=story.origin, story=story.slug, names=False):
            if f.rule != "R5" or entry is None:
                out.append(f)
        return out

    def _combination(self, story: Story, texts, findings) -> list[GuardFinding]:
        """R11 (three or more quasi-identifier types) and R15 (special category + place/org/role)."""
        kinds = {"PLACE": "place", "ORG": "organisation", "UNIQUE": "role", "AGE": "age", "DOB": "age",
                 "EVENT": "event"}
        types = {kinds[f.entity] for f in findings if f.entity in kinds}
        whole = "\n".join(t for _, t, _, _ in texts if t)
        for t in self.detector.qi_types(fold(whole).text):
            types.add(t.split(":", 1)[1] if t.startswith("special:") else t)
        special = sorted(t for t in types if t in quasi.SPECIAL)
        out = []
        limit = self.settings_limit
        if len(types) >= limit:
            span = ", ".join(sorted(types))
            out.append(self._finding("R11", "signoff",
                                     f"{len(types)} quasi-identifier types in one composite character",
                                     "blur one or more of them (band the age, generalise the place) or record "
                                     "a sign-off", story.slug, story.origin, span, whole,
                                     entity="QI", field="composite"))
        anchors = types & {"place", "organisation", "role"}
        if special and anchors:
            span = ", ".join(special) + " + " + ", ".join(sorted(anchors))
            out.append(self._finding("R15", "signoff",
                                     "special-category data next to a place, organisation or rare role",
                                     "generalise the place/organisation/role, or record a sign-off",
                                     story.slug, story.origin, span, whole, entity="SPECIAL", field="composite"))
        return out

    @property
    def settings_limit(self) -> int:
        return int(getattr(_privacy_config(self.project), "qi_limit", 3))

    def stale(self) -> list[SignOff]:
        return [s for k, s in sorted(self.knowledge.signoffs.items()) if k not in self.used_signoffs]


def _at(origin: Origin | None, line: int | None) -> Origin | None:
    if origin is None:
        return None
    return Origin(origin.path, line or origin.line)


def _words(slug: str) -> str:
    """'sarah-holloway_story' -> 'Sarah Holloway Story': slugs and file names lose capitals."""
    return " ".join(w[:1].upper() + w[1:] for w in re.split(r"[-_.\s]+", slug) if w)


_LABELS = {"EMAIL": "an email address", "PHONE": "a phone number", "POSTCODE": "a postcode",
           "NHS": "an NHS number", "NINO": "a National Insurance number", "URL": "a web address",
           "HANDLE": "a social media handle", "IP": "an IP address", "CARD": "a card number",
           "IBAN": "a bank account number", "PASSPORT": "a passport number",
           "DRIVING": "a driving licence number", "VEHICLE": "a vehicle registration",
           "PERSON": "a personal name", "PERSON?": "a person-like name not in the pseudonym map",
           "DOB": "a date of birth", "DATE": "an absolute date", "AGE": "an exact age",
           "PLACE": "a place below region level", "ORG": "a named organisation or team",
           "UNIQUE": "a uniqueness marker near a place or organisation", "EVENT": "a singular event"}


def _describe(hit: Hit) -> str:
    return _LABELS.get(hit.entity, hit.entity)


# --- the public entry points ---------------------------------------------------------------
def guard_project(project: Project, composites: list[Composite],
                  context: BuildContext | None = None) -> GuardReport:
    """Run the guard over every published text of every composite (see module docstring).
    `context`, the build's, keeps the detectors' memory between builds (serve)."""
    guard = Guard(project, context=context)
    report = GuardReport(settings=_audit_settings(guard), guard=guard, notice=guard.detector.notice)
    report.findings += map_findings(guard.knowledge)
    report.findings += project_texts(guard)
    ordered = sorted(composites, key=lambda c: c.story.slug)
    guard.learn(seg.text for c in ordered for seg in c.segments)
    for composite, (found, used, clean) in zip(ordered, _check_all(guard, ordered)):
        guard.used_signoffs |= used
        guard.detector.add_clean(clean)
        report.findings += found
        report.verdicts[composite.story.slug] = verdict(found)
    report.findings += reuse_findings(guard, composites)
    report.stale_signoffs = guard.stale()
    for s in report.stale_signoffs:
        report.findings.append(GuardFinding(
            rule="R17", action="warn", story=s.story or None, origin=s.origin, span=s.span,
            message="sign-off matches no current finding (was the text edited after review?)",
            hint="review the new text and record a new sign-off, or delete this one", key=s.key,
            field="sign-off"))
    guard.detector.save_clean_cache()
    return report


def _check_one(guard: Guard, composite: Composite):
    guard.used_signoffs = set()
    found = guard.check_composite(composite)
    return found, guard.used_signoffs, guard.detector.drain_clean()


def _check_all(guard: Guard, composites: list[Composite]) -> list:
    """check_composite for each, over the CPUs on a cold build (composites are independent).

    Each result carries what the check changed in the guard (sign-offs used, clean-text
    hashes), for the caller to merge: a forked worker's own state is thrown away.
    """
    from ..parallel import MIN_ITEMS, pmap_shared

    used, guard.used_signoffs = guard.used_signoffs, set()
    guard.detector.drain_clean()
    # A rebuild finds nearly every text in the clean cache: then starting processes costs
    # more than the look-ups they would share.
    cold = sum(1 for c in composites if not all(guard.detector.known_clean(s.text) for s in c.segments))
    in_processes = cold >= MIN_ITEMS
    try:
        return pmap_shared(_check_one, guard, composites,
                           min_items=MIN_ITEMS if in_processes else len(composites) + 1)
    finally:
        guard.used_signoffs = used


def project_texts(guard: Guard) -> list[GuardFinding]:
    """Texts every page shares: theme names and descriptions, the site's title and blurbs."""
    out: list[GuardFinding] = []
    project = guard.project
    for code in sorted(project.codes.values(), key=lambda c: c.id):
        out += guard.check_text(code.name, field=f"theme {code.id} name", origin=code.origin, story=None)
        out += guard.check_text(code.description, field=f"theme {code.id} description", origin=code.origin,
                                story=None)
    site = getattr(project.config, "site", None)
    toml = Origin(Path("storygen.toml"))
    for key in ("title", "description", "author", "method_statement"):
        out += guard.check_text(getattr(site, key, "") or "", field=f"site.{key}", origin=toml, story=None)
    return out


def reuse_findings(guard: Guard, composites: list[Composite]) -> list[GuardFinding]:
    """R14 (WARN): long verbatim quotes, and one excerpt told by two different personas."""
    limit = int(getattr(_privacy_config(guard.project), "long_quote_words", 80))
    out: list[GuardFinding] = []
    seen: dict[str, tuple[str, str]] = {}
    for comp in sorted(composites, key=lambda c: c.story.slug):
        for seg in comp.excerpt_segments:
            ex = guard.project.excerpts.get(seg.excerpt_id or "")
            origin = ex.origin if ex and ex.origin else comp.story.origin
            if seg.words > limit:
                out.append(GuardFinding(rule="R14", action="warn", story=comp.story.slug, origin=origin,
                                        span=" ".join(seg.text.split()[:8]) + " …", field="excerpt",
                                        message=f"a verbatim quote of {seg.words} words can be matched to its "
                                                f"transcript", hint=f"shorten it below {limit} words with …"))
            key = seg.excerpt_id or seg.text_hash or ""
            persona = comp.story.persona.name
            if key in seen and seen[key][1] != persona:
                out.append(GuardFinding(rule="R14", action="warn", story=comp.story.slug, origin=origin,
                                        span=" ".join(seg.text.split()[:8]) + " …", field="excerpt",
                                        message=f"the same excerpt is told by {seen[key][1]} in "
                                                f"`{seen[key][0]}` and by {persona} here",
                                        hint="use it in one story only, so the two cannot be linked"))
            seen.setdefault(key, (comp.story.slug, persona))
    return out


def model_notice(project: Project) -> str | None:
    """The line every report carries when names and places are found without a model."""
    return Guard(project).detector.notice


def check_excerpts(excerpts, project: Project, context: BuildContext | None = None) -> list[Finding]:
    """The guard's detectors over imported excerpts; findings point at each excerpt's origin."""
    guard = Guard(project, context=context)
    out: list[Finding] = []
    excerpts = sorted(excerpts, key=lambda e: e.id)
    guard.learn(ex.text for ex in excerpts)
    for ex in excerpts:
        out += guard.check_text(ex.text, field=f"excerpt {ex.id}", origin=ex.origin, story=None)
    guard.detector.save_clean_cache()
    return out


def verdict(findings: list[GuardFinding]) -> str:
    """'blocked' | 'needs sign-off' | 'pass with warnings' | 'pass'."""
    if any(f.action == "block" and not f.resolved for f in findings):
        return "blocked"
    if any(not f.resolved for f in findings):
        return "needs sign-off"
    if any(f.action == "warn" for f in findings):
        return "pass with warnings"
    return "pass"


def map_findings(knowledge: PrivateKnowledge) -> list[GuardFinding]:
    """R4: one real person -> one pseudonym; no pseudonym shared or equal to a real name."""
    out: list[GuardFinding] = []
    by_real: dict[str, tuple[str, Origin]] = {}
    by_pseudonym: dict[str, tuple[str, Origin]] = {}
    reals = knowledge.real_keys()
    for e in knowledge.entries:
        p = fold_key(e.pseudonym)
        for v in e.values:
            k = fold_key(v)
            if k in by_real and by_real[k][0] != p:
                out.append(GuardFinding(rule="R4", action="block", origin=e.origin, span=e.pseudonym,
                                        message=f"the same real name has two pseudonyms (also at {by_real[k][1]})",
                                        hint="one person, one pseudonym everywhere: pick one", field="pseudonyms"))
            by_real.setdefault(k, (p, e.origin))
        if p in reals:
            out.append(GuardFinding(rule="R4", action="block", origin=e.origin, span=e.pseudonym,
                                    message="this pseudonym is also a real name in the map",
                                    hint="choose a pseudonym that is nobody's real name", field="pseudonyms"))
        if not e.pseudonym.startswith("["):
            reals_here = fold_key(e.real)
            if p in by_pseudonym and by_pseudonym[p][0] != reals_here and \
                    fold_key(by_pseudonym[p][0]) not in {fold_key(v) for v in e.values}:
                out.append(GuardFinding(rule="R4", action="block", origin=e.origin, span=e.pseudonym,
                                        message=f"two people share this pseudonym (also at {by_pseudonym[p][1]})",
                                        hint="give each person their own pseudonym", field="pseudonyms"))
            by_pseudonym.setdefault(p, (reals_here, e.origin))
    return out


def _audit_settings(guard: Guard) -> dict:
    d = guard.settings.describe()
    d["qi_limit"] = guard.settings_limit
    d["private_files"] = list(guard.knowledge.files)
    d["pseudonym_entries"] = len(guard.knowledge.entries)
    d["deny_terms"] = len(guard.knowledge.deny)
    d["signoffs"] = len(guard.knowledge.signoffs)
    return d
