"""How simulated values become frame columns: external ids, UTC timestamps, nullable ints."""

from __future__ import annotations

import numpy as np
import pandas as pd


def external_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` + zero-padded 1-based number, e.g. ``E000001`` for employee number 0."""
    numbers = np.asarray(numbers)
    if numbers.size == 0:
        return np.array([], dtype=object)
    return np.char.add(prefix, np.char.zfill((numbers + 1).astype(str), width)).astype(object)


def employee_ids(numbers: np.ndarray) -> np.ndarray:
    """External ids of employees, numbered in the order they joined the simulation."""
    return external_ids("E", numbers, 6)


def utc_timestamps(dates: np.ndarray, seconds: np.ndarray) -> pd.DatetimeIndex:
    """Timezone-aware UTC timestamps from ``datetime64[D]`` dates plus seconds into the day."""
    day_ns = np.asarray(dates, dtype="datetime64[D]").astype("datetime64[ns]").astype(np.int64)
    offset_ns = np.rint(np.asarray(seconds, dtype=float)).astype(np.int64) * 1_000_000_000
    return pd.to_datetime(day_ns + offset_ns, unit="ns", utc=True)


def nullable_int(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Float array with NaN for missing -> pandas ``Int64`` array with <NA>."""
    values = np.asarray(values, dtype=float)
    mask = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(mask, 0, values).astype("int64"), mask)


def iso_strings(column: pd.Series) -> pd.Series:
    """ISO-8601 text for CSV: ``YYYY-MM-DDTHH:MM:SS+00:00`` for UTC timestamps,
    ``YYYY-MM-DD`` for dates (naive midnight timestamps); empty for NaT."""
    values = column.to_numpy(dtype="datetime64[ns]") if column.dt.tz is None else None
    if values is None:
        values = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
        text = np.char.add(np.datetime_as_string(values, unit="s"), "+00:00")
    else:
        text = np.datetime_as_string(values, unit="D")
    text = text.astype(object)
    text[np.isnat(values)] = ""
    return pd.Series(text, index=column.index, name=column.name)
