"""``.. blasso-cli-help::``: the ``--help`` text of ``blasso`` and of every command, rendered at build time.

The texts come from the argparse parsers themselves (:func:`blasso.cli.build_parser`),
so the reference cannot drift from the code: a new command or option appears on the
next build.  Each command becomes a section (``blasso solve``, ...) holding its help
as a literal block, formatted at a fixed width of 100 columns.
"""

from __future__ import annotations

import argparse
import os
import re

from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList

WIDTH = 100
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def help_text(parser: argparse.ArgumentParser) -> str:
    """``parser.format_help()`` at a fixed width, without colour codes."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(WIDTH)
    try:
        return _ANSI.sub("", parser.format_help()).rstrip()
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def commands():
    """``(top-level parser, [(name, parser, one-line help), ...])`` in the order ``blasso --help`` lists them."""
    from blasso.cli import build_parser

    parser, _mods = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    return parser, [(name, p, helps.get(name, "")) for name, p in sub.choices.items()]


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_|])", r"\\\1", text or "")


def render(underline: str = "-") -> list[str]:
    parser, cmds = commands()
    lines = [".. code-block:: text", ""] + ["   " + ln if ln else "" for ln in help_text(parser).splitlines()] + [""]
    lines += ["Commands:", ""]
    lines += [f"- :ref:`blasso {name} <cli-{name}>`: {_escape(help)}" for name, _p, help in cmds] + [""]
    for name, p, _help in cmds:
        title = f"``blasso {name}``"
        lines += [f".. _cli-{name}:", "", title, underline * len(title), ""]
        lines += [".. code-block:: text", ""]
        lines += ["   " + ln if ln else "" for ln in help_text(p).splitlines()]
        lines += [""]
    return lines


class CliHelp(Directive):
    option_spec = {"underline": directives.unchanged}

    def run(self):
        env = self.state.document.settings.env
        # the texts depend on the package's sources: rebuild this page whenever a CLI module changes
        import blasso.cli

        cli_dir = os.path.dirname(blasso.cli.__file__)
        for fn in sorted(os.listdir(cli_dir)):
            if fn.endswith(".py"):
                env.note_dependency(os.path.join(cli_dir, fn))
        lines = render(self.options.get("underline", "-"))
        self.state_machine.insert_input(StringList(lines, source="blasso --help"), "blasso --help")
        return []


def setup(app):
    app.add_directive("blasso-cli-help", CliHelp)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
