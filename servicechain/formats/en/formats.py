"""English (en, en-gb, en-us): one date style, and every time on the 24-hour clock."""

DATE_FORMAT = "D j M Y"  # Mon 7 Dec 2026
SHORT_DATE_FORMAT = "D j M"  # Mon 7 Dec
DATETIME_FORMAT = "D j M Y H:i"  # Mon 7 Dec 2026 14:05
SHORT_DATETIME_FORMAT = "D j M H:i"  # Mon 7 Dec 14:05
TIME_FORMAT = "H:i"  # 14:05, never "2:05 p.m."
MONTH_DAY_FORMAT = "j M"  # 7 Dec
YEAR_MONTH_FORMAT = "M Y"  # Dec 2026
