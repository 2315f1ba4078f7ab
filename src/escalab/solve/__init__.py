"""Equilibria, credibility and sweeps over :class:`escalab.model.ExtensiveGame`.

The modules are imported one by one (``from escalab.solve.sequential import solve_sequential``)
rather than re-exported here, so that code needing only our own solvers never pays for importing
pygambit, sweep workers start fast, and a reader sees which module a function lives in:

- ``assessment``: the Equilibrium result type and outcome/path labels
- ``backward``: subgame-perfect equilibrium of perfect-information games, exact, with ties
- ``sequential``: backward induction with beliefs, vectorised over parameter points
- ``gambit_bridge``: pygambit games, Nash equilibria, logit QRE
- ``credibility``: threats and the parameter regions where they are credible
- ``sweep``: parameter grids, in-process, in worker processes or on a Dask cluster
- ``efg``: Gambit .efg export and import
"""
