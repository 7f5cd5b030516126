"""Small typed builders for PromQL expressions: selectors, rates, sums and ratios as values, not
pasted strings. Each returns an :class:`Expr` (its text); the tests parse every one with a real PromQL
parser. Only what the platform's rules use is here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, NewType

Expr = NewType("Expr", str)
Op = Literal["=", "!=", "=~", "!~"]

_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_WINDOW = re.compile(r"^\d+[smhdw]$")
_MATCHER = re.compile(r'^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)"([^"{}]*)"$')


@dataclass(frozen=True)
class Matcher:
    label: str
    op: Op
    value: str

    def __post_init__(self) -> None:
        if not _LABEL.match(self.label):
            raise ValueError(f"{self.label!r} is not a label name")

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.label}{self.op}"{escaped}"'

    @staticmethod
    def parse(text: str) -> Matcher:
        """One matcher as the config writes it, e.g. ``status=~"5.."``."""
        found = _MATCHER.match(text)
        if found is None:
            raise ValueError(f'{text!r} is not one label matcher like status=~"5.."')
        label, op, value = found.groups()
        return Matcher(label, op, value)  # type: ignore[arg-type]


def eq(label: str, value: str) -> Matcher:
    return Matcher(label, "=", value)


def regex(label: str, value: str) -> Matcher:
    return Matcher(label, "=~", value)


def not_regex(label: str, value: str) -> Matcher:
    return Matcher(label, "!~", value)


def selector(metric: str, *matchers: Matcher) -> Expr:
    if not _METRIC.match(metric):
        raise ValueError(f"{metric!r} is not a metric name")
    inner = ",".join(str(m) for m in matchers)
    return Expr(f"{metric}{{{inner}}}" if inner else metric)


def _window(window: str) -> str:
    if not _WINDOW.match(window):
        raise ValueError(f"{window!r} is not a PromQL duration like 5m")
    return window


def rate(vector: Expr, window: str) -> Expr:
    return Expr(f"rate({vector}[{_window(window)}])")


def increase(vector: Expr, window: str) -> Expr:
    return Expr(f"increase({vector}[{_window(window)}])")


def max_over_time(vector: Expr, window: str) -> Expr:
    return Expr(f"max_over_time({vector}[{_window(window)}])")


def sum_(vector: Expr, by: tuple[str, ...] = ()) -> Expr:
    for label in by:
        if not _LABEL.match(label):
            raise ValueError(f"{label!r} is not a label name")
    grouping = f" by ({', '.join(by)})" if by else ""
    return Expr(f"sum{grouping} ({vector})")


def or_zero(vector: Expr) -> Expr:
    """No series (no errors at all) counts as 0, not as no data."""
    return Expr(f"({vector} or vector(0))")


def div(numerator: Expr, denominator: Expr) -> Expr:
    return Expr(f"({numerator}) / ({denominator})")


def sub(left: Expr, right: Expr) -> Expr:
    return Expr(f"({left}) - ({right})")


def one_minus(vector: Expr) -> Expr:
    return Expr(f"1 - ({vector})")


def number(value: float) -> Expr:
    return Expr(repr(float(value)) if value != int(value) else str(int(value)))


Comparison = Literal[">", ">=", "<", "<=", "==", "!="]


def compare(left: Expr, op: Comparison, right: Expr) -> Expr:
    return Expr(f"{left} {op} {right}")


def and_(left: Expr, right: Expr) -> Expr:
    return Expr(f"({left}) and ({right})")


def time() -> Expr:
    return Expr("time()")


def le_matcher(seconds: float) -> Matcher:
    """The ``le`` bucket of ``seconds``: clients write 1 as "1" (JavaScript) or "1.0" (Python)."""
    if seconds == int(seconds):
        return regex("le", f"{int(seconds)}(\\.0)?")
    return eq("le", repr(float(seconds)))


def max_(vector: Expr, by: tuple[str, ...] = ()) -> Expr:
    for label in by:
        if not _LABEL.match(label):
            raise ValueError(f"{label!r} is not a label name")
    grouping = f" by ({', '.join(by)})" if by else ""
    return Expr(f"max{grouping} ({vector})")


def min_(vector: Expr, by: tuple[str, ...] = ()) -> Expr:
    for label in by:
        if not _LABEL.match(label):
            raise ValueError(f"{label!r} is not a label name")
    grouping = f" by ({', '.join(by)})" if by else ""
    return Expr(f"min{grouping} ({vector})")


def deriv(vector: Expr, window: str) -> Expr:
    """Per-second slope of a gauge over the window (least squares)."""
    return Expr(f"deriv({vector}[{_window(window)}])")


def mul(left: Expr, right: Expr) -> Expr:
    return Expr(f"({left}) * ({right})")


def absent(vector: Expr) -> Expr:
    """1 when no series matches: the measurement itself has stopped."""
    return Expr(f"absent({vector})")
