"""The coordinator/worker cluster: one run split over many worker processes (DESIGN §6)."""

__all__: list[str] = []
