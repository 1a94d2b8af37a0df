"""Required agents for a 96-interval day: servicechain vs pyworkforce's ErlangC.

Same inputs for both: a simulated 24-hour day of 15-minute intervals (calls and
average handling time per interval), 80 % answered within 20 s, occupancy at
most 90 %, 30 % shrinkage. Ours computes the whole day in one vectorised call
(``required_agents_day``); pyworkforce is called once per interval
(``ErlangC(...).required_positions``), as its API requires.

``mismatches`` (the JSON figure) counts intervals where the two disagree on
the required agents, i.e. the Erlang C answer: agents needed on the phones
(pyworkforce ``raw_positions``). Scheduled heads after shrinkage
(``positions``) are compared too and every difference is printed, with the
exact rational value of ``ceil(agents / (1 - shrinkage))`` so it is clear which
side rounds correctly (pyworkforce computes ``21 / (1 - 0.3)`` in binary
floating point as 30.000000000000004 and rounds it up to 31).

Run: ``python benchmarks/erlang.py`` (``--quick`` for fewer repetitions). The
last line is JSON: ``{"day_ms", "speedup_vs_pyworkforce", "mismatches"}``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from fractions import Fraction

import numpy as np

from servicechain.simulate.contact_centre import simulate_contact_centre_volumes
from servicechain.staffing.erlang import required_agents_day

TARGET, WITHIN_S, MAX_OCCUPANCY, SHRINKAGE = 0.80, 20.0, 0.90, 0.30
INTERVAL_MINUTES = 15


def simulated_day() -> tuple[np.ndarray, np.ndarray]:
    """One Monday of a 24-hour line: two daytime peaks and a quiet night."""
    volumes = simulate_contact_centre_volumes(
        days=1,
        seed=7,
        start="2025-03-03",
        open_hours=("07:00", "23:00"),
        night_share=0.03,
        daily_calls=9000,
    )
    calls = volumes["calls"].to_numpy(float)
    aht = volumes["aht_s"].to_numpy(float)
    aht = np.where(calls > 0, aht, 300.0)  # no calls, no AHT: any value gives 0 agents
    return calls, aht


def ours(calls, aht) -> tuple[np.ndarray, np.ndarray]:
    interval_s = 60.0 * INTERVAL_MINUTES
    raw = required_agents_day(calls, aht, interval_s, TARGET, WITHIN_S, MAX_OCCUPANCY)
    shrunk = required_agents_day(calls, aht, interval_s, TARGET, WITHIN_S, MAX_OCCUPANCY, SHRINKAGE)
    return raw, shrunk


def theirs(calls, aht) -> tuple[np.ndarray, np.ndarray]:
    from pyworkforce.queuing import ErlangC

    raw, shrunk = np.zeros(len(calls), dtype=int), np.zeros(len(calls), dtype=int)
    for t, (c, a) in enumerate(zip(calls, aht, strict=True)):
        if c <= 0:  # pyworkforce refuses zero transactions; nobody is needed
            continue
        result = ErlangC(
            transactions=c,
            aht=a / 60.0,
            asa=WITHIN_S / 60.0,
            interval=INTERVAL_MINUTES,
            shrinkage=SHRINKAGE,
        ).required_positions(service_level=TARGET, max_occupancy=MAX_OCCUPANCY)
        raw[t], shrunk[t] = result["raw_positions"], result["positions"]
    return raw, shrunk


def timed(function, *args, repeats: int) -> tuple[float, object]:
    result = function(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeats = 5 if args.quick else 50

    calls, aht = simulated_day()
    our_ms, (our_raw, our_shrunk) = timed(ours, calls, aht, repeats=repeats)
    their_ms, (their_raw, their_shrunk) = timed(theirs, calls, aht, repeats=max(3, repeats // 2))
    raw_mismatch = np.flatnonzero(our_raw != their_raw)
    shrunk_mismatch = np.flatnonzero(our_shrunk != their_shrunk)

    print("Required agents, 96 x 15-minute intervals, 80/20, occupancy <= 90 %, shrinkage 30 %")
    print(f"calls in the day: {calls.sum():.0f}; peak interval: {calls.max():.0f} calls")
    print()
    print(f"{'':28}{'servicechain':>14}{'pyworkforce':>14}")
    print(f"{'time for the day (ms)':28}{our_ms:>14.3f}{their_ms:>14.3f}")
    print(f"{'agents on phones (sum)':28}{our_raw.sum():>14d}{their_raw.sum():>14d}")
    print(f"{'scheduled heads (sum)':28}{our_shrunk.sum():>14d}{their_shrunk.sum():>14d}")
    print(f"{'peak scheduled heads':28}{our_shrunk.max():>14d}{their_shrunk.max():>14d}")
    print(f"mismatches in required agents (on phones): {len(raw_mismatch)} of {len(calls)}")
    print(f"differences in heads after shrinkage: {len(shrunk_mismatch)} of {len(calls)}")
    for t in sorted(set(raw_mismatch) | set(shrunk_mismatch)):
        exact = math.ceil(Fraction(int(their_raw[t])) / (1 - Fraction(str(SHRINKAGE))))
        print(
            f"  interval {t}: calls={calls[t]:.0f} aht={aht[t]:.1f}s "
            f"ours raw/shrunk={our_raw[t]}/{our_shrunk[t]} "
            f"pyworkforce={their_raw[t]}/{their_shrunk[t]} "
            f"exact ceil({their_raw[t]} / (1 - {SHRINKAGE})) = {exact}"
        )
    print(f"speed-up: {their_ms / our_ms:.0f}x")
    big = 20.0 * calls
    big_ours_ms, (big_raw, _) = timed(ours, big, aht, repeats=max(3, repeats // 5))
    big_theirs_ms, (big_their_raw, _) = timed(theirs, big, aht, repeats=3)
    print(
        f"same day at 20x volume (peak {big_raw.max()} agents): ours {big_ours_ms:.3f} ms, "
        f"pyworkforce {big_theirs_ms:.1f} ms, "
        f"mismatches {int((big_raw != big_their_raw).sum())}"
    )
    print(
        json.dumps(
            {
                "day_ms": round(our_ms, 3),
                "speedup_vs_pyworkforce": round(their_ms / our_ms, 1),
                "mismatches": int(len(raw_mismatch)),
            }
        )
    )


if __name__ == "__main__":
    main()
