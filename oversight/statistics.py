"""The early-warning statistics: a Poisson upper control limit on an estate's own baseline of petitions.

An estate's property petitions arrive, in quiet times, as a Poisson process with its own
rate. The rate per window (30 days) is estimated from the baseline (the 365 days before the
window): ``rate = baseline_count × window / baseline_days``, never below a floor (an estate
with no history is not assumed to have none). The upper control limit is the smallest count
``k`` whose tail probability ``P(X ≥ k)`` under that rate is at most ``alpha`` (0.01): a quiet
estate reaches it about once in a hundred windows. The window is flagged when its count
reaches the limit and at least a minimum number of petitions (3), so that one or two
petitions never flag an estate alone. Everything is computed in ``Decimal``: no float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

ZERO = Decimal(0)
ONE = Decimal(1)


def poisson_tail(k: int, rate: Decimal) -> Decimal:
    """``P(X ≥ k)`` for ``X`` Poisson with mean ``rate``."""
    if k <= 0:
        return ONE
    with localcontext() as ctx:
        ctx.prec = 40
        term = (-rate).exp()  # P(X = 0)
        below = ZERO
        for j in range(k):
            below += term
            term = term * rate / (j + 1)
        return max(ZERO, ONE - below)


def upper_control_limit(rate: Decimal, alpha: Decimal) -> int:
    """The smallest count ``k`` with ``P(X ≥ k) ≤ alpha`` under a Poisson mean of ``rate``."""
    with localcontext() as ctx:
        ctx.prec = 40
        term = (-rate).exp()
        below = ZERO
        k = 0
        # P(X >= k) = 1 - P(X <= k - 1); stop at the first k whose tail is small enough.
        while ONE - below > alpha:
            below += term
            term = term * rate / (k + 1)
            k += 1
        return k


@dataclass(frozen=True)
class RiseTest:
    observed: int
    expected: Decimal  # the baseline rate per window
    limit: int  # the count that raises a flag
    flagged: bool


def petitions_rise(
    observed: int,
    baseline_count: int,
    *,
    window_days: int,
    baseline_days: int,
    alpha: Decimal,
    min_count: int,
    rate_floor: Decimal,
) -> RiseTest:
    """Test whether ``observed`` petitions in the window rise clearly above the estate's baseline."""
    rate = max(Decimal(baseline_count) * window_days / baseline_days, Decimal(rate_floor))
    limit = max(upper_control_limit(rate, Decimal(alpha)), int(min_count))
    return RiseTest(observed=observed, expected=rate.quantize(Decimal("0.01")), limit=limit, flagged=observed >= limit)
