"""Pure analytics library (no Django): anonymity gate, metrics, psychometrics, drivers, linkage."""
