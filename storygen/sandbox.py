"""Template environments: the only way storygen makes one, and always sandboxed.

A project is data, never code: it may come from a colleague, a contractor or a
pull request, and building it must not run anything it says. Every template a
project can hold (story bodies, site theme overrides under templates/) is
therefore rendered by Jinja's immutable sandbox, with two tightenings:

- attributes may be read only on plain values (text, numbers, lists, mappings
  and Jinja's own helpers), so no object handed to a template, such as a file
  path, can be used to reach the file system or Python itself;
- `lipsum` is gone and `range` is capped.

Story bodies are written by the team and run on every build, so they are also
bounded (`StorySandbox`): loop iterations, the size of any text or list they
make, the size of their output and their running time. Going over a bound is an
error naming the story, the line and the limit, never a hang.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.runtime import BlockReference, LoopContext, Macro, Namespace, TemplateReference, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Cycler, Joiner
from markupsafe import Markup

# Values whose attributes a template may read. Anything else (a Path, a model object,
# a function) is opaque: a template can print it or pass it on, never look inside it.
SAFE_TYPES = (str, Markup, int, float, bool, type(None), list, tuple, dict, set, frozenset, range,
              datetime.date, LoopContext, Macro, BlockReference, TemplateReference, Namespace, Cycler,
              Joiner, Undefined, jinja2.environment.TemplateModule)


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """A sandboxed environment for templates a project supplies."""

    def __init__(self, **options):
        options.setdefault("undefined", jinja2.StrictUndefined)
        super().__init__(**options)
        del self.globals["lipsum"]          # megabytes of filler text from one call: no use here

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        return isinstance(obj, SAFE_TYPES) and super().is_safe_attribute(obj, attr, value)


def template_environment(loader: jinja2.BaseLoader | None = None, *, autoescape: bool = True,
                         **options) -> TemplateSandbox:
    """The environment for a project's theme templates: sandboxed, autoescaped, strict."""
    return TemplateSandbox(loader=loader, autoescape=autoescape, **options)


class ConfinedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that refuses a template whose real path leaves its folder
    (a symbolic link out of templates/ must not publish /etc/passwd)."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(Path(folder).resolve()) for folder in self.searchpath):
            raise SecurityError(f"template {template!r} is a link to a file outside the templates folder")
        return source, filename, uptodate


def template_location(exc: BaseException, suffixes=(".html", ".xml")) -> tuple[str, int] | None:
    """The innermost template file and line in an exception's traceback, if any.

    Jinja rewrites tracebacks so that template frames carry the template's file
    name and line, which is what a user needs to see.
    """
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(suffixes):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


# --- story bodies -----------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    """What one story body may compute. A real story uses a tiny share of each."""

    iterations: int = 100_000       # loop turns and calls, all loops together
    range: int = 10_000             # items in one range(...)
    size: int = 1_000_000           # characters (or items) in any one value it makes
    output: int = 1_000_000         # characters of rendered body
    seconds: float = 10.0           # running time


LIMITS = Limits()


