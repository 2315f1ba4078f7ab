"""Play a ladder crisis: a turn engine, agents behind one protocol, and a durable event store.

The engine drives :class:`escalab.model.ladder.LadderGame` (it never re-implements the rules);
every agent - simulation policy, human at a terminal, language model - sees only a
:class:`~escalab.wargame.protocol.View` and answers with a :class:`~escalab.wargame.protocol.Move`.
"""

from .protocol import Agent, LadderInfo, Move, SeenTurn, View

__all__ = ["Agent", "LadderInfo", "Move", "SeenTurn", "View"]
