"""Models of the contactcentre app."""
