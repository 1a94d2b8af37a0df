"""Retention: turnover, what it costs and what goes with it (docs/insights.md, Retention).

Modules: `data` reads the organisation into frames (selectors: reads only), `gate` applies
the anonymity gate to people-describing tables, `turnover`, `survival`, `forecast` and
`costs` compute, `pages` assembles what each page shows (the HTML, the CSV export and the
API read the same page object), `charts`, `views`, `api`, `cards`.

Nothing here produces a per-person risk score: models are fitted on person-months, but every
prediction is summed to units before it leaves `servicechain.analytics.attrition`.
"""
