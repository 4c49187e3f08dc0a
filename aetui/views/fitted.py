"""Tables whose numbers are never cut (`FittedTable`): given less width than it wants, a table
first lets its headers and text wrap, then drops its numbers' leading zeros, then folds a header
word (never leaving a sliver under three letters: `trai` / `n`), and only then writes numbers with
fewer significant digits (`formats.fit_column`: `0.07796` as `.07796`, `.078`, `.08`), the widest
column first. A number is never folded over two lines nor
cut short with an ellipsis. `aetui show`, `ls`, `eval`
and the tables of the screens print through it."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from aetui.views import formats


@dataclass
class _Column:
    header: str
    number: bool
    justify: str
    no_wrap: bool = False
    texts: list = field(default_factory=list)


SLIVER = 3
"""A header word folds only into pieces of at least this many letters (else numbers lose digits first)."""


class FittedTable:
    """A rich table, built for the width it is given: `add_column` (numbers right-justified, never
    cut; text wraps), then `add_row` with one cell per column (numbers as the formatted text)."""

    def __init__(self, title: str | Text | None = None, caption: str | None = None, **table_args):
        self.title, self.caption, self.table_args = title, caption, table_args
        self.columns: list[_Column] = []
        self.styles: list[str | None] = []

    def add_column(self, header: str, number: bool = True, justify: str | None = None, no_wrap: bool = False) -> None:
        """A column of numbers (`number`), else of text, which wraps unless `no_wrap` (a name)."""
        self.columns.append(_Column(header, number, justify or ("right" if number else "left"), no_wrap))

    def add_row(self, *cells, style: str | None = None) -> None:
        for column, cell in zip(self.columns, cells):
            column.texts.append(cell)
        self.styles.append(style)

    @property
    def row_count(self) -> int:
        return len(self.styles)

    def table(self, widths: dict[int, int] | None = None) -> Table:
        """The rich table with column `i` in `widths[i]` characters: a numeric column with its
        numbers written to fit, a text column wrapping (then folding) its words (all at full
        length without `widths`; a `no_wrap` column, a name, is never narrowed)."""
        widths = widths or {}
        table = Table(title=self.title, caption=self.caption, title_justify="left", caption_justify="left",
                      **self.table_args)
        cells = []
        for i, column in enumerate(self.columns):
            header = Text(column.header, no_wrap=False, overflow="fold")
            if column.number:
                width = widths.get(i, self._natural(i))
                table.add_column(header, justify=column.justify, no_wrap=True, width=width)
                cells.append(formats.fit_column([_plain(t) for t in column.texts], width) if i in widths
                             else [_plain(t) for t in column.texts])
            else:
                longest = max([len(_plain(t)) for t in column.texts] + [1])
                table.add_column(header, justify=column.justify, overflow="fold", no_wrap=column.no_wrap,
                                 min_width=longest if column.no_wrap else None, width=widths.get(i))
                cells.append([t if isinstance(t, Text) else Text(str(t)) for t in column.texts])
        for row, style in enumerate(self.styles):
            table.add_row(*[column_cells[row] for column_cells in cells], style=style)
        return table

    def _natural(self, i: int) -> int:
        column = self.columns[i]
        return max([len(line) for t in column.texts for line in _plain(t).splitlines() or [""]] +
                   [len(column.header), 1])

    def fitted(self, console: Console, options: ConsoleOptions) -> Table:
        """The table at its full length where it fits `options.max_width`, else narrowed one column
        and one character at a time, doing the least harm first (`_harm`)."""
        room = options.max_width
        widths = {i: self._natural(i) for i, c in enumerate(self.columns) if c.number or not c.no_wrap}
        table = self.table(widths)
        while _needed(console, options, table) > room:
            steps = [(self._harm(i, widths[i] - 1), -widths[i], i) for i in widths if widths[i] > 1]
            steps = [step for step in steps if step[0] is not None]
            if not steps:
                break  # (no number can be shorter: printed as wide as it needs, whole)
            _, _, i = min(steps)
            widths[i] -= 1
            table = self.table(widths)
        return table

    def _harm(self, i: int, width: int) -> float | None:
        """What narrowing column `i` to `width` costs: 0 where its numbers and every word still fit
        (text and headers wrap at spaces), 1 where its numbers lose their leading zero, 2 where a
        header word must fold (to half its length at most), 2.5 where a word of text must fold, 3
        where its numbers lose digits, 4 where a header word would fold into slivers (a piece under
        `SLIVER` letters: `trai` / `n` reads worse than a number with fewer digits); None where the
        numbers cannot be that short or a text would fold under four characters."""
        column = self.columns[i]
        word = max([len(w) for w in column.header.split()] + [1])
        if not column.number:
            longest = max([len(w) for t in column.texts for w in _plain(t).split()] + [word, 1])
            return 0 if width >= longest else 2.5 if width >= 4 else None
        texts = [_plain(t) for t in column.texts]
        short = formats.fit_column(texts, width)
        if any(len(t) > width for t in short):
            return None
        if width < word and (width < max(4, -(-word // 2)) or (word % width or width) < SLIVER):
            return 4  # (a header folded into slivers reads worse than a number with fewer digits)
        harm = 0 if short == texts else 1 if short == [_bare(t) for t in texts] else 3
        return max(harm, 2) if width < word else harm

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = self.fitted(console, options)
        needed = _needed(console, options, table)
        if needed > options.max_width:  # wider than the room even so: printed whole, never cut
            yield from console.render(table, options.update(max_width=needed, width=needed))
            return
        yield table

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table())


def _needed(console: Console, options: ConsoleOptions, table: Table) -> int:
    """The columns `table` takes at the widths it was given (a name, never narrowed, whole)."""
    return Measurement.get(console, options.update(max_width=10_000), table).maximum


def _plain(cell) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _bare(text: str) -> str:
    """A number without its leading zero (`.0849`)."""
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text
