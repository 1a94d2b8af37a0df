"""Pure synthetic organisation with known ground truth (no Django)."""
