"""Atomic, streaming imports of CSV and XLSX files.

One framework serves every import kind (units, employees, customers, interactions,
transactions here; survey responses register from the surveys app). A file is read row by row
and handled in batches, so memory stays bounded however long the file is: each batch is
parsed, checked against the database and upserted by `external_id` inside one transaction.
Duplicate ids are detected through a temporary table rather than a Python set that would
grow with the file. After the first error nothing more is written but every remaining row is
still checked, so the person sees all the problems at once; then the transaction is rolled
back and the database is exactly as before.

Files come from people who may be careless or hostile, so reading one is bounded before any
work grows with what it claims to hold: a CSV line may be at most `CSV_MAX_LINE_BYTES`; an
XLSX workbook is a ZIP archive whose directory is checked first (each part's declared unpacked
size against a budget, and its compression ratio, so a small "zip bomb" is refused without
being unpacked), and its first sheet is streamed with a budget of cells. The upload size
itself is capped where uploads arrive (`services.import_upload`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

MAX_REPORTED_ERRORS = 200

MiB = 1024 * 1024
# A physical CSV line longer than this is refused before the csv module buffers it (no import
# kind has rows anywhere near it; the csv module's own field limit is 131,072 characters).
CSV_MAX_LINE_BYTES = 1 * MiB
# XLSX budgets. Parts openpyxl loads whole (shared strings, styles, the workbook…) get a small
# budget: 16 MiB of shared strings is about 150,000 distinct names and e-mail addresses and
# takes openpyxl ~7 s at worst (tiny strings); the bomb that prompted this held 34 MB in an
# 84 KB file. Worksheets are streamed, so theirs is larger, and the cell budget bounds the work
# on the first sheet (~11 µs per cell in openpyxl: about 20 s). Larger files go as CSV.
XLSX_MAX_PARTS = 2_000
XLSX_SHEET_BYTES = 128 * MiB
XLSX_SHARED_STRINGS_BYTES = 16 * MiB
XLSX_OTHER_PART_BYTES = 16 * MiB
XLSX_TOTAL_BYTES = 192 * MiB
# Spreadsheet XML deflates about 5-15:1; 100:1 is Apache POI's zip-bomb threshold too.
XLSX_MAX_RATIO = 100
XLSX_RATIO_CHECKED_ABOVE = 1 * MiB
XLSX_MAX_CELLS = 2_000_000


@dataclass(frozen=True)
class RowError:
    file: str
    row: int | None  # 1-based line/row number in the file, the header being row 1
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


class ImportFailed(Exception):
    """The file was rejected; nothing was written."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        self.errors = errors
        self.total = total if total is not None else len(errors)
        super().__init__("\n".join(str(e) for e in errors[:20]))


@dataclass
class ImportReport:
    kind: str
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    dry_run: bool = False
    # What was written beyond the organisation, for the audit trail (e.g. {"teams": [...]}).
    written_to: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "dry_run": self.dry_run,
        }


class ErrorLog:
    """Collects row errors, keeping the first MAX_REPORTED_ERRORS and counting the rest."""

    def __init__(self, file: str):
        self.file = file
        self.errors: list[RowError] = []
        self.total = 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(self.file, row, column, message))

    def __bool__(self) -> bool:
        return self.total > 0

    def fail(self) -> ImportFailed:
        return ImportFailed(self.errors, self.total)


# --- reading files ---------------------------------------------------------------------------


def _cell_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return value  # numbers and dates from spreadsheets keep their type


def read_rows(path: Path, *, filename: str, errors: ErrorLog) -> tuple[list[str], Iterator]:
    """Open a CSV or XLSX file; return its header and an iterator of (row_number, dict).

    Problems with the file as a whole (type, encoding, emptiness) are recorded in `errors`.
    """
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path, errors)
    if suffix in (".csv", ".txt", ""):
        return _read_csv(path, errors)
    errors.add(None, None, f"unsupported file type {suffix!r}; upload a .csv or .xlsx file")
    return [], iter(())


class _LineTooLong(Exception):
    pass


