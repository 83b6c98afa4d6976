"""A griffe extension for the API reference (docs/reference.md): the package's docstrings are
written for ``help()`` and doctest, in reStructuredText habits, and rendered here as Markdown.

Doctest examples become fenced ``pycon`` blocks (as plain Markdown, ``>>>`` would be a quote
and ``event["Records"][0]`` a link the strict build cannot resolve), Sphinx roles such as
``:class:`~lambda_asgi.Adapter``` become code spans, and a paragraph ending in ``::`` (an RST
literal block follows) ends in ``:``.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

_ROLE = re.compile(r":(?:attr|class|data|exc|func|meth|mod):`(~?)([^`]+)`")


def _code_span(match: re.Match[str]) -> str:
    target = match[2]
    return f"`{target.rsplit('.', 1)[-1] if match[1] else target}`"


def to_markdown(text: str) -> str:
    """The docstring with doctest blocks fenced, roles as code spans, ``::`` as ``:``."""
    lines: list[str] = []
    indent = ""
    in_fence = in_example = False
    for line in text.splitlines():
        stripped = line.lstrip()
        if in_example and not stripped:
            lines.append(f"{indent}```")
            in_example = False
        elif stripped.startswith("```"):
            in_fence = not in_fence
        elif not (in_fence or in_example) and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            lines.append(f"{indent}```pycon")
            in_example = True
        if not (in_fence or in_example):
            line = _ROLE.sub(_code_span, line)
            if line.endswith("::"):
                line = line[:-1]
        lines.append(line)
    if in_example:
        lines.append(f"{indent}```")
    return "\n".join(lines)


class MarkdownDocstrings(Extension):
    """Rewrite every docstring with :func:`to_markdown` once griffe has loaded the package."""

    def on_object(self, *, obj: Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
