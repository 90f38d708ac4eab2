"""Rich rendering shared by the commands: the consoles and the table style.

Output uses the terminal's full width (rich's default: the terminal's size,
or COLUMNS, or 80 columns when piped); table cells wrap and fold long values
rather than cutting them.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)


def table(title: str, columns: Iterable[str], right: Iterable[str] = ()) -> Table:
    """A table titled on the left with `columns`; those in `right` are right-aligned (numbers).

    Every cell wraps, and a value longer than its column folds onto the next line.
    """
    numeric = set(right)
    result = Table(title=title, title_justify="left")
    for name in columns:
        result.add_column(name, justify="right" if name in numeric else "left", overflow="fold")
    return result


def print_line(text: str) -> None:
    """One line that is never wrapped (file paths, summaries meant for grep)."""
    console.print(text, soft_wrap=True, highlight=False)
