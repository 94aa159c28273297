"""The template environment: built-in theme, project overrides, safe defaults.

A project's `templates/` folder overrides the built-in theme file by file, and
block by block when a template extends the built-in one explicitly:

    {% extends "!default/story.html" %}
    {% block persona %}…{% endblock %}

Autoescape is always on and undefined variables are errors: interview text,
captions and alt text are untrusted, and a typo in a template must fail the
build rather than publish a blank.
"""
from __future__ import annotations

from pathlib import Path

import jinja2
from markdown_it import MarkdownIt

from ..errors import RenderError
from ..sandbox import ConfinedLoader, SecurityError, template_environment, template_location
from .cache import digest, file_digest

THEME_DIR = Path(__file__).resolve().parent.parent / "themes" / "default"
TEMPLATES = THEME_DIR / "templates"
STATIC = THEME_DIR / "static"
FONTS = THEME_DIR / "fonts"


def make_env(project_templates: Path | None) -> jinja2.Environment:
    """Sandboxed (storygen.sandbox): a project's templates/ may come from anyone, and
    building someone else's project must never run their code or read files outside it."""
    loaders: list[jinja2.BaseLoader] = []
    if project_templates is not None and project_templates.is_dir():
        loaders.append(ConfinedLoader(str(project_templates)))
    # "!default/x.html" always means the built-in template, even when overridden.
    loaders.append(jinja2.PrefixLoader({"!default": jinja2.FileSystemLoader(str(TEMPLATES))},
                                       delimiter="/"))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
    return template_environment(jinja2.ChoiceLoader(loaders), autoescape=True,
                                keep_trailing_newline=True, trim_blocks=False)


def theme_fingerprint(project_templates: Path | None) -> str:
    """A hash of every template that could be used, so page caches follow theme edits."""
    parts: list[str] = []
    for folder in (TEMPLATES, project_templates):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            parts.append(f"{folder == TEMPLATES}:{path.relative_to(folder).as_posix()}:{file_digest(path)}")
    return digest(parts)


def render(env: jinja2.Environment, name: str, context: dict, page: str) -> str:
    """Render one template; template mistakes become one clear RenderError."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template syntax error: {exc.message}", path=exc.filename or exc.name,
                          line=exc.lineno, hint="fix the Jinja2 syntax on that line") from None
    except jinja2.UndefinedError as exc:
        where = template_location(exc)
        raise RenderError(f"while rendering {page}: {exc.message}",
                          path=where[0] if where else name, line=where[1] if where else None,
                          hint="templates may only use the variables the theme provides; "
                               "see the built-in templates for their names") from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"while rendering {page}: template {exc.name!r} not found",
                          hint="check the name in {% extends %} / {% include %}; the built-in "
                               "theme is reached as \"!default/NAME\"") from None
    except SecurityError as exc:
        where = template_location(exc)
        raise RenderError(f"while rendering {page}: the template tried something templates may not do "
                          f"({exc.message}); nothing was run", path=where[0] if where else name,
                          line=where[1] if where else None,
                          hint="templates can show the values the theme provides, never reach Python "
                               "or files; remove that expression") from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        where = template_location(exc)
        raise RenderError(f"while rendering {page}: {type(exc).__name__}: {exc}",
                          path=where[0] if where else name, line=where[1] if where else None,
                          hint="fix the expression on that line of the template") from None




def markdown() -> MarkdownIt:
    """CommonMark with raw HTML disabled: bridge text is the team's, but never markup."""
    md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": True, "linkify": False,
                                   "typographer": False})
    return md
