"""Models of the insights app."""