def _read_csv(path: Path, errors: ErrorLog) -> tuple[list[str], Iterator]:
    raw = open(path, "rb")  # noqa: SIM115 - closed by the generator below
    position = {"line": 0}

    def decoded_lines():
        # Decode line by line (not in 8 KB chunks) so an encoding error names its row; read at
        # most CSV_MAX_LINE_BYTES + 1 so one endless line never sits in memory whole.
        for number, line in enumerate(iter(lambda: raw.readline(CSV_MAX_LINE_BYTES + 1), b""), 1):
            position["line"] = number
            if len(line) > CSV_MAX_LINE_BYTES:
                raise _LineTooLong
            if number == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[len(codecs.BOM_UTF8) :]
            yield line.decode("utf-8")

    def refuse(exc: Exception) -> None:
        errors.add(position["line"], None, _csv_problem(exc))

    reader = csv.reader(decoded_lines())
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error, _LineTooLong) as exc:
        refuse(exc)
        raw.close()
        return [], iter(())
    if header is None:
        errors.add(None, None, "the file is empty; the first row must name the columns")
        raw.close()
        return [], iter(())
    header = [h.strip() for h in header]
    for column in _columns_with_nul(header, header):
        errors.add(1, column, _NUL_MESSAGE)
    if errors:
        raw.close()
        return [], iter(())

    def rows():
        try:
            for values in reader:
                line = reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if len(values) > len(header):
                    errors.add(line, None, f"{len(values)} values but {len(header)} columns")
                    continue
                with_nul = _columns_with_nul(header, values)
                for column in with_nul:
                    errors.add(line, column, _NUL_MESSAGE)
                if with_nul:
                    continue
                yield line, {h: v.strip() for h, v in zip(header, values, strict=False)}
        except (UnicodeDecodeError, csv.Error, _LineTooLong) as exc:
            refuse(exc)
        finally:
            raw.close()

    return header, rows()


_NUL_MESSAGE = (
    "contains a NUL byte (\\x00), which no text field can store; remove it "
    "(a file full of them was probably saved as UTF-16: save it as 'CSV UTF-8')"
)


def _columns_with_nul(header: list[str], values: list) -> list[str]:
    return [
        header[i] if i < len(header) and header[i] else f"#{i + 1}"
        for i, value in enumerate(values)
        if isinstance(value, str) and "\x00" in value
    ]


