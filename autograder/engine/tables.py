"""Tables whose names are never cut, at any terminal width.

A rich table squeezes its columns into the terminal, and long names get wrapped or
cut (``encodec_rvq_…`` for nine different submissions): rows can then neither be
told apart nor copied. Here a table is printed as it is when every cell but the
free-text ones fits on one line. Otherwise the rows are numbered, the table shows
the numbers, and a legend under it gives every name whole on a line of its own.
Where even that table does not fit, each row is a line: its name, then its
cells. A legend line longer than the terminal runs on (the terminal folds it for
the eye) but is never broken or cut, so the name stays findable and copyable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from .display import console_name, name_text


@dataclass(frozen=True)
class Column:
    header: str
    justify: str = "left"
    style: str | None = None
    free_text: bool = False   # may wrap (a note, a message): never the reason to change the layout


def _table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]],
           blank_free_text: bool = False) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(escape(column.header), justify=column.justify, style=column.style,
                         no_wrap=not column.free_text, overflow="fold")
    for row in rows:
        table.add_row(*(("" if blank_free_text and column.free_text else cell)
                        for column, cell in zip(columns, row)))
    return table


def _fits(console: Console, title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> bool:
    """Whether every cell but the free-text ones fits on one line (free text may wrap)."""
    table = _table(title, columns, rows, blank_free_text=True)
    unbounded = console.options.update(max_width=1 << 20)   # measured as wide as it wants to be
    return Measurement.get(console, unbounded, table).maximum <= console.options.max_width


def print_named_rows(console: Console, title: str, name_header: str, columns: Sequence[Column],
                     rows: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Print rows of ``(name, cells)`` (cells may hold rich markup; names are plain text, shown
    visibly: see display.name_text) under ``columns``, so that every name appears whole on one
    line of the output."""
    named = [[console_name(name), *cells] for name, cells in rows]
    every = [Column(name_header), *columns]
    if _fits(console, title, every, named):
        console.print(_table(title, every, named))
        return
    numbers = [str(index) for index in range(1, len(rows) + 1)]
    numbered = [[number, *cells] for number, (_, cells) in zip(numbers, rows)]
    legend = [f"{number:>{len(numbers[-1])}}  {name_text(name)}" for number, (name, _) in zip(numbers, rows)]
    if _fits(console, title, [Column("#", "right"), *columns], numbered):
        console.print(_table(title, [Column("#", "right"), *columns], numbered))
        console.print(f"{escape(name_header)}:", highlight=False)
        for line in legend:
            console.print(line, soft_wrap=True, markup=False, highlight=False)
        return
    console.print(title, style="italic", soft_wrap=True, markup=False, highlight=False)
    for name, cells in rows:
        details = ", ".join(f"{escape(column.header)} {cell}" for column, cell in zip(columns, cells) if cell)
        console.print(f"{console_name(name)}: {details}", soft_wrap=True, highlight=False)
