"""Shared test settings: hypothesis runs derandomised so CI is reproducible run to run."""

from hypothesis import HealthCheck, settings

settings.register_profile("escalab", derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("escalab")
