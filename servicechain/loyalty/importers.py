"""The `returns` import kind: returns and refunds of purchases, each reversing what it earned.

Columns: external_id (of the return), transaction_external_id (the purchase), amount (given
back, above zero) and occurred_at. Atomic like every import: one bad row and nothing is
written. Rows are recorded one by one through `services.return_record`, in file order, so
two partial returns of one purchase add up.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from servicechain.org import imports
from servicechain.org.importers import lookup
from servicechain.org.imports import Column, Importer, register
from servicechain.org.models import Transaction

from .models import Return


@register
class ReturnImporter(Importer):
    kind = "returns"
    model = Return
    batch_size = 1000
    columns = (
        Column("external_id", imports.identifier),
        Column("transaction_external_id", imports.identifier),
        Column("amount", imports.decimal),
        Column("occurred_at", imports.datetime),
    )

    def write(self, rows, errors, *, write):
        from .services import return_record

        purchases = lookup(
            Transaction, self.organization, (v["transaction_external_id"] for _, v in rows)
        )
        written = 0
        for number, v in rows:
            purchase_id = purchases.get(v["transaction_external_id"])
            if purchase_id is None:
                errors.add(
                    number,
                    "transaction_external_id",
                    f"no purchase {v['transaction_external_id']!r} in this organisation",
                )
                continue
            if v["amount"] <= 0:
                errors.add(number, "amount", "a return gives back an amount above zero")
                continue
            if errors or not write:
                continue
            try:
                return_record(
                    organization=self.organization,
                    purchase=Transaction.objects.get(pk=purchase_id),
                    amount=v["amount"],
                    external_id=v["external_id"],
                    occurred_at=v["occurred_at"],
                )
            except ValidationError as exc:
                message = "; ".join(exc.messages)
                errors.add(number, "amount" if "amount" in message else None, message)
                continue
            written += 1
        return written
