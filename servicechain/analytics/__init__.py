"""Pure analytics library (no Django): anonymity gate, metrics, psychometrics, drivers, linkage.

Modules (imported on demand so the anonymity gate stays light for the web process):

* :mod:`~servicechain.analytics.anonymity` — THE anonymity gate (min-n and complementary suppression)
* :mod:`~servicechain.analytics.metrics` — NPS/eNPS, CSAT/top-box, means, each with a CI and n
* :mod:`~servicechain.analytics.psychometrics` — Cronbach alpha, McDonald omega, item-total, CFA
* :mod:`~servicechain.analytics.drivers` — key-driver analysis (LMG, dominance, relative weights)
* :mod:`~servicechain.analytics.linkage` — EX → CX → repeat business → revenue growth
* :mod:`~servicechain.analytics.attrition` — turnover, retention, leaving hazard, turnover cost

See ``docs/analytics.md``.
"""
