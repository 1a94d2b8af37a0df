"""servicechain: the service-profit chain, run employee-first."""

__version__ = "0.1.0"
