"""Apply the pair rule of `services.attributes_coarsen` to waves drawn before it existed.

Tenure band and job family were coarsened one attribute at a time; since this release the
(band, family) pairs of each unit's invitees are coarsened too (people in a pair rarer than
min-n lose both attributes, on invitations and responses). This applies that second pass to
every stored wave, with the models as they are at this migration and the anonymity gate's
own breakdown rule. It cannot be undone: blanked attributes are gone.
"""

from collections import defaultdict

import pandas as pd
from django.db import migrations
from django.db.models import Count, Q

ATTRIBUTES = ("tenure_band", "job_family")


def coarsen_pairs(apps, schema_editor):
    from servicechain.analytics.anonymity import suppress_breakdown

    Wave = apps.get_model("surveys", "Wave")
    Invitation = apps.get_model("surveys", "Invitation")
    Response = apps.get_model("surveys", "Response")
    for wave in Wave.objects.select_related("organization").iterator():
        invitations = Invitation.objects.filter(wave=wave)
        totals = dict(invitations.values_list("unit_id").annotate(n=Count("pk")))
        classes = defaultdict(dict)
        rows = (
            invitations.exclude(tenure_band="", job_family="")
            .values_list("unit_id", *ATTRIBUTES)
            .annotate(n=Count("pk"))
        )
        for unit_id, band, family, n in rows:
            classes[unit_id][(band, family)] = n
        for unit_id, counts in classes.items():
            labels = list(counts)
            table = pd.DataFrame({"respondents": [counts[c] for c in labels]}, dtype="int64")
            gated = suppress_breakdown(
                table, min_n=wave.organization.min_group_size, total=totals[unit_id]
            )
            withheld = [label for label, hide in zip(labels, gated["suppressed"]) if hide]
            if not withheld:
                continue
            combos = Q()
            for band, family in withheld:
                combos |= Q(tenure_band=band, job_family=family)
            where = Q(wave=wave, unit_id=unit_id) & combos
            Invitation.objects.filter(where).update(tenure_band="", job_family="")
            Response.objects.filter(where).update(tenure_band="", job_family="")


class Migration(migrations.Migration):
    dependencies = [("surveys", "0004_response_unit_index")]

    operations = [migrations.RunPython(coarsen_pairs, migrations.RunPython.noop)]
