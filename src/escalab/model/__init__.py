"""The model layer: a scenario compiled to an extensive-form game or a ladder state machine."""

from ..scenario import compilers
from .extensive import CHANCE, TERMINAL, ExtensiveGame, GameInfo, GameState, InfoSet, Node, compile_sequential
from .ladder import JointAction, LadderGame, LadderState, Observation, compile_ladder

compilers.register("sequential", compile_sequential)
compilers.register("ladder", compile_ladder)

__all__ = ["CHANCE", "TERMINAL", "ExtensiveGame", "GameInfo", "GameState", "InfoSet", "JointAction",
           "LadderGame", "LadderState", "Node", "Observation", "compile_ladder", "compile_sequential"]
