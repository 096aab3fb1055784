"""``.. md-include:: FILE.md``: include a Markdown page of the repository as reStructuredText.

Two pages stay Markdown because tests own them: ``docs/bad_inputs.md`` is written by
``tests/test_bad_inputs.py`` and ``docs/report.md`` is read by ``tests/test_report.py``.
This converter handles the subset those pages use -- ATX headings, paragraphs, ``-``
lists (with indented continuation lines), pipe tables, fenced code blocks, inline code,
``**bold**`` and ``[text](target)`` links (a relative ``.md`` target becomes a ``:doc:``
link) -- and refuses anything else (block quotes, raw HTML, setext headings) with an
error naming the line, so a new construct breaks the ``-W`` build instead of rendering
wrongly.  No dependency beyond Sphinx.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList

HEADING_CHARS = {1: "=", 2: "-", 3: "~", 4: "^"}
_FENCE = re.compile(r"^```\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^[-*]\s+(.*)$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_REFUSED = re.compile(r"^(>|<[a-zA-Z!/]|={3,}\s*$|\d+\)\s)")


class MarkdownError(ValueError):
    pass


def _escape(text: str) -> str:
    """Plain Markdown text -> reST text that reads the same (no markup characters left live)."""
    return re.sub(r"([\\`*_|\[\]])", r"\\\1", text)


def _literal(code: str) -> str:
    code = code.strip()
    if not code:
        return ""
    return r"\ :literal:`" + code.replace("\\", "\\\\").replace("`", r"\`") + r"`\ "


def _inline(text: str, doc_targets: dict[str, str]) -> str:
    """Inline Markdown (code spans, bold, links, plain text) -> reST."""
    out = []
    pos = 0
    for m in re.finditer(r"`([^`]*)`", text):
        out.append(_inline_text(text[pos:m.start()], doc_targets))
        out.append(_literal(m.group(1)))
        pos = m.end()
    out.append(_inline_text(text[pos:], doc_targets))
    return "".join(out)


def _inline_text(text: str, doc_targets: dict[str, str]) -> str:
    out = []
    pos = 0
    for m in _LINK.finditer(text):
        out.append(_bold(text[pos:m.start()]))
        label, target = m.group(1), m.group(2)
        if target.endswith(".md") and "://" not in target:
            doc = doc_targets.get(target, target[:-3])
            out.append(r"\ :doc:`" + _escape(label).replace("<", r"\<") + f" <{doc}>`" + r"\ ")
        else:
            out.append(r"\ `" + _escape(label).replace("<", r"\<") + f" <{target}>`__" + r"\ ")
        pos = m.end()
    out.append(_bold(text[pos:]))
    return "".join(out)


def _bold(text: str) -> str:
    parts = re.split(r"\*\*(.+?)\*\*", text)
    return "".join(_escape(p) if i % 2 == 0 else r"\ **" + _escape(p) + r"**\ " for i, p in enumerate(parts))


def _cells(row: str) -> list[str]:
    """Split a pipe-table row on the bars outside code spans."""
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    cells, cur, in_code = [], [], False
    for ch in row:
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    cells.append("".join(cur).strip())
    return cells


def markdown_to_rst(text: str, source: str = "<markdown>", doc_targets: dict[str, str] | None = None) -> list[str]:
    """Convert the supported Markdown subset to reST lines (raises :class:`MarkdownError`)."""
    doc_targets = doc_targets or {}
    lines = text.splitlines()
    out: list[str] = []
    i = 0

    def blank():
        if out and out[-1] != "":
            out.append("")

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            blank()
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            lang = fence.group(1) or "text"
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise MarkdownError(f"{source}: unclosed code fence")
            i += 1
            blank()
            out += [f".. code-block:: {lang}", ""] + ["   " + b if b.strip() else "" for b in body] + [""]
            continue
        heading = _HEADING.match(line)
        if heading:
            title = _inline(heading.group(2), doc_targets)
            blank()
            out += [title, HEADING_CHARS[len(heading.group(1))] * max(len(title), 3), ""]
            i += 1
            continue
        if line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                if not _TABLE_RULE.match(lines[i]):
                    rows.append(_cells(lines[i]))
                i += 1
            width = len(rows[0])
            if any(len(r) != width for r in rows):
                raise MarkdownError(f"{source}: a table row has a different number of cells near line {i}")
            blank()
            out += [".. list-table::", "   :header-rows: 1", ""]
            for row in rows:
                for k, cell in enumerate(row):
                    out.append(("   * - " if k == 0 else "     - ") + (_inline(cell, doc_targets) or r"\ "))
            out.append("")
            continue
        bullet = _BULLET.match(line)
        if bullet:
            blank()
            while i < len(lines):
                b = _BULLET.match(lines[i])
                if not b:
                    break
                item = [b.group(1)]
                i += 1
                while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() \
                        and not _BULLET.match(lines[i].strip()):
                    item.append(lines[i].strip())
                    i += 1
                if i < len(lines) and lines[i].startswith("  ") and _BULLET.match(lines[i].strip()):
                    raise MarkdownError(f"{source}: nested list at line {i + 1} is not supported")
                out.append("- " + _inline(" ".join(item), doc_targets))
            out.append("")
            continue
        if _REFUSED.match(line.lstrip()) or line.startswith("    "):
            raise MarkdownError(f"{source}: line {i + 1} uses Markdown this converter does not support: {line!r}")
        para = []
        while i < len(lines) and lines[i].strip() and not (
                _FENCE.match(lines[i]) or _HEADING.match(lines[i]) or lines[i].lstrip().startswith("|")
                or _BULLET.match(lines[i])):
            if _REFUSED.match(lines[i].lstrip()):
                raise MarkdownError(f"{source}: line {i + 1} uses Markdown this converter does not support")
            para.append(lines[i].strip())
            i += 1
        blank()
        out.append(_inline(" ".join(para), doc_targets))
        out.append("")
    return out


class MarkdownInclude(Directive):
    """Insert a Markdown file (path relative to the current page) as reST."""

    required_arguments = 1
    option_spec = {"doc-target": directives.unchanged}

    def run(self):
        env = self.state.document.settings.env
        rel, path = env.relfn2path(self.arguments[0])
        env.note_dependency(rel)
        targets = {}
        for pair in (self.options.get("doc-target") or "").split():
            md, doc = pair.split("=", 1)
            targets[md] = doc
        try:
            rst = markdown_to_rst(Path(path).read_text(encoding="utf-8"), source=rel, doc_targets=targets)
        except (OSError, MarkdownError) as exc:
            raise self.error(str(exc)) from None
        self.state_machine.insert_input(StringList(rst, source=path), path)
        return []


def setup(app):
    app.add_directive("md-include", MarkdownInclude)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
