"""Simulating ladder crises: policies, exact Markov-chain analysis, Monte Carlo, readiness inference.

Equilibrium analysis says what perfectly rational leaders do; this layer asks what happens with
accidents, misread actions and boundedly rational or rule-following leaders, and how an observer
reads the other side's readiness. Nothing here prints; long runs take a ``progress`` callback.
"""

from .exact import exact_analysis, reference_analysis
from .montecarlo import CHUNK_RUNS, Plan, monte_carlo
from .policies import DoctrinePolicy, Observations, PolicyFactory, TablePolicy
from .readiness import IndicatorModel, forward, indicator_model, parse_look, posterior
from .results import Belief, Rate, SimulationResult
from .run import Crisis, parse_policy_options, without_accidents

__all__ = ["CHUNK_RUNS", "Belief", "Crisis", "DoctrinePolicy", "IndicatorModel", "Observations", "Plan",
           "PolicyFactory", "Rate", "SimulationResult", "TablePolicy", "exact_analysis", "forward",
           "indicator_model", "monte_carlo", "parse_look", "parse_policy_options", "posterior",
           "reference_analysis", "without_accidents"]
