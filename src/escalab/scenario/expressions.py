"""A small, safe expression language for payoffs, probabilities and doctrine conditions.

Scenario authors write payoffs such as ``stake_r - c_first_use`` or ``1 - p_resolute``. We parse
them with :mod:`ast` and accept only a whitelist of node types, so a scenario file can never run
code. An expression evaluates equally over floats, exact :class:`fractions.Fraction` values (for
exact equilibria) and NumPy arrays (for vectorised parameter sweeps): the same source text serves
the solver, the simulator and the sweep.

Grammar: numbers; parameter names; ``+ - * / **`` (``^`` is a power too, exactly like ``**``); unary
``-``/``+``; comparisons ``< <= > >= == !=``; ``and``, ``or``, ``not``; ``a if cond else b``; and
the functions ``min, max, abs, exp, log, sqrt, clip(x, lo, hi), where(cond, a, b)``.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Mapping

from .. import limits
from ..errors import ExpressionError

Number = Any  # float | int | Fraction | np.ndarray
_FLOAT_MAX = sys.float_info.max

# Exact integers and Fractions grow without bound under ``**``; past this many bits a power is
# computed in floating point instead (where it overflows cleanly), so that ``9 ** 9 ** 9`` in a
# scenario file cannot hang the loader.
MAX_EXACT_POWER_BITS = 4096


def _bits(x: Any) -> int:
    if isinstance(x, Fraction):
        return max(x.numerator.bit_length(), x.denominator.bit_length())
    return int(x).bit_length()


def _pow(a: Any, b: Any) -> Any:
    """``a ** b`` that never builds a gigantic integer and never returns a complex number."""
    if isinstance(a, (int, Fraction)) and isinstance(b, (int, Fraction)) and not _is_array(a, b):
        if _bits(a) > 1 and abs(b) * _bits(a) > MAX_EXACT_POWER_BITS:
            a, b = float(a), float(b)
    result = a ** b
    if isinstance(result, complex):
        raise ValueError(f"({a}) ** ({b}) is not a real number")
    return result


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: _pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne,
}


def _is_array(*xs: Any) -> bool:
    # NumPy is not imported here: no array exists before its caller imported NumPy, and validating a
    # file (escalab validate) must not pay for it (issue 11)
    np = sys.modules.get("numpy")
    return np is not None and any(isinstance(x, np.ndarray) for x in xs)


def _np() -> Any:
    """NumPy, once :func:`_is_array` has found an array (so it is imported)."""
    return sys.modules["numpy"]


def _min(*xs: Any) -> Any:
    return _np().minimum.reduce(_np().broadcast_arrays(*xs)) if _is_array(*xs) else min(xs)


def _max(*xs: Any) -> Any:
    return _np().maximum.reduce(_np().broadcast_arrays(*xs)) if _is_array(*xs) else max(xs)


def _float_fn(np_name: str, math_fn: Callable) -> Callable[[Any], Any]:
    def fn(x: Any) -> Any:
        return getattr(_np(), np_name)(x) if _is_array(x) else math_fn(float(x))
    return fn


def _clip(x: Any, lo: Any, hi: Any) -> Any:
    return _np().clip(x, lo, hi) if _is_array(x, lo, hi) else min(max(x, lo), hi)


def _where(cond: Any, a: Any, b: Any) -> Any:
    return _np().where(cond, a, b) if _is_array(cond, a, b) else (a if cond else b)


FUNCTIONS: dict[str, tuple[Callable[..., Any], int | None]] = {
    # name: (implementation, number of arguments or None for "one or more")
    "min": (_min, None),
    "max": (_max, None),
    "abs": (abs, 1),
    "exp": (_float_fn("exp", math.exp), 1),
    "log": (_float_fn("log", math.log), 1),
    "sqrt": (_float_fn("sqrt", math.sqrt), 1),
    "clip": (_clip, 3),
    "where": (_where, 3),
}


def _logical_and(a: Any, b: Any) -> Any:
    return _np().logical_and(a, b) if _is_array(a, b) else bool(a) and bool(b)


def _logical_or(a: Any, b: Any) -> Any:
    return _np().logical_or(a, b) if _is_array(a, b) else bool(a) or bool(b)


def _logical_not(a: Any) -> Any:
    return _np().logical_not(a) if _is_array(a) else not a


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
            result = self._fn(env, exact)
        except ZeroDivisionError:
            raise ExpressionError(f"division by zero in '{self.source}'") from None
        except OverflowError:
            raise ExpressionError(f"cannot evaluate '{self.source}': the result is too large") from None
        except (ValueError, OverflowError, TypeError, ArithmeticError) as exc:
            raise ExpressionError(f"cannot evaluate '{self.source}': {exc}") from None
        except RecursionError:
            raise ExpressionError(f"cannot evaluate '{self.source}': nested too deeply") from None
        if isinstance(result, complex):
            raise ExpressionError(f"cannot evaluate '{self.source}': the result {result} is not a real number")
        if isinstance(result, (int, Fraction)) and not isinstance(result, bool) and abs(result) > _FLOAT_MAX:
            # exact integers and fractions can outgrow floating point; every consumer needs a float eventually
            raise ExpressionError(f"cannot evaluate '{self.source}': the result is too large")
        return result

    @property
    def is_constant(self) -> bool:
        return not self.names

    def __str__(self) -> str:
        return self.source


_EXPONENT = re.compile(r"[eE]([+-]?)0*(\d+)")


def _check_literal(text: str) -> None:
    """Refuse, before any exact arithmetic, a literal whose exact value would be astronomically large.

    ``Fraction("1e-99999999999999")`` computes ``10 ** 99999999999999`` and never returns.
    """
    digits = sum(ch.isdigit() for ch in text.partition("e")[0].partition("E")[0])
    if digits > limits.NUMBER_DIGITS.value():
        raise ExpressionError(limits.NUMBER_DIGITS.refusal(digits, f"number {text[:20]}..."))
    m = _EXPONENT.search(text.replace("_", ""))
    if m and (len(m.group(2)) > 18 or int(m.group(2)) > limits.EXPONENT.value()):
        shown = m.group(1) + (m.group(2) if len(m.group(2)) <= 30 else m.group(2)[:27] + "...")
        found = int(m.group(2)) if len(m.group(2)) <= 18 else float("inf")
        raise ExpressionError(limits.EXPONENT.refusal(found, f"number {text[:30]}").replace(
            " is inf,", f" is {shown},"))


def _literal(value: int | float, text: str) -> Evaluator:
    if isinstance(value, float):
        _check_literal(text)
        try:
            exact_value = Fraction(text.replace("_", ""))
        except (ValueError, ZeroDivisionError):
            exact_value = Fraction(value) if math.isfinite(value) else Fraction(0)
    else:
        exact_value = Fraction(value)

    def fn(env: Mapping[str, Any], exact: bool) -> Any:
        return exact_value if exact else value
    return fn


_OP_SYMBOLS = {"FloorDiv": "'//'", "Mod": "'%'", "MatMult": "'@'", "LShift": "'<<'", "RShift": "'>>'",
               "BitOr": "'|'", "BitAnd": "'&'", "Invert": "'~'", "Is": "'is'", "IsNot": "'is not'", "In": "'in'",
               "NotIn": "'not in'"}


def _op_symbol(op: ast.AST) -> str:
    return _OP_SYMBOLS.get(type(op).__name__, type(op).__name__)


_CONSTRUCTS = {
    "Lambda": "a lambda", "Subscript": "indexing ([...])", "List": "a list", "Tuple": "a tuple",
    "Dict": "a mapping", "Set": "a set", "ListComp": "a comprehension", "SetComp": "a comprehension",
    "DictComp": "a comprehension", "GeneratorExp": "a generator", "Starred": "'*'", "NamedExpr": "':='",
    "JoinedStr": "an f-string", "Await": "'await'", "Yield": "'yield'", "YieldFrom": "'yield'", "Slice": "a slice",
}


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
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise self.fail(node, "number is too large")
            text = ast.get_source_segment(self.source, node) or repr(node.value)
            if isinstance(node.value, float):
                try:
                    _check_literal(text)
                except ExpressionError as exc:
                    raise self.fail(node, exc.message) from None
            return _literal(node.value, text)
        if isinstance(node, ast.Name):
            name = node.id
            if name.startswith("__"):
                raise self.fail(node, f"names starting with '__' are not allowed ('{name}')")
            self.names.add(name)
            return lambda env, exact: env[name]
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.fail(node, f"operator {_op_symbol(node.op)} is not allowed (expected + - * / ** ^)")
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
            raise self.fail(node, f"operator {_op_symbol(node.op)} is not allowed (expected unary - + or 'not')")
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
                    raise self.fail(node, f"comparison {_op_symbol(op_node)} is not allowed "
                                          "(expected < <= > >= == !=)")
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
            known = ", ".join(sorted(FUNCTIONS))
            if not isinstance(node.func, ast.Name):
                if isinstance(node.func, (ast.Attribute, ast.Lambda)):
                    self.compile(node.func)  # raises, naming the construct
                raise self.fail(node, f"only the functions {known} can be called, by name")
            if node.func.id not in FUNCTIONS:
                raise self.fail(node, f"unknown function '{node.func.id}' (expected one of: {known})")
            if node.keywords:
                raise self.fail(node, "functions take positional arguments only")
            fn, arity = FUNCTIONS[node.func.id]
            if (arity is None and not node.args) or (arity is not None and len(node.args) != arity):
                want = "at least 1" if arity is None else str(arity)
                raise self.fail(node, f"{node.func.id}() takes {want} argument(s), got {len(node.args)}")
            args = [self.compile(a) for a in node.args]
            return lambda env, exact: fn(*(a(env, exact) for a in args))
        if isinstance(node, ast.Attribute):
            raise self.fail(node, f"attribute access ('.{node.attr}') is not allowed in an expression")
        what = _CONSTRUCTS.get(type(node).__name__, f"'{type(node).__name__}'")
        raise self.fail(node, f"{what} is not allowed in an expression (expected numbers, parameter names, "
                              "operators and the listed functions)")


def parse(source: str | int | float) -> Expr:
    """Parse an expression (numbers are accepted directly, as YAML gives them)."""
    if isinstance(source, bool):
        raise ExpressionError(f"expected a number or an expression, got {source!r}")
    if isinstance(source, (int, float)):
        if isinstance(source, float) and not math.isfinite(source):
            raise ExpressionError(f"expected a finite number, got {source!r}")
        text = repr(source)
        return Expr(text, frozenset(), _literal(source, text))
    if not isinstance(source, str):
        raise ExpressionError(f"expected a number or an expression, got {type(source).__name__}")
    text = source.strip()
    if not text:
        raise ExpressionError("empty expression")
    if len(text) > limits.EXPRESSION_CHARS.value():
        raise ExpressionError(f"expression is too long ({len(text)} characters; the limit is "
                              f"{limits.EXPRESSION_CHARS.value()}); 'expression-chars': "
                              f"{limits.EXPRESSION_CHARS.how_to_raise()}")
    # '^' is a power, with the precedence of '**' (so 1 - x^2 is 1 - (x^2), as in mathematics)
    python_text = text.replace("^", "**")
    carets = [i for i, ch in enumerate(text) if ch == "^"]

    def column(col: int | None) -> int | None:  # a 1-based column in python_text -> in text
        if col is None:
            return None
        return col - sum(1 for k, i in enumerate(carets) if i + k + 1 < col)

    try:
        tree = ast.parse(python_text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse '{text}': {exc.msg}", column(exc.offset)) from None
    except (RecursionError, MemoryError, ValueError):
        # ValueError: e.g. a NUL character, or an integer literal with too many digits
        raise ExpressionError(f"cannot parse '{text}': nested too deeply or malformed") from None
    compiler = _Compiler(python_text)
    try:
        fn = compiler.compile(tree)
    except RecursionError:
        raise ExpressionError(f"cannot parse '{text}': nested too deeply") from None
    except ExpressionError as exc:
        raise ExpressionError(exc.message, column(exc.column)) from None
    return Expr(text, frozenset(compiler.names), fn)