def _csv_problem(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return _encoding_message(exc)
    if isinstance(exc, _LineTooLong):
        return (
            f"this line is longer than {CSV_MAX_LINE_BYTES // MiB} MiB; "
            "the file is probably not a CSV export of this kind"
        )
    if "field larger than field limit" in str(exc):
        return (
            f"a value is longer than {csv.field_size_limit():,} characters; "
            "the file is probably not a CSV export of this kind"
        )
    return f"the CSV is malformed: {exc}"


def _encoding_message(exc: UnicodeDecodeError) -> str:
    return (
        f"the file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} cannot be read); "
        "save it as 'CSV UTF-8' and upload it again"
    )


def _read_xlsx(path: Path, errors: ErrorLog) -> tuple[list[str], Iterator]:
    from openpyxl import load_workbook

    problem = _xlsx_refusal(path)
    if problem:
        errors.add(None, None, problem)
        return [], iter(())
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl fails in many ways on a malformed file
        errors.add(None, None, f"the file is not a valid .xlsx workbook ({_brief(exc)})")
        return [], iter(())
    if not workbook.worksheets:
        errors.add(None, None, "the workbook has no sheet")
        workbook.close()
        return [], iter(())
    sheet = workbook.worksheets[0]
    # The dimension a file declares is not trusted: rows are read as far as they really go.
    sheet.reset_dimensions()
    budget = {"cells": XLSX_MAX_CELLS}
    values = _within_cell_budget(sheet.iter_rows(values_only=True), budget)
    try:
        header_values = next(values, None)
    except Exception as exc:  # a malformed sheet (see above)
        header_values = None
        errors.add(1, None, _xlsx_row_problem(exc))
    if header_values is None or not any(v is not None for v in header_values):
        if not errors:
            errors.add(
                None, None, "the workbook's first sheet is empty; row 1 must name the columns"
            )
        workbook.close()
        return [], iter(())
    header = [str(h).strip() if h is not None else "" for h in header_values]
    for column in _columns_with_nul(header, header):
        errors.add(1, column, _NUL_MESSAGE)
    if errors:
        workbook.close()
        return [], iter(())

    def rows():
        number = 1
        try:
            for number, row in enumerate(values, start=2):
                if row is None or all(v is None or v == "" for v in row):
                    continue
                with_nul = _columns_with_nul(header, list(row))
                for column in with_nul:
                    errors.add(number, column, _NUL_MESSAGE)
                if with_nul:
                    continue
                yield number, {h: _cell_text(v) for h, v in zip(header, row, strict=False) if h}
        except Exception as exc:  # a malformed sheet (see above)
            errors.add(number + 1, None, _xlsx_row_problem(exc))
        finally:
            workbook.close()

    return header, rows()


class _CellBudgetSpent(Exception):
    pass


def _within_cell_budget(rows: Iterator[tuple], budget: dict) -> Iterator[tuple]:
    """The rows, until they have held XLSX_MAX_CELLS cells (a missing row counts as one:
    a sheet may jump to row 10⁹, and openpyxl yields every row in between)."""
    for row in rows:
        budget["cells"] -= max(len(row), 1)
        if budget["cells"] < 0:
            raise _CellBudgetSpent
        yield row


def _xlsx_row_problem(exc: Exception) -> str:
    if isinstance(exc, _CellBudgetSpent):
        return (
            f"the first sheet holds more than {XLSX_MAX_CELLS:,} cells (rows × columns, "
            "empty rows included); split it or save it as CSV"
        )
    return f"the sheet cannot be read ({_brief(exc)})"


def _brief(exc: Exception) -> str:
    """One line about a parsing failure, for a person (no traceback, no file paths)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


def _mib(size: int) -> str:
    return f"{size / MiB:,.1f} MiB"


def _xlsx_refusal(path: Path) -> str | None:
    """Why a workbook is refused from its ZIP directory alone, or None.

    Nothing is decompressed except [Content_Types].xml, itself within budget: Python's zipfile
    never unpacks more than a part's declared size (it raises a CRC error instead), so checking
    the declared sizes bounds what openpyxl can be made to read. The part that holds the shared
    strings is found as openpyxl finds it, from the content types, not by its usual name.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            names = {part.filename for part in parts}
            if "[Content_Types].xml" not in names:
                return (
                    "the file is a ZIP archive but not an .xlsx workbook (it has no "
                    "[Content_Types].xml); save it from the spreadsheet as .xlsx or as CSV"
                )
            if len(parts) > XLSX_MAX_PARTS:
                return f"the workbook has {len(parts):,} parts; at most {XLSX_MAX_PARTS:,} allowed"
            problem = _xlsx_part_refusal(archive.getinfo("[Content_Types].xml"), {})
            if problem:
                return problem
            budgets = _xlsx_part_budgets(archive.read("[Content_Types].xml"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, NotImplementedError, EOFError):
        return "the file is not a valid .xlsx workbook"
    except Exception as exc:  # a malformed [Content_Types].xml
        return f"the file is not a valid .xlsx workbook ({_brief(exc)})"
    for part in parts:
        problem = _xlsx_part_refusal(part, budgets)
        if problem:
            return problem
    total = sum(part.file_size for part in parts)
    if total > XLSX_TOTAL_BYTES:
        return (
            f"the workbook unpacks to {_mib(total)}; at most {_mib(XLSX_TOTAL_BYTES)} allowed "
            "(save the sheet as CSV or split it)"
        )
    return None


def _xlsx_part_budgets(content_types: bytes) -> dict[str, tuple[str, int]]:
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import SHARED_STRINGS, WORKSHEET_TYPE
    from openpyxl.xml.functions import fromstring

    manifest = Manifest.from_tree(fromstring(content_types))
    budgets = {
        o.PartName.lstrip("/"): ("sheet", XLSX_SHEET_BYTES)
        for o in manifest.findall(WORKSHEET_TYPE)
    }
    for strings in manifest.findall(SHARED_STRINGS):
        budgets[strings.PartName.lstrip("/")] = ("shared strings", XLSX_SHARED_STRINGS_BYTES)
    return budgets


def _xlsx_part_refusal(part: zipfile.ZipInfo, budgets: dict[str, tuple[str, int]]) -> str | None:
    what, budget = budgets.get(part.filename, ("part", XLSX_OTHER_PART_BYTES))
    if part.file_size > budget:
        return (
            f"the workbook's {what} {part.filename} unpacks to {_mib(part.file_size)}; "
            f"at most {_mib(budget)} allowed (save the sheet as CSV or split it)"
        )
    ratio = part.file_size / max(part.compress_size, 1)
    if part.file_size > XLSX_RATIO_CHECKED_ABOVE and ratio > XLSX_MAX_RATIO:
        return (
            f"the workbook's {what} {part.filename} is compressed {ratio:,.0f}:1, beyond the "
            f"{XLSX_MAX_RATIO}:1 budget no real spreadsheet reaches; the file is refused unread"
        )
    return None


# --- parsing values --------------------------------------------------------------------------


class CellError(ValueError):
    """A value that cannot be used; the message says what would be right."""


def text(max_length: int = 200) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        value = str(value).strip()
        if len(value) > max_length:
            raise CellError(f"is {len(value)} characters long; at most {max_length} allowed")
        return value

    return parse


def identifier(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets turn 1001 into 1001.0
    value = str(value).strip()
    if not value:
        raise CellError("is empty; every row needs an id")
    if len(value) > 100:
        raise CellError("is longer than 100 characters")
    return value


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CellError(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


def datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        raw = str(value).strip()
        try:
            parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise CellError(
                f"{value!r} is not a date-time; write it as ISO 8601, e.g. 2026-03-01T09:30:00Z"
            ) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)  # naive times are read in the configured time zone
    return parsed


def decimal(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise CellError(f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise CellError(f"{value!r} is not a finite number")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"{value!r} has more than two decimal places")
    if abs(amount) >= Decimal("1e12"):
        raise CellError(f"{value!r} is too large")
    return amount.quantize(Decimal("0.01"))


def integer(minimum: int | None = None, maximum: int | None = None) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        try:
            number = float(value) if not isinstance(value, int) else value
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise CellError(f"{value!r} is not a whole number") from None
        if minimum is not None and number < minimum:
            raise CellError(f"{number} is below the minimum of {minimum}")
        if maximum is not None and number > maximum:
            raise CellError(f"{number} is above the maximum of {maximum}")
        return number

    return parse


def choice(choices: Iterable[str]) -> Callable[[Any], str]:
    allowed = tuple(choices)

    def parse(value: Any) -> str:
        value = str(value).strip().lower()
        if value not in allowed:
            raise CellError(f"{value!r} is not one of: {', '.join(allowed)}")
        return value

    return parse


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = str(value).strip().lower()
    if raw in ("1", "true", "yes", "y", "t"):
        return True
    if raw in ("0", "false", "no", "n", "f"):
        return False
    raise CellError(f"{value!r} is not yes/no (use true/false, yes/no or 1/0)")


def email(value: Any) -> str:
    from django.core.validators import validate_email

    raw = str(value).strip()
    try:
        validate_email(raw)
    except Exception:
        raise CellError(f"{raw!r} is not an e-mail address") from None
    return raw


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[Any], Any]
    required: bool = True


@dataclass
class Batch:
    """Parsed rows of one batch: row numbers and values by column (None when blank)."""

    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


class Importer:
    """Base for one import kind. Subclasses set `kind`, `columns` and implement `write`."""

    kind: str = ""
    model = None  # the model upserted by external_id (counted to tell new rows from updates)
    columns: tuple[Column, ...] = ()
    batch_size = 5000

    def __init__(self, organization, **options):
        # Kind-specific options (e.g. the wave and column mapping of a responses import).
        self.organization = organization
        self.options = options

    def check_header(self, header: list[str], errors: ErrorLog) -> None:
        present = set(header)
        for column in self.columns:
            if column.required and column.name not in present:
                errors.add(1, column.name, "this required column is missing from the header row")

    def parse(self, number: int, raw: dict[str, Any], errors: ErrorLog) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        ok = True
        for column in self.columns:
            cell = raw.get(column.name, "")
            if cell == "" or cell is None:
                if column.required:
                    errors.add(number, column.name, "is empty but required")
                    ok = False
                values[column.name] = None
                continue
            try:
                values[column.name] = column.parse(cell)
            except CellError as exc:
                errors.add(number, column.name, str(exc))
                ok = False
        return values if ok else None

    def write(
        self, rows: list[tuple[int, dict]], errors: ErrorLog, *, write: bool
    ) -> tuple[int, int]:
        """Resolve references, record errors and (when `write`) upsert; return (created, updated)."""
        raise NotImplementedError

    def count(self) -> int:
        """Rows of this kind in the organisation (before and after, to count new ones)."""
        return (
            self.model.objects.filter(organization=self.organization).count() if self.model else 0
        )

    def finish(self, errors: ErrorLog, *, write: bool) -> None:
        """Work that needs the whole file (e.g. the unit tree's paths)."""

    def written_to(self) -> dict[str, list[str]]:
        """What was written beyond the organisation itself, for the audit entry."""
        return {}


class SeenIds:
    """Ids already met in this file, kept in a temporary table so memory stays bounded."""

    def __init__(self):
        # Our own name (random hex, never input): the SQL below interpolates only this name
        # and %s placeholders; every value is a parameter (hence the nosecs).
        self.table = f"import_seen_{secrets.token_hex(6)}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} (external_id VARCHAR(100) PRIMARY KEY, row_no INTEGER)"
            )

    def check_and_add(self, rows: list[tuple[int, str]]) -> dict[int, int]:
        """Return {row: first_row} for ids seen before (in earlier batches or this one)."""
        duplicates: dict[int, int] = {}
        first_in_batch: dict[str, int] = {}
        for number, external_id in rows:
            if external_id in first_in_batch:
                duplicates[number] = first_in_batch[external_id]
            else:
                first_in_batch[external_id] = number
        ids = list(first_in_batch)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Set-based on PostgreSQL: insert the batch's ids as arrays; those that
                # conflict were seen in an earlier batch.
                cursor.execute(
                    f"INSERT INTO {self.table} (external_id, row_no) "  # nosec B608
                    f"SELECT * FROM unnest(%s::varchar[], %s::integer[]) "
                    f"ON CONFLICT (external_id) DO NOTHING RETURNING external_id",
                    [ids, [first_in_batch[i] for i in ids]],
                )
                fresh = {row[0] for row in cursor.fetchall()}
                repeated = [i for i in ids if i not in fresh]
                if repeated:
                    cursor.execute(
                        f"SELECT external_id, row_no FROM {self.table} WHERE external_id = ANY(%s)",  # nosec B608
                        [repeated],
                    )
                    for external_id, row_no in cursor.fetchall():
                        duplicates[first_in_batch[external_id]] = row_no
                return duplicates
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT external_id, row_no FROM {self.table} WHERE external_id IN ({marks})",  # nosec B608
                    chunk,
                )
                for external_id, row_no in cursor.fetchall():
                    duplicates[first_in_batch.pop(external_id)] = row_no
            # One multi-row INSERT per 500 ids: far fewer round trips than executemany.
            fresh = list(first_in_batch.items())
            for start in range(0, len(fresh), 500):
                chunk = fresh[start : start + 500]
                values = ",".join(["(%s, %s)"] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {self.table} (external_id, row_no) VALUES {values}",  # nosec B608
                    [v for pair in chunk for v in pair],
                )
        return duplicates

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")


IMPORTERS: dict[str, type[Importer]] = {}
# Other apps' reactions to imported rows (the loyalty ledger earns on imported purchases),
# called inside the import's transaction so a failure there rolls the whole file back.
LISTENERS: dict[str, list[Callable[..., None]]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    IMPORTERS[importer.kind] = importer
    return importer


def register_listener(kind: str, listener: Callable[..., None]) -> None:
    """Call `listener(organization=..., external_ids=[...])` after each written batch of an
    import of `kind`, in the import's transaction (a dry run rolls its work back too)."""
    listeners = LISTENERS.setdefault(kind, [])
    if listener not in listeners:
        listeners.append(listener)


def _batches(iterator: Iterator, size: int) -> Iterator[list]:
    while True:
        batch = list(islice(iterator, size))
        if not batch:
            return
        yield batch


def run_import(
    *,
    organization,
    kind: str,
    path: Path,
    filename: str | None = None,
    dry_run: bool = False,
    options: dict | None = None,
) -> ImportReport:
    """Import a file atomically. Raises ImportFailed (nothing written) on any bad row."""
    filename = filename or Path(path).name
    if kind not in IMPORTERS:
        raise ImportFailed(
            [
                RowError(
                    filename,
                    None,
                    None,
                    f"unknown import kind {kind!r}; use one of {', '.join(sorted(IMPORTERS))}",
                )
            ]
        )
    importer = IMPORTERS[kind](organization, **(options or {}))
    errors = ErrorLog(filename)
    report = ImportReport(kind=kind, file=filename, dry_run=dry_run)
    header, rows = read_rows(Path(path), filename=filename, errors=errors)
    if errors:
        raise errors.fail()
    importer.check_header(header, errors)
    if errors:
        raise errors.fail()
    # An exception anywhere rolls the transaction back, and with it the temporary table.
    with transaction.atomic():
        before = importer.count()
        written = 0
        seen = SeenIds()
        for batch in _batches(rows, importer.batch_size):
            report.rows += len(batch)
            parsed = []
            for number, raw in batch:
                values = importer.parse(number, raw, errors)
                if values is not None:
                    parsed.append((number, values))
            id_rows = [(n, v["external_id"]) for n, v in parsed if v.get("external_id")]
            for number, first in seen.check_and_add(id_rows).items():
                errors.add(
                    number, "external_id", f"duplicate id; it already appears on row {first}"
                )
            written += importer.write(parsed, errors, write=not errors)
            if not errors:
                batch_ids = [v["external_id"] for _, v in parsed if v.get("external_id")]
                for listener in LISTENERS.get(kind, ()):
                    listener(organization=organization, external_ids=batch_ids)
        if report.rows == 0 and not errors:
            errors.add(None, None, "the file has a header row but no data rows")
        importer.finish(errors, write=not errors)
        seen.drop()
        report.created = importer.count() - before
        report.updated = written - report.created
        report.written_to = importer.written_to()
        if errors:
            raise errors.fail()
        if dry_run:
            transaction.set_rollback(True)
    return report
