"""escalab's errors come back whole from a worker process or a Dask worker.

Results and errors travel pickled, and Python rebuilds an exception by calling its class with its
``args``: a LimitError (built from a limit and a count) could not be rebuilt at all, and the pool
reported a dead worker instead. A budget refused inside a worker (the pygambit limits, checked
where pygambit runs) must reach the user as the same message.
"""

from __future__ import annotations

import pickle

import pytest

from escalab import limits
from escalab.errors import ExpressionError, ModelError, ScenarioError, UsageError
from escalab.limits import LimitError
from escalab.wargame.scores import PlayError
from escalab.workers import WorkerError, WorkerPool, result_of

ERRORS = [
    LimitError(limits.PYGAMBIT_ACTIONS, 510, where="Nash equilibria (lcp) of 'bintree'"),
    ScenarioError.single("unknown key 'payoffs'", "sequential.nodes.n", "tree.yaml", 12, 15),
    ExpressionError("unknown name 'x'", column=4),
    PlayError("the move is not on the ladder", turn=3, side="usa", field="action"),
    UsageError("give at least one --grid"),
    ModelError("method 'lcp' needs a two-player game"),
    WorkerError("a worker process died"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_every_error_survives_pickling_whole(error: Exception) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error) and vars(back) == vars(error)


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_limit_refused_in_a_worker_reaches_the_caller_as_itself(start: str) -> None:
    with WorkerPool(2, start=start) as pool:
        refused = pool.submit(limits.PYGAMBIT_ACTIONS.check, 510, "Nash equilibria (lcp) of 'bintree'")
        with pytest.raises(LimitError) as info:
            result_of(refused)
    assert str(info.value) == str(ERRORS[0]) and info.value.found == 510
