"""Demo data of the contactcentre app, run by servicechain.demo after the organisation is seeded."""


def seed_demo(*, organization, synthetic, progress=lambda message: None) -> None:
    """Nothing yet."""
