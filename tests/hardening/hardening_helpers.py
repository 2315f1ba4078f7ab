"""Generators of scenario files for the hardening tests (issue 8)."""

from __future__ import annotations


def chain_yaml(n: int) -> str:
    lines = ["escalab: 1", "id: chain", "title: A long chain", "actors:", "  a: {name: A}", "  b: {name: B}",
             "sequential:", "  root: n0", "  nodes:"]
    for i in range(n):
        nxt = f"{{next: n{i + 1}}}" if i < n - 1 else "{outcome: end}"
        lines.append(f"    n{i}: {{actor: {'ab'[i % 2]}, moves: {{stop: {{outcome: s{i % 2}}}, go: {nxt}}}}}")
    lines += ["  outcomes:", "    s0: {payoffs: {a: 0, b: 1}}", "    s1: {payoffs: {a: 1, b: 0}}",
              "    end: {payoffs: {a: 2, b: 2}}"]
    return "\n".join(lines) + "\n"


def dag_yaml(n: int) -> str:
    lines = ["escalab: 1", "id: dag", "title: Shared next nodes", "actors:", "  a: {name: A}", "sequential:",
             "  root: n0", "  nodes:"]
    for i in range(n):
        nxt = f"{{next: n{i + 1}}}" if i < n - 1 else "{outcome: end}"
        lines.append(f"    n{i}: {{actor: a, moves: {{l: {nxt}, r: {nxt}}}}}")
    lines += ["  outcomes:", "    end: {payoffs: {a: 1}}"]
    return "\n".join(lines) + "\n"


def fifo_and_folder(folder, suffix: str):
    """A FIFO and a folder named like input files (``x.yaml``, ``x.efg``): neither may be read as one."""
    import os

    fifo, sub = folder / f"pipe{suffix}", folder / f"folder{suffix}"
    os.mkfifo(fifo)
    sub.mkdir()
    return fifo, sub


def binary_tree_yaml(depth: int) -> str:
    """Two players alternating binary moves to ``depth`` (2^(depth+1) - 1 nodes), every leaf its own
    outcome with payoffs that differ from leaf to leaf (no ties to hide behind)."""
    lines = ["escalab: 1", "id: bintree", "title: A binary tree", "actors:", "  a: {name: A}", "  b: {name: B}",
             "sequential:", "  root: n", "  nodes:"]
    outcomes = []
    todo = [""]
    while todo:
        path = todo.pop()
        lines += [f"    n{path}:", f"      actor: {'ab'[len(path) % 2]}", "      moves:"]
        for move in "lr":
            if len(path) == depth - 1:
                k = int((path + move).replace("l", "0").replace("r", "1"), 2)
                outcomes.append(f"    o{path}{move}: {{payoffs: {{a: {(7 * k) % 23}, b: {(11 * k + 5) % 29}}}}}")
                lines.append(f"        {move}: {{outcome: o{path}{move}}}")
            else:
                lines.append(f"        {move}: {{next: n{path}{move}}}")
                todo.append(path + move)
    return "\n".join(lines + ["  outcomes:", *outcomes]) + "\n"
