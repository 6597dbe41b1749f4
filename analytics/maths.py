"""The formulas of customer lifetime value (DOMAIN.md section 8), in ``Decimal``, no database.

Each function rounds its own result once, half up, to what the pages show: money to the cent,
rates and factors to four decimals, lifetimes to two. The next step starts from the shown value, so
an RM who redoes the sums by hand with the numbers on the page gets the same cents.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from portfolios.selectors import cents

FOUR_PLACES = Decimal("0.0001")
SIX_PLACES = Decimal("0.000001")
HUNDRED = Decimal("100")
ZERO = Decimal("0")
ONE = Decimal("1")


def rate_from_pct(pct: Decimal) -> Decimal:
    """8 (%) → 0.08, exactly."""
    return pct / HUNDRED


def churn_rate(*, lost: int, at_start: int) -> Decimal | None:
    """r = clients lost in the period / clients at its start, to four decimals; None when nobody was
    there at the start (no rate can be told)."""
    if at_start <= 0:
        return None
    return (Decimal(lost) / Decimal(at_start)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def lifetime_years(*, churn: Decimal | None, default: Decimal, maximum: Decimal) -> Decimal:
    """T = 1 / r in years, to two decimals; ``default`` when r is 0 or unknown (nobody left: the
    formula would say forever); never more than ``maximum``.

    With a constant yearly churn, a client's chance of leaving does not depend on how long they have
    stayed, so 1 / r is also the expected *remaining* lifetime of a client of any tenure."""
    if not churn:
        years = default
    else:
        years = ONE / churn
    return min(years, maximum).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def pvifa(*, rate: Decimal, years: Decimal) -> Decimal:
    """PVIFA(i, T) = (1 − (1 + i)^−T) / i, to four decimals; T when i = 0 (the limit).

    T need not be whole: (1 + i)^−T is then the continuous power, e.g. PVIFA(8 %, 2.5) = 2.1879."""
    if rate == 0:
        return years.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
    return ((ONE - (ONE + rate) ** -years) / rate).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def prospect_contribution(*, purchase: Decimal, wallet_share_pct: Decimal, margin_pct: Decimal,
                          transactions: Decimal) -> Decimal:
    """Q = P × K × M × N (K and M as percentages), to the cent."""
    return cents(purchase * rate_from_pct(wallet_share_pct) * rate_from_pct(margin_pct) * transactions)


@dataclass(frozen=True)
class Term:
    """One year t of the sum: (Q_t − C_t) × share / (1 + i)^t."""

    t: int
    share: Decimal        # 1 for a whole year; the fraction of the last, partial year
    net: Decimal          # Q_t − C_t
    divisor: Decimal      # (1 + i)^t, shown to six decimals
    value: Decimal        # the term, to the cent


def discounted_terms(*, net: Decimal, rate: Decimal, years: Decimal) -> list[Term]:
    """The terms of CLV = Σ_{t=1..T} (Q_t − C_t) / (1 + i)^t for a flat yearly net contribution.

    A lifetime that is not whole (T = 2.5) has ⌊T⌋ whole years and a last year t = ⌊T⌋ + 1 counted
    for its fraction (0.5 of that year's discounted net). Each term is rounded to the cent from the
    exact divisor; the divisor is shown to six decimals."""
    whole = int(years.to_integral_value(rounding=ROUND_FLOOR))
    fraction = years - whole
    terms = []
    divisor = ONE
    for t in range(1, whole + (2 if fraction else 1)):
        share = ONE if t <= whole else fraction
        divisor *= ONE + rate  # (1 + i)^t, exact to Decimal's 28 digits
        terms.append(Term(t=t, share=share, net=net, divisor=divisor.quantize(SIX_PLACES, rounding=ROUND_HALF_UP),
                          value=cents(net * share / divisor)))
    return terms


def clv_sum(terms: list[Term]) -> Decimal:
    return sum((term.value for term in terms), ZERO)


def group_clv(*, net: Decimal, factor: Decimal, clients: int) -> tuple[Decimal, Decimal]:
    """Group CLV = (Q − C) × PVIFA(i, T) × clients: (one client's value, the group's), to the cent."""
    each = cents(net * factor)
    return each, cents(each * clients)


def mean(amounts: list[Decimal]) -> Decimal:
    """The average of yearly amounts, to the cent; 0 for none."""
    if not amounts:
        return ZERO
    return cents(sum(amounts, ZERO) / len(amounts))
