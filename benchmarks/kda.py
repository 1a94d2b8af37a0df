"""Benchmark: exact key-driver analysis (LMG / general dominance) against dominance-analysis.

Runs, in one process on the same data:

1. n = 2,000 rows, p = 6 … 12 drivers: servicechain's ``KeyDriverAnalysis`` (from the raw
   data, correlation matrix included) against the ``dominance-analysis`` package in its
   fastest mode (``Dominance(data=<correlation matrix>, target=..., data_format=1)``,
   general dominance from ``incremental_rsquare()``); timings and the largest absolute
   difference between the two importance vectors;
2. p = 16 and p = 20 with servicechain alone (the peer would need hours);
3. 1,000 bootstrap replicates at p = 10, n = 5,000;
4. org-wide drivers with the unit-block bootstrap: the simulated ``large`` organisation's
   employee responses (all waves, ~280,000, 3,000 units), engagement on its drivers,
   ``KeyDriverAnalysis(cluster=<unit>)`` with 1,000 replicates (goal < 10 s on 2 cores).
   Each replicate resamples units: per-unit cross-products are computed once and summed
   with the replicate's multinomial draw counts (``servicechain.analytics.resampling``, as
   the linkage bootstrap does), so a replicate costs O(units), not O(responses).

Usage: ``python benchmarks/kda.py`` (``--quick`` for a small run: the ``small``
organisation, 100 replicates). The last line is JSON with ``speedup_p12``,
``max_abs_diff``, ``p20_seconds``, ``bootstrap_p10_seconds``, ``cluster_bootstrap_s``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import time

import numpy as np
import pandas as pd

from servicechain.analytics.drivers import KeyDriverAnalysis


def import_peer():
    """Import dominance-analysis 1.1.9, which needs two shims on current stacks."""
    shims = []
    if not hasattr(np, "bool8"):
        np.bool8 = np.bool_  # its bokeh 2.x uses np.bool8, removed in numpy 2
        shims.append("np.bool8 = np.bool_ (bokeh 2.x under numpy 2)")
    import bokeh.io

    # dominance.py calls bokeh's output_notebook() at import, which fails outside Jupyter.
    bokeh.io.output_notebook = lambda *args, **kwargs: None
    shims.append(
        "bokeh.io.output_notebook replaced by a no-op (called at import, fails outside Jupyter)"
    )
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from dominance_analysis import Dominance
    return Dominance, shims


def drivers(n: int, p: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    mixing = np.eye(p) + 0.3 * rng.normal(size=(p, p))  # correlated drivers
    X = pd.DataFrame(rng.normal(size=(n, p)) @ mixing, columns=[f"d{i:02d}" for i in range(p)])
    y = pd.Series(X.to_numpy() @ rng.uniform(0.1, 1.0, p) + 2.0 * rng.normal(size=n), name="y")
    return X, y


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peer_general_dominance(Dominance, X: pd.DataFrame, y: pd.Series) -> pd.Series:
    corr = pd.concat([X, y], axis=1).corr()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        model = Dominance(data=corr, target="y", data_format=1)
        importance = model.incremental_rsquare()
    return pd.Series(importance)[X.columns]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="p = 6 and 12 vs the peer, 100 bootstrap reps"
    )
    args = parser.parse_args()

    Dominance, shims = import_peer()
    print("dominance-analysis imported with shims:", "; ".join(shims))
    print(f"machine: {os.cpu_count()} cores; numpy {np.__version__}; pandas {pd.__version__}")
    print()

    X_all, y = drivers(2_000, 12, seed=1)
    compared = (6, 12) if args.quick else (6, 7, 8, 9, 10, 11, 12)
    rows, max_abs_diff, speedup_p12 = [], 0.0, float("nan")
    for p in compared:
        X = X_all.iloc[:, :p]
        ours_s, kda = timed(lambda X=X: KeyDriverAnalysis().fit(X, y), repeats=7)
        peer_s, peer = timed(
            lambda X=X: peer_general_dominance(Dominance, X, y), repeats=3 if p <= 9 else 1
        )
        diff = float(np.abs(kda.importance_ - peer).max())
        max_abs_diff = max(max_abs_diff, diff)
        rows.append(
            (p, 2**p - 1, n_fmt(ours_s), n_fmt(peer_s), f"{peer_s / ours_s:,.0f}x", f"{diff:.1e}")
        )
        if p == 12:
            speedup_p12 = peer_s / ours_s
    table = pd.DataFrame(
        rows,
        columns=["p", "subsets", "servicechain", "dominance-analysis", "speed-up", "max |diff|"],
    )
    print(
        "Exact LMG / general dominance, n = 2,000 (servicechain from raw data; peer from the correlation matrix)"
    )
    print(table.to_string(index=False))
    print()

    big_rows, p20_seconds = [], float("nan")
    for p in (16, 20):
        X, yy = drivers(2_000, p, seed=2)
        seconds, kda = timed(lambda X=X, yy=yy: KeyDriverAnalysis().fit(X, yy), repeats=3)
        big_rows.append(
            (p, f"{2**p - 1:,}", n_fmt(seconds), f"{abs(kda.importance_.sum() - kda.r2_):.1e}")
        )
        if p == 20:
            p20_seconds = seconds
    print("servicechain alone, n = 2,000")
    print(
        pd.DataFrame(big_rows, columns=["p", "subsets", "seconds", "|Σ shares − R²|"]).to_string(
            index=False
        )
    )
    print()

    reps = 100 if args.quick else 1_000
    X, yy = drivers(5_000, 10, seed=3)
    bootstrap_seconds, kda = timed(
        lambda: KeyDriverAnalysis(n_bootstrap=reps, random_state=0).fit(X, yy), repeats=1
    )
    print(f"Bootstrap: {reps:,} replicates, p = 10, n = 5,000: {bootstrap_seconds:.2f} s")
    print(kda.summary().round(4).to_string())
    print()

    cluster_seconds = org_wide_cluster_bootstrap(
        size="small" if args.quick else "large", reps=100 if args.quick else 1_000
    )
    print()

    print(
        json.dumps(
            {
                "cluster_bootstrap_s": round(cluster_seconds, 2),
                "speedup_p12": round(speedup_p12, 1),
                "max_abs_diff": max_abs_diff,
                "p20_seconds": round(p20_seconds, 4),
                "bootstrap_p10_seconds": round(bootstrap_seconds, 3),
            }
        )
    )


def org_wide_cluster_bootstrap(size: str, reps: int) -> float:
    """Seconds for the org-wide driver analysis with `reps` unit-block bootstrap replicates."""
    from servicechain.simulate import simulate_organisation
    from servicechain.surveys.bank import score_scales

    started = time.perf_counter()
    organisation = simulate_organisation(size=size, seed=7)
    answers = organisation.employee_responses
    scores = score_scales(answers)
    drivers = list(organisation.ground_truth["engagement_driver_weights"])
    units = answers["unit_external_id"]
    prepared_s = time.perf_counter() - started
    plain_s, _ = timed(
        lambda: KeyDriverAnalysis().fit(scores[drivers], scores["engagement"]), repeats=3
    )
    seconds, kda = timed(
        lambda: KeyDriverAnalysis(n_bootstrap=reps, random_state=0, cluster=units).fit(
            scores[drivers], scores["engagement"]
        ),
        repeats=1,
    )
    print(
        f"Org-wide drivers, unit-block bootstrap ({size} organisation, simulated and scored "
        f"in {prepared_s:.0f} s): {kda.n_obs_:,} complete responses, {len(drivers)} drivers, "
        f"{units.nunique():,} units"
    )
    print(f"  fit without bootstrap: {n_fmt(plain_s)}")
    print(
        f"  {reps:,} unit-block replicates: {seconds:.2f} s "
        f"({'goal < 10 s: met' if seconds < 10 else 'goal < 10 s: NOT met'})"
    )
    print(kda.summary().round(4).to_string())
    return seconds


def n_fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
