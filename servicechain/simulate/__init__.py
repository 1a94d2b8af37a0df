"""Pure synthetic organisation with known ground truth (no Django).

See ``docs/simulation.md`` for the generative model and every default.
"""

from servicechain.simulate.chain import ChainParameters, simulate_chain_panel

__all__ = ["ChainParameters", "simulate_chain_panel"]
