"""Pure staffing library (no Django): Erlang C/A, forecasts and CP-SAT schedules."""
