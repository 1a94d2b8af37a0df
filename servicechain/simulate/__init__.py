"""Pure synthetic organisation with known ground truth (no Django).

See ``docs/simulation.md`` for the generative model and every default.
"""

from servicechain.simulate.chain import ChainParameters, simulate_chain_panel
from servicechain.simulate.organisation import (
    DEFAULT_END_MONTH,
    FILES,
    SIZES,
    SyntheticOrganisation,
    simulate_organisation,
)
from servicechain.simulate.parameters import OrgParameters

__all__ = [
    "DEFAULT_END_MONTH",
    "FILES",
    "SIZES",
    "ChainParameters",
    "OrgParameters",
    "SyntheticOrganisation",
    "simulate_chain_panel",
    "simulate_organisation",
]
