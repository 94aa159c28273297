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
from .cache import digest, file_digest

THEME_DIR = Path(__file__).resolve().parent.parent / "themes" / "default"
TEMPLATES = THEME_DIR / "templates"
STATIC = THEME_DIR / "static"
FONTS = THEME_DIR / "fonts"


def make_env(project_templates: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if project_templates is not None and project_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(project_templates)))
    # "!default/x.html" always means the built-in template, even when overridden.
    loaders.append(jinja2.PrefixLoader({"!default": jinja2.FileSystemLoader(str(TEMPLATES))},
                                       delimiter="/"))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )


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
        where = _template_frame(exc)
        raise RenderError(f"while rendering {page}: {exc.message}",
                          path=where[0] if where else name, line=where[1] if where else None,
                          hint="templates may only use the variables the theme provides; "
                               "see the built-in templates for their names") from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"while rendering {page}: template {exc.name!r} not found",
                          hint="check the name in {% extends %} / {% include %}; the built-in "
                               "theme is reached as \"!default/NAME\"") from None


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost template file and line in a Jinja traceback, if any."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".html") or filename.endswith(".xml"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def markdown() -> MarkdownIt:
    """CommonMark with raw HTML disabled: bridge text is the team's, but never markup."""
    md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": True, "linkify": False,
                                   "typographer": False})
    return md
