"""The README tells the truth: its command-line summary lists every command and option the
command line has, and the files and commands its tour names exist."""

from __future__ import annotations

import re

from conftest import ROOT
from seglab.cli import COMMANDS, _parser

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _summary_lines() -> list[str]:
    """One string per command of the summary (indented lines continue the command above)."""
    block = re.search(r"\*\*Command line\.\*\*.*?```\n(.*?)```", README, re.S)
    assert block, "README: the **Command line.** paragraph with its code block is missing"
    commands = []
    for line in block.group(1).splitlines():
        if line.startswith("seglab "):
            commands.append(line)
        elif commands and line.startswith(" "):
            commands[-1] += " " + line.strip()
    return commands


def _subcommands():
    parser = _parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return parser, action.choices


def test_the_command_line_summary_lists_every_command_and_option():
    lines = _summary_lines()
    parser, commands = _subcommands()
    assert set(commands) == set(COMMANDS)
    for name, sub in commands.items():
        mine = [line for line in lines if line.split()[1] == name]
        assert mine, f"README's command-line summary has no line for `seglab {name}`"
        text = " ".join(mine)
        for action in sub._actions:
            longs = [o for o in action.option_strings if o.startswith("--") and o != "--help"]
            if longs:
                assert any(o in text for o in longs), f"`seglab {name} {longs[0]}` is missing from README's summary"
    globals_ = [o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
    for option in globals_:
        assert option in README, f"README does not mention the global option {option}"


def test_every_seglab_command_in_the_readme_exists():
    _, commands = _subcommands()
    code = re.findall(r"```.*?```", README, re.S) + re.findall(r"`[^`\n]+`", README)
    used = {m for part in code for m in re.findall(r"(?:^|`|\s|/)seglab ([a-z][a-z-]*)", part, re.M)}
    unknown = sorted(u for u in used if u not in commands)
    assert unknown == [], f"README uses commands seglab does not have: {unknown}"


def test_files_the_readme_names_exist():
    """Files the README points at exist; files it shows being written (--out, save_params) need not."""
    named = r"(?<![\w/])((?:params|notebooks|scripts|docs|benchmarks)/[\w./-]+\.(?:yaml|ipynb|md|py))\b"
    written = set(re.findall(r"(?:--out |save_params\(\")" + named[len("(?<![\w/])"):], README))
    for path in sorted(set(re.findall(named, README)) - written | set(re.findall(r"\./(scripts/\w+)", README))):
        assert (ROOT / path).exists(), f"README names {path}, which does not exist"
