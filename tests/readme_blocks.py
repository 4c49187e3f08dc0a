"""The README as a test plan: its shell code blocks, the commands shown in them with the output shown
under each, and the markers that say how a test runs a block, or why it does not run a command.

A marker is an HTML comment on the lines just above a block's opening fence (blank lines between
are allowed), one directive each, every one with its reason after a colon:

- `<!-- test: not-run: REASON -->`: no command of the block runs.
- `<!-- test: not-run aetui open, exit: REASON -->`: the commands of those names do not run (a name
  is the first word, with the subcommand after `aetui` or the target after `make`).
- ``<!-- test: runs `A` as `B`, `C` as `D`: REASON -->``: the test runs each command with the text A
  replaced by B (a long training shortened); every such A must occur in the block.
- ``<!-- test: `SESSION` stands for the last session made above: REASON -->``, or ``stands for the
  session `aetui train ae-32` made``: the session made by the first command starting with those words.
- `<!-- test: waits for each detached run to end: REASON -->`: after a `--detach` command the test
  waits until that run has ended, as the README's "later" does; ``waits for each detached run to end
  before `aetui schedule` `` waits for them before the first command starting with those words.

A shell block (```sh) holds commands, `#` comments, and output shown as comments indented by three
spaces (`#   tuned: beta=1 from step 213 (epoch 2)`) under the command that prints it. A plain block
holds a command after a `$ ` prompt, followed by its output. A name stamped with a date and time
(`sparse-kl-20261202-091500`) stands for the session or sweep of that prefix the test's store holds.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
SHELLS = ("sh", "bash", "shell", "console")
DATED = re.compile(r"\b([a-z][a-z0-9.-]*?)-(\d{8})-(\d{6})\b")
_MARKER = re.compile(r"^<!--\s*test:\s*(.*?)\s*-->\s*$")
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


@dataclass
class Command:
    """One command as the README shows it, with the lines of output shown under it."""

    line: int
    text: str
    expected: list[str] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text)

    @property
    def name(self) -> str:
        """`aetui`, `aetui train`, `make run`, `exit`: the first word and, after `aetui` or `make`, the next
        word that is not an option."""
        words = self.words
        if words[0] in ("aetui", "make") and len(words) > 1 and not words[1].startswith("-"):
            return f"{words[0]} {words[1]}"
        return words[0]


@dataclass
class Block:
    """A code block that shows commands, and the directives of its marker."""

    line: int
    commands: list[Command]
    directives: list[str]

    def reasons(self) -> dict[str, str]:
        """Each directive's head (what it does) to its reason; a directive without a reason maps to ''."""
        return dict(_split(d) for d in self.directives)

    @property
    def not_run(self) -> bool:
        return "not-run" in self.reasons()

    def skipped_names(self) -> set[str]:
        names = set()
        for head in self.reasons():
            if head.startswith("not-run "):
                names |= {name.strip() for name in head[len("not-run "):].split(",")}
        return names

    def substitutions(self) -> list[tuple[str, str]]:
        return [pair for head in self.reasons() if head.startswith("runs ")
                for pair in re.findall(r"`([^`]+)` as `([^`]+)`", head)]

    def stands_for(self) -> dict[str, str]:
        """Each placeholder to the command (its first words) whose session it stands for; '' for the
        last session made above it."""
        found = {}
        for head in self.reasons():
            last = re.fullmatch(r"`(\S+)` stands for the last session made above", head)
            made = re.fullmatch(r"`(\S+)` stands for the session `([^`]+)` made", head)
            if last:
                found[last.group(1)] = ""
            elif made:
                found[made.group(1)] = made.group(2)
        return found

    @property
    def waits(self) -> bool:
        """Whether the test waits for a detached run to end right after the command that started it."""
        return "waits for each detached run to end" in self.reasons()

    def waits_before(self) -> list[str]:
        """The commands (their first words) before which the test waits for every detached run to end."""
        return [m for head in self.reasons() for m in re.findall(r"^waits for each detached run to end before `([^`]+)`$", head)]

    def needs_mnist(self) -> bool:
        text = " ".join(c.text for c in self.commands)
        return "~/mnist" in text or "shared/data/mnist" in text


def _split(directive: str) -> tuple[str, str]:
    """A directive's head and its reason, split at the first colon outside backquotes ('' without one)."""
    for i, ch in enumerate(directive):
        if ch == ":" and directive[:i].count("`") % 2 == 0:
            return directive[:i].strip(), directive[i + 1:].strip()
    return directive.strip(), ""


def blocks(text: str | None = None) -> list[Block]:
    """Every code block of the README (or `text`) that shows a command, in order."""
    lines = (README.read_text() if text is None else text).splitlines()
    found, markers, i = [], [], 0
    while i < len(lines):
        line = lines[i]
        marker = _MARKER.match(line)
        if marker:
            markers.append(marker.group(1))
        elif line.startswith("```"):
            language, start = line[3:].strip(), i
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append((i + 1, lines[i]))
                i += 1
            commands = _shell(body) if language in SHELLS else _prompted(body) if language == "" else []
            if commands:
                found.append(Block(start + 1, commands, markers))
            markers = []
        elif line.strip():
            markers = []
        i += 1
    return found


def _shell(body: list[tuple[int, str]]) -> list[Command]:
    commands: list[Command] = []
    pending = ""
    for number, line in body:
        stripped = line.strip()
        if stripped.startswith("#   ") and commands:
            commands[-1].expected.append(stripped[4:])
        elif stripped.startswith("#") or not stripped:
            continue
        else:
            text = _without_comment(pending + line).strip()
            if text.endswith("\\"):
                pending = text[:-1] + " "
                continue
            pending = ""
            commands.extend(_alternatives(Command(number, text)))
    return commands


def _prompted(body: list[tuple[int, str]]) -> list[Command]:
    commands: list[Command] = []
    for number, line in body:
        if line.startswith("$ "):
            commands.append(Command(number, line[2:].strip()))
        elif commands and line.strip():
            commands[-1].expected.append(line.strip())
    return commands


def _without_comment(line: str) -> str:
    """The line without a trailing `  # comment` (a `#` after whitespace, outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def _alternatives(command: Command) -> list[Command]:
    """`aetui pause|continue|stop S` is three commands, one after another."""
    words = command.text.split(" ")
    if len(words) > 1 and "|" in words[1] and words[0] == "aetui":
        return [Command(command.line, " ".join([words[0], choice, *words[2:]]), list(command.expected))
                for choice in words[1].split("|")]
    return [command]


def output_pattern(expected: str) -> re.Pattern:
    """A pattern for a line of output the README shows: its numbers stand for any number, a path may
    start anywhere (`sessions/x` matches `/tmp/.../sessions/x`), runs of spaces for any spaces."""
    parts, last = [], 0
    for m in _NUMBER.finditer(expected):
        parts.append(re.escape(expected[last:m.start()]))
        parts.append(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")
        last = m.end()
    parts.append(re.escape(expected[last:]))
    pattern = "".join(parts)
    pattern = re.sub(r"(?:\\ )+", r"\\s+", pattern)
    pattern = re.sub(r"(^|\\s\+)(?=[\w.-]+/)", r"\1\\S*", pattern)
    return re.compile(pattern)
