"""The README's command table and `--help` list the same options: every option the table shows for
a command is one its `--help` lists, and every option a `--help` lists is in the table's rows for
that command (a row of options alone, `--sessions DIR`, holds for every command)."""

from __future__ import annotations

import argparse
import re

import pytest

from tests.readme_blocks import README

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def table_rows(text: str) -> list[str]:
    """The first cells of the command table, under `## The command line`."""
    lines = text.split("\n## The command line", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| command"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(re.split(r"(?<!\\) \| ", line[2:], maxsplit=1)[0])
    return rows


def documented(text: str) -> dict[str, set[str]]:
    """Each command (`aetui`, `aetui train`, ...) to the options its rows show; `*` to those of a
    row of options alone, which every command takes."""
    options: dict[str, set[str]] = {}
    for cell in table_rows(text):
        for form in re.findall(r"`([^`]+)`", cell):
            words = form.split()
            if words[0] == "aetui":
                name = f"aetui {words[1]}" if len(words) > 1 and re.fullmatch(r"[a-z]+", words[1]) else "aetui"
            elif words[0].startswith("--"):
                name = "*"
            else:
                continue
            options.setdefault(name, set()).update(OPTION.findall(form))
    return options


def listed() -> dict[str, set[str]]:
    """Each command to the options its `--help` lists (`--help` itself aside)."""
    from aetui.cli import _parser

    def options(parser: argparse.ArgumentParser) -> set[str]:
        return {o for a in parser._actions if a.help != argparse.SUPPRESS
                for o in a.option_strings if o.startswith("--") and o != "--help"}

    parser = _parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"aetui": options(parser), **{f"aetui {name}": options(p) for name, p in sub.choices.items()}}


@pytest.fixture(scope="module")
def both():
    return documented(README.read_text()), listed()


def test_the_table_has_a_row_for_every_command(both):
    shown, helped = both
    assert set(helped) - set(shown) == set() and set(shown) - set(helped) - {"*"} == set()
    assert shown["*"] and shown["*"] <= helped["aetui"], "a row of options alone names options of `aetui` itself"


@pytest.mark.parametrize("name", sorted(listed()))
def test_every_option_of_the_table_is_in_help_and_every_option_of_help_in_the_table(both, name):
    shown, helped = both
    in_table = shown.get(name, set()) | (shown.get("*", set()) & helped[name])
    assert in_table - helped[name] == set(), f"{name}: in the README's table, not in --help"
    assert helped[name] - in_table == set(), f"{name}: in --help, not in the README's table"


def test_the_help_of_every_argument_says_what_it_is():
    from aetui.cli import _parser

    parser = _parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        for action in command._actions:
            assert action.help, f"aetui {name}: {action.dest} has no help line"
    evaluate = {a.dest: a.help for a in sub.choices["eval"]._actions}
    assert "train" not in evaluate["gpu"]


def test_the_values_the_table_lists_for_an_option_are_the_ones_it_takes():
    """`--view curves|recon|...`, `--backend local|ray`: the same values as the option's choices."""
    from aetui.cli import _parser

    parser = _parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parsers = {"aetui": parser, **{f"aetui {name}": p for name, p in sub.choices.items()}}
    checked = 0
    for cell in table_rows(README.read_text()):
        for form in re.findall(r"`([^`]+)`", cell):
            words = form.split()
            if words[0] != "aetui":
                continue
            name = f"aetui {words[1]}" if len(words) > 1 and re.fullmatch(r"[a-z]+", words[1]) else "aetui"
            for option, values in re.findall(r"(--[a-z-]+) ([a-z0-9:-]+(?:\\\|[a-z0-9:-]+)+)", form):
                (action,) = (a for a in parsers[name]._actions if option in a.option_strings)
                if action.choices is not None:
                    assert set(values.split("\\|")) == set(action.choices), f"{name} {option}"
                    checked += 1
    assert checked >= 5
