"""Pure staffing library (no Django): Erlang C/A, forecasts and CP-SAT schedules.

Modules (imported explicitly; nothing heavy is loaded by importing the package):

``erlang``    Erlang B, Erlang C and Erlang A (M/M/N+M) formulas, required agents.
``forecast``  interval forecasts of calls and handling time, requirements, intraday re-forecasts.
``schedule``  shift, break and lunch scheduling with OR-Tools CP-SAT; intraday
              re-optimisation and lunch moves for self-organised lunches.

See ``docs/staffing.md``.
"""
