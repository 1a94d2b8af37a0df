"""Import kind "responses": a wide export from another survey tool, one row per response.

Options (from the CLI's `--wave/--mapping` or the API's form fields):

* `wave` — the wave's id or name; its instrument says which questions exist.
* `mapping` — JSON object from the file's column names to item codes, or to one of the
  fields below. Columns already named like an item code or a field need no mapping;
  map a column to "" to ignore it explicitly. Other columns (IP address, duration, …) are
  ignored.

Fields: `external_id` (the other tool's response id; `response_id` is understood too),
`unit_external_id`, `tenure_band`, `job_family` (employee waves), `interaction_external_id`
(customer waves), `submitted_at`, `started_at` (checked as date-times; a confidential
employee response never stores a time).

Atomic like every import: an unknown unit, an out-of-range answer or an unmapped required
question is reported by row and column, and nothing is written.
"""

from __future__ import annotations

from typing import Any

from servicechain.org import imports
from servicechain.org.importers import lookup
from servicechain.org.imports import CellError, ErrorLog, Importer, register
from servicechain.org.models import Employee, Interaction, Unit

from .models import CustomerResponse, Population, Response, Wave, WaveSnapshot
from .questions import clean_answer, questions_of
from .services import TENURE_BANDS
from .signals import announce_responses_changed

FIELDS = {
    "external_id": imports.identifier,
    "unit_external_id": imports.identifier,
    "interaction_external_id": imports.identifier,
    "tenure_band": imports.choice(TENURE_BANDS),
    "job_family": imports.choice(Employee.JobFamily.values),
    "submitted_at": imports.datetime,
    "started_at": imports.datetime,
}
ALIASES = {"response_id": "external_id"}


def find_wave(organization, reference) -> Wave | None:
    """A wave of the organisation by id or by name."""
    waves = Wave.objects.filter(organization=organization).select_related("instrument")
    reference = str(reference or "").strip()
    if not reference:
        return None
    if reference.isdigit():
        wave = waves.filter(pk=int(reference)).first()
        if wave is not None:
            return wave
    return waves.filter(name=reference).first()