class LimitExceeded(jinja2.TemplateRuntimeError):
    """A story body went over one of its Limits."""


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles loops and `~` so that each goes through the environment's counters, and
    refuses tags that would reach other templates (a story body stands alone)."""

    def _alone(self, node, tag: str) -> None:
        self.fail(f"story bodies cannot use {{% {tag} %}}: a story stands alone (write the text in "
                  f"the story, or use a theme template for shared layout)", node.lineno)

    def visit_Extends(self, node, frame):
        self._alone(node, "extends")

    def visit_Include(self, node, frame):
        self._alone(node, "include")

    def visit_Import(self, node, frame):
        self._alone(node, "import")

    def visit_FromImport(self, node, frame):
        self._alone(node, "from … import")

    def visit_For(self, node, frame):
        node.iter = nodes.Call(nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [], None, None,
                               lineno=node.iter.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node, frame):
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


# %-format fields: flags, width, precision (a huge width is a gigabyte of spaces).
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


class StorySandbox(TemplateSandbox):
    """The environment story bodies render in: sandboxed and bounded (see Limits).

    One environment renders one story: its counters start with the first step.
    """

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, limits: Limits | None = None, **options):
        super().__init__(**options)
        self.limits = limits or LIMITS
        self.globals["range"] = self._range
        self.filters = {name: self._bounded_filter(name, f) for name, f in self.filters.items()}
        self._steps = 0
        self._deadline: float | None = None

    # Every loop turn, call, filter and operator passes here.
    def tick(self) -> None:
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self.limits.seconds
        self._steps += 1
        if self._steps > self.limits.iterations:
            raise LimitExceeded(f"the story body takes more than {self.limits.iterations:,} loop turns "
                                f"and calls (the limit)")
        if now > self._deadline:
            raise LimitExceeded(f"the story body ran for more than {self.limits.seconds:g} seconds (the limit)")

    def sized(self, value, what: str = "a value"):
        """`value`, unless it is text or a collection over the size limit."""
        if isinstance(value, (str, list, tuple, dict, set, frozenset)) and len(value) > self.limits.size:
            raise LimitExceeded(f"{what} of {len(value):,} characters or items is over the limit of "
                                f"{self.limits.size:,}")
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > self.limits.size // 10:
            raise LimitExceeded(f"a number with {value.bit_length():,} bits is over the limit")
        return value

    def bounded_iter(self, iterable):
        for item in iterable:
            self.tick()
            yield item

    def bounded_concat(self, values) -> str:
        total = 0
        for value in values:
            if isinstance(value, (str, list, tuple, dict)):
                total += len(value)
        if total > self.limits.size:
            raise LimitExceeded(f"joining with ~ makes text of {total:,} characters, over the size limit of "
                                f"{self.limits.size:,}")
        self.tick()
        return "".join(map(str, values))

    def concat(self, chunks) -> str:
        """Join rendered output (Template.render and buffers), stopping at the output limit.

        The error is raised inside the template's own generator, so its traceback
        points at the template line that produced the output.
        """
        parts, total = [], 0
        for chunk in chunks:
            total += len(chunk)
            if total > self.limits.output:
                error = LimitExceeded(f"the story body's output is over the limit of "
                                      f"{self.limits.output:,} characters")
                if hasattr(chunks, "throw"):
                    chunks.throw(error)
                raise error
            parts.append(chunk)
        return "".join(parts)

    def _range(self, *args):
        for arg in args:
            if not isinstance(arg, int) or isinstance(arg, bool):
                raise LimitExceeded(f"range() takes whole numbers, not {type(arg).__name__}")
        items = range(*args)
        if len(items) > self.limits.range:
            raise LimitExceeded(f"range() of {len(items):,} numbers is over the limit of {self.limits.range:,}")
        return items

    def wrap_str_format(self, value):
        # str.format would build any width of padding outside our counters; stories do not
        # need it. Returning None leaves it to is_safe_attribute, which refuses it.
        return None

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        if isinstance(obj, str) and attr in ("format", "format_map", "translate"):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        __self.tick()
        for value in (*args, *kwargs.values()):
            __self.sized(value, "an argument")
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > __self.limits.size:
                raise LimitExceeded(f"the number {value} is too large for a call here "
                                    f"(the limit is {__self.limits.size:,})")
        _precheck(__self, getattr(__obj, "__name__", ""), getattr(__obj, "__self__", None), args, kwargs)
        return __self.sized(super().call(__context, __obj, *args, **kwargs), "a call's result")

    def call_binop(self, context, operator: str, left, right):
        self.tick()
        if operator == "*":
            count, seq = (right, left) if isinstance(left, (str, list, tuple)) else (left, right)
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and len(seq) * count > self.limits.size:
                raise LimitExceeded(f"repeating a value {count:,} times is over the size limit of "
                                    f"{self.limits.size:,}")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and \
                    right * abs(left).bit_length() > self.limits.size // 10:
                raise LimitExceeded(f"{left} ** {right} is over the size limit for numbers")
        elif operator == "%" and isinstance(left, str):
            _check_percent(self, left)
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            if len(left) + len(right) > self.limits.size:
                raise LimitExceeded(f"adding these makes a value over the size limit of {self.limits.size:,}")
        return self.sized(self.binop_table[operator](left, right))

    def _bounded_filter(self, name: str, func):
        @functools.wraps(func)
        def bounded(*args, **kwargs):
            self.tick()
            values = [a for a in args if not isinstance(a, (jinja2.runtime.Context, jinja2.nodes.EvalContext,
                                                            jinja2.Environment))]
            _precheck(self, name, values[0] if values else None, values[1:], kwargs)
            return self.sized(func(*args, **kwargs), f"the {name} filter's result")
        return bounded


def _check_percent(env: StorySandbox, template: str) -> None:
    for found in _PERCENT.finditer(template):
        for number in found.groups():
            if number == "*" or (number and int(number) > env.limits.size):
                raise LimitExceeded(f"a %-format width of {number} is over the size limit of {env.limits.size:,}")


def _precheck(env: StorySandbox, name: str, subject, args, kwargs) -> None:
    """Refuse a filter or method call whose result would be far larger than its inputs,
    before it runs: checking the size afterwards would come too late to save the memory.

    `subject` is the filtered value (or the text a str method belongs to)."""
    def arg(index: int, key: str, default=None):
        return kwargs.get(key, args[index] if len(args) > index else default)

    text = subject if isinstance(subject, str) else ""
    worst = 0
    if name == "format" and isinstance(subject, str):
        _check_percent(env, subject)
    elif name == "replace" and isinstance(subject, str):
        old, new, count = arg(0, "old", ""), arg(1, "new", ""), arg(2, "count")
        if isinstance(old, str) and isinstance(new, str):
            times = text.count(old) if old else len(text) + 1
            if isinstance(count, int) and count >= 0:
                times = min(times, count)
            worst = len(text) + times * len(new)
    elif name == "join":
        items, separator = (arg(0, "iterable", ()), text) if isinstance(subject, str) else \
            (subject, arg(0, "d", ""))
        if isinstance(items, (list, tuple)) and isinstance(separator, str):
            worst = sum(len(i) for i in items if isinstance(i, str)) + len(items) * len(separator)
    elif name in ("center", "ljust", "rjust", "zfill"):
        width = arg(0, "width", 80)
        worst = width if isinstance(width, int) else 0
    elif name == "indent":
        width = arg(0, "width", 4)
        width = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        worst = len(text) + (text.count("\n") + 1) * width
    elif name == "wordwrap":
        width, wrap = arg(0, "width", 79), arg(2, "wrapstring", None) or "\n"
        if isinstance(width, int) and isinstance(wrap, str):
            worst = len(text) + (len(text) // max(width, 1) + 1) * len(wrap)
    elif name == "expandtabs":
        size = arg(0, "tabsize", 8)
        worst = len(text) + text.count("\t") * size if isinstance(size, int) else 0
    elif name in ("batch", "slice"):
        count = arg(0, "linecount" if name == "batch" else "slices", 1)
        worst = count if isinstance(count, int) else 0
    elif name == "tojson":
        indent = arg(0, "indent")
        if isinstance(indent, int) and indent > 16:
            raise LimitExceeded("tojson(indent=…) over 16 is refused in story bodies")
    if worst > env.limits.size:
        raise LimitExceeded(f"{name}(…) here would make a value of about {worst:,} characters, over the "
                            f"size limit of {env.limits.size:,}")


def plain(value):
    """`value` as plain data a template may look into: dataclasses become mappings, and
    anything that is not text, a number or a collection (a file path) is left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ((f.name, plain(getattr(value, f.name))) for f in dataclasses.fields(value))
        return {name: item for name, item in fields if item is not _LEFT_OUT}
    if isinstance(value, (list, tuple)):
        return tuple(item for item in map(plain, value) if item is not _LEFT_OUT)
    if isinstance(value, dict):
        return {k: v for k, v in ((k, plain(v)) for k, v in value.items()) if v is not _LEFT_OUT}
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    return _LEFT_OUT


_LEFT_OUT = object()
