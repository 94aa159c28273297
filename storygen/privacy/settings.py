"""The privacy guard's settings: from a project's `[privacy]` table and private knowledge to
the detectors' `Settings`, and one warm detector per distinct settings on the build context."""
from __future__ import annotations

from ..model import Project
from .detect import Detector, Settings
from .private import PrivateKnowledge
from .textnorm import fold_key


def privacy_config(project: Project):
    """The project's [privacy] settings (None for a config without them)."""
    return getattr(project.config, "privacy", None)


def settings_for(project: Project, knowledge: PrivateKnowledge) -> Settings:
    """The detectors' settings for this project: its [privacy] table, the site's own domain,
    and the names that may be published (pseudonyms, persona names that are nobody's real name)."""
    cfg = privacy_config(project)
    from .detect import DEFAULT_THRESHOLDS
    from .domains import registered_domain
    thresholds = dict(DEFAULT_THRESHOLDS)
    thresholds.update(getattr(cfg, "thresholds", {}) or {})
    domains = list(getattr(cfg, "allowed_domains", []) or [])
    site = getattr(project.config, "site", None)
    base = getattr(site, "base_url", "")
    if base:
        domain = registered_domain(base)
        if domain:
            domains.append(domain)
    allowed_names = set(knowledge.pseudonyms())
    real = knowledge.real_keys()
    for story in project.stories:
        key = fold_key(story.persona.name)
        if key and key not in real:
            allowed_names.add(key)
            allowed_names.update(p for p in key.split() if p not in real)
    return Settings(thresholds=thresholds,
                    context_window=int(getattr(cfg, "context_window", 40)),
                    allowed_domains=tuple(sorted(set(domains))),
                    allowed_names=frozenset(allowed_names),
                    allowed_values=frozenset(fold_key(v) for v in getattr(cfg, "allow_values", []) or []),
                    names=bool(getattr(cfg, "names", True)),
                    ner_model=str(getattr(cfg, "ner_model", "") or ""),
                    quasi=bool(getattr(cfg, "quasi_identifiers", True)))


def detector_for(settings: Settings, detectors: dict) -> Detector:
    """One detector (and so one warm cache) per distinct settings in `detectors`
    (BuildContext.privacy_detectors)."""
    key = settings.fingerprint()
    if key not in detectors:
        detectors[key] = Detector(settings)
    return detectors[key]
