"""A small, safe expression language for payoffs, probabilities and doctrine conditions.

Scenario authors write payoffs such as ``stake_r - c_first_use`` or ``1 - p_resolute``. We parse
them with :mod:`ast` and accept only a whitelist of node types, so a scenario file can never run
code. An expression evaluates equally over floats, exact :class:`fractions.Fraction` values (for
exact equilibria) and NumPy arrays (for vectorised parameter sweeps): the same source text serves
the solver, the simulator and the sweep.

Grammar: numbers; parameter names; ``+ - * / **`` (``^`` is accepted as a power too); unary
``-``/``+``; comparisons ``< <= > >= == !=``; ``and``, ``or``, ``not``; ``a if cond else b``; and
the functions ``min, max, abs, exp, log, sqrt, clip(x, lo, hi), where(cond, a, b)``.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Mapping

import numpy as np

from ..errors import ExpressionError

Number = Any  # float | int | Fraction | np.ndarray

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.BitXor: operator.pow,  # authors coming from maths write x^2
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne,
}


def _is_array(*xs: Any) -> bool:
    return any(isinstance(x, np.ndarray) for x in xs)


def _min(*xs: Any) -> Any:
    return np.minimum.reduce(np.broadcast_arrays(*xs)) if _is_array(*xs) else min(xs)


def _max(*xs: Any) -> Any:
    return np.maximum.reduce(np.broadcast_arrays(*xs)) if _is_array(*xs) else max(xs)


def _float_fn(np_fn: Callable, math_fn: Callable) -> Callable[[Any], Any]:
    def fn(x: Any) -> Any:
        return np_fn(x) if _is_array(x) else math_fn(float(x))
    return fn


def _clip(x: Any, lo: Any, hi: Any) -> Any:
    return np.clip(x, lo, hi) if _is_array(x, lo, hi) else min(max(x, lo), hi)


def _where(cond: Any, a: Any, b: Any) -> Any:
    return np.where(cond, a, b) if _is_array(cond, a, b) else (a if cond else b)


FUNCTIONS: dict[str, tuple[Callable[..., Any], int | None]] = {
    # name: (implementation, number of arguments or None for "one or more")
    "min": (_min, None),
    "max": (_max, None),
    "abs": (abs, 1),
    "exp": (_float_fn(np.exp, math.exp), 1),
    "log": (_float_fn(np.log, math.log), 1),
    "sqrt": (_float_fn(np.sqrt, math.sqrt), 1),
    "clip": (_clip, 3),
    "where": (_where, 3),
}


def _logical_and(a: Any, b: Any) -> Any:
    return np.logical_and(a, b) if _is_array(a, b) else bool(a) and bool(b)


def _logical_or(a: Any, b: Any) -> Any:
    return np.logical_or(a, b) if _is_array(a, b) else bool(a) or bool(b)


def _logical_not(a: Any) -> Any:
    return np.logical_not(a) if _is_array(a) else not a


Evaluator = Callable[[Mapping[str, Any], bool], Any]


@dataclass(frozen=True)
class Expr:
    """A parsed expression: its source text, the names it uses, and a compiled evaluator."""

    source: str
    names: frozenset[str]
    _fn: Evaluator = field(repr=False, compare=False)

    def evaluate(self, env: Mapping[str, Any], exact: bool = False) -> Number:
        """Evaluate with ``env`` binding every name; ``exact`` keeps literals as Fractions."""
        missing = self.names - env.keys()
        if missing:
            raise ExpressionError(f"unknown name(s) {', '.join(sorted(missing))} in '{self.source}'")
        try:
            return self._fn(env, exact)
        except ZeroDivisionError:
            raise ExpressionError(f"division by zero in '{self.source}'") from None
        except (ValueError, OverflowError, TypeError) as exc:
            raise ExpressionError(f"cannot evaluate '{self.source}': {exc}") from None

    @property
    def is_constant(self) -> bool:
        return not self.names

    def __str__(self) -> str:
        return self.source


def _literal(value: int | float, text: str) -> Evaluator:
    exact_value = Fraction(text) if isinstance(value, float) else Fraction(value)

    def fn(env: Mapping[str, Any], exact: bool) -> Any:
        return exact_value if exact else value
    return fn


class _Compiler:
    def __init__(self, source: str):
        self.source = source
        self.names: set[str] = set()

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        col = getattr(node, "col_offset", None)
        return ExpressionError(message, None if col is None else col + 1)

    def compile(self, node: ast.AST) -> Evaluator:  # noqa: C901 - one dispatch over node kinds
        if isinstance(node, ast.Expression):
            return self.compile(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.fail(node, f"only numbers are allowed as constants, not {node.value!r}")
            text = ast.get_source_segment(self.source, node) or repr(node.value)
            return _literal(node.value, text)
        if isinstance(node, ast.Name):
            name = node.id
            self.names.add(name)
            return lambda env, exact: env[name]
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
            left, right = self.compile(node.left), self.compile(node.right)
            return lambda env, exact: op(left(env, exact), right(env, exact))
        if isinstance(node, ast.UnaryOp):
            inner = self.compile(node.operand)
            if isinstance(node.op, ast.USub):
                return lambda env, exact: -inner(env, exact)
            if isinstance(node.op, ast.UAdd):
                return inner
            if isinstance(node.op, ast.Not):
                return lambda env, exact: _logical_not(inner(env, exact))
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            combine = _logical_and if isinstance(node.op, ast.And) else _logical_or

            def boolop(env: Mapping[str, Any], exact: bool) -> Any:
                result = parts[0](env, exact)
                for part in parts[1:]:
                    result = combine(result, part(env, exact))
                return result
            return boolop
        if isinstance(node, ast.Compare):
            first = self.compile(node.left)
            ops = []
            for op_node, comp in zip(node.ops, node.comparators):
                op = _CMPOPS.get(type(op_node))
                if op is None:
                    raise self.fail(node, f"comparison {type(op_node).__name__} is not allowed")
                ops.append((op, self.compile(comp)))

            def compare(env: Mapping[str, Any], exact: bool) -> Any:
                left = first(env, exact)
                result: Any = True
                for op, right_fn in ops:
                    right = right_fn(env, exact)
                    result = _logical_and(result, op(left, right))
                    left = right
                return result
            return compare
        if isinstance(node, ast.IfExp):
            cond, a, b = self.compile(node.test), self.compile(node.body), self.compile(node.orelse)
            return lambda env, exact: _where(cond(env, exact), a(env, exact), b(env, exact))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                known = ", ".join(sorted(FUNCTIONS))
                name = node.func.id if isinstance(node.func, ast.Name) else "this call"
                raise self.fail(node, f"unknown function '{name}' (expected one of: {known})")
            if node.keywords:
                raise self.fail(node, "functions take positional arguments only")
            fn, arity = FUNCTIONS[node.func.id]
            if (arity is None and not node.args) or (arity is not None and len(node.args) != arity):
                want = "at least 1" if arity is None else str(arity)
                raise self.fail(node, f"{node.func.id}() takes {want} argument(s), got {len(node.args)}")
            args = [self.compile(a) for a in node.args]
            return lambda env, exact: fn(*(a(env, exact) for a in args))
        raise self.fail(node, f"'{type(node).__name__}' is not allowed in an expression")


def parse(source: str | int | float) -> Expr:
    """Parse an expression (numbers are accepted directly, as YAML gives them)."""
    if isinstance(source, bool):
        raise ExpressionError(f"expected a number or an expression, got {source!r}")
    if isinstance(source, (int, float)):
        text = repr(source)
        return Expr(text, frozenset(), _literal(source, text))
    if not isinstance(source, str):
        raise ExpressionError(f"expected a number or an expression, got {type(source).__name__}")
    text = source.strip()
    if not text:
        raise ExpressionError("empty expression")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse '{text}': {exc.msg}", exc.offset) from None
    compiler = _Compiler(text)
    fn = compiler.compile(tree)
    return Expr(text, frozenset(compiler.names), fn)