@register
class ResponseImporter(Importer):
    kind = "responses"
    model = Response
    batch_size = 2000

    def __init__(self, organization, **options):
        super().__init__(organization, **options)
        self.wave = find_wave(organization, options.get("wave"))
        self.mapping = options.get("mapping") or {}
        self.questions = questions_of(self.wave.instrument) if self.wave else ()
        self.by_code = {q.code: q for q in self.questions}
        self.targets: dict[str, str] = {}  # file column -> item code or field

    @property
    def is_customer(self) -> bool:
        return self.wave is not None and self.wave.population == Population.CUSTOMER

    def count(self) -> int:
        if self.wave is None:
            return 0
        model = CustomerResponse if self.is_customer else Response
        return model.objects.filter(wave=self.wave).count()

    # ----------------------------------------------------------------------- header

    def check_header(self, header: list[str], errors: ErrorLog) -> None:
        if self.wave is None:
            given = self.options.get("wave")
            errors.add(
                None,
                None,
                f"unknown wave {given!r}; give the wave's id or exact name"
                if given
                else "say which wave the responses belong to (--wave, or the API's `wave` field)",
            )
            return
        if WaveSnapshot.objects.filter(wave=self.wave).exists():
            errors.add(
                None,
                None,
                f"the results of {self.wave.name!r} are published, so its answers can no longer "
                "change (a second reading could be subtracted from the first); import into a "
                "new wave instead",
            )
            return
        if not isinstance(self.mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str | None) for k, v in self.mapping.items()
        ):
            errors.add(None, None, 'the mapping must be a JSON object of "column": "item code"')
            return
        present = set(header)
        for column, target in self.mapping.items():
            if column not in present:
                errors.add(1, column, "is in the mapping but not in the file's header row")
            elif target and target not in self.by_code and target not in FIELDS:
                errors.add(
                    1,
                    column,
                    f"maps to {target!r}, which is neither a question of "
                    f"{self.wave.instrument.name!r} ({', '.join(self.by_code)}) nor one of the "
                    f"fields {', '.join(FIELDS)}",
                )
        for column in header:
            target = self.mapping.get(column, ALIASES.get(column, column))
            if target and (target in self.by_code or target in FIELDS):
                if target in self.targets.values():
                    first = next(c for c, t in self.targets.items() if t == target)
                    errors.add(1, column, f"maps to {target}, like column {first!r}")
                    continue
                self.targets[column] = target
        mapped = set(self.targets.values())
        needed = ["external_id"] + (
            ["interaction_external_id"] if self.is_customer else ["unit_external_id"]
        )
        for field in needed:
            if field not in mapped:
                errors.add(1, field, "this required column is missing (map a column to it)")
        for question in self.questions:
            if question.required and question.code not in mapped:
                errors.add(
                    1,
                    question.code,
                    f"required question {question.code} is not mapped to any column",
                )

    # ----------------------------------------------------------------------- rows

    def parse(self, number: int, raw: dict[str, Any], errors: ErrorLog) -> dict[str, Any] | None:
        values: dict[str, Any] = {field: None for field in FIELDS}
        answers: dict[str, Any] = {}
        ok = True
        for column, target in self.targets.items():
            cell = raw.get(column, "")
            blank = cell is None or (isinstance(cell, str) and not cell.strip())
            try:
                if target in FIELDS:
                    values[target] = None if blank else FIELDS[target](cell)
                elif not blank:
                    answer = clean_answer(self.by_code[target].item, _spreadsheet_number(cell))
                    if answer is not None:
                        answers[target] = answer
            except (CellError, ValueError) as exc:
                where = target if target == column else f"item {target}"
                errors.add(number, column, f"{exc} ({where})" if target != column else str(exc))
                ok = False
        for question in self.questions:
            if question.required and question.code not in answers and ok:
                column = next(c for c, t in self.targets.items() if t == question.code)
                errors.add(number, column, f"is empty but question {question.code} is required")
                ok = False
        for field in (
            "external_id",
            "interaction_external_id" if self.is_customer else "unit_external_id",
        ):
            if values[field] is None and field in self.targets.values():
                column = next(c for c, t in self.targets.items() if t == field)
                errors.add(number, column, "is empty but required")
                ok = False
        values["answers"] = answers
        return values if ok else None

    # ----------------------------------------------------------------------- writing

    def finish(self, errors, *, write):
        if write and not errors:
            announce_responses_changed(self.wave)

    def write(self, rows, errors, *, write):
        if self.is_customer:
            return self._write_customer(rows, errors, write=write)
        units = lookup(Unit, self.organization, (v["unit_external_id"] for _, v in rows))
        column = self._column_of("unit_external_id")
        objects = []
        for number, v in rows:
            unit_id = units.get(v["unit_external_id"])
            if unit_id is None:
                errors.add(
                    number,
                    column,
                    f"unknown unit {v['unit_external_id']!r}; import the units first",
                )
                continue
            objects.append(
                Response(
                    wave=self.wave,
                    external_id=v["external_id"],
                    unit_id=unit_id,
                    tenure_band=v["tenure_band"] or "",
                    job_family=v["job_family"] or "",
                    answers=v["answers"],
                    source=Response.Source.IMPORT,
                )
            )
        if not write or errors:
            return 0
        # Re-importing a file replaces its responses (matched by the other tool's id).
        Response.objects.filter(
            wave=self.wave, external_id__in=[o.external_id for o in objects]
        ).delete()
        Response.objects.bulk_create(objects, batch_size=1000)
        return len(objects)

    def _write_customer(self, rows, errors, *, write):
        interactions = lookup(
            Interaction,
            self.organization,
            (v["interaction_external_id"] for _, v in rows),
            "unit_id",
            "started_at",
        )
        column = self._column_of("interaction_external_id")
        objects = []
        for number, v in rows:
            found = interactions.get(v["interaction_external_id"])
            if found is None:
                errors.add(
                    number,
                    column,
                    f"unknown interaction {v['interaction_external_id']!r}; import the interactions first",
                )
                continue
            interaction_id, unit_id, started_at = found
            objects.append(
                CustomerResponse(
                    wave=self.wave,
                    interaction_id=interaction_id,
                    unit_id=unit_id,
                    answers=v["answers"],
                    submitted_at=v["submitted_at"] or started_at,
                    source=CustomerResponse.Source.IMPORT,
                    external_id=v["external_id"],
                )
            )
        if not write or errors:
            return 0
        CustomerResponse.objects.filter(
            wave=self.wave, interaction_id__in=[o.interaction_id for o in objects]
        ).delete()
        CustomerResponse.objects.bulk_create(objects, batch_size=1000)
        return len(objects)

    def _column_of(self, target: str) -> str:
        return next((c for c, t in self.targets.items() if t == target), target)


def _spreadsheet_number(value: Any) -> Any:
    """Spreadsheets store 4 as 4.0; text answers and choices stay as they are."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
