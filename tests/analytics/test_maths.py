"""CLV, PVIFA, churn and lifetime against hand-worked examples, to the cent."""

from decimal import Decimal

from analytics import maths

D = Decimal


def test_it_computes_pvifa_for_whole_years():
    """i = 8 %, T = 3: 1.08^-3 = 1 / 1.259712 = 0.793832; (1 - 0.793832) / 0.08 = 2.577097 -> 2.5771."""
    assert maths.pvifa(rate=D("0.08"), years=D("3")) == D("2.5771")


def test_it_computes_group_clv_from_pvifa():
    """Q - C = 1000, PVIFA = 2.5771: one client 1000 x 2.5771 = 2577.10; 40 clients = 103084.00."""
    each, total = maths.group_clv(net=D("1000"), factor=D("2.5771"), clients=40)
    assert (each, total) == (D("2577.10"), D("103084.00"))


def test_pvifa_at_a_zero_rate_is_the_lifetime():
    """i = 0: (1 - 1^-T) / 0 is undefined; the limit is T. T = 4.5 -> 4.5000."""
    assert maths.pvifa(rate=D("0"), years=D("4.5")) == D("4.5000")


def test_pvifa_takes_a_lifetime_that_is_not_whole():
    """i = 8 %, T = 2.5: 1.08^2.5 = 1.1664 x sqrt(1.08) = 1.1664 x 1.0392305 = 1.2121585;
    1 / 1.2121585 = 0.8249747; (1 - 0.8249747) / 0.08 = 2.1878 (2.18782)."""
    assert maths.pvifa(rate=D("0.08"), years=D("2.5")) == D("2.1878")


def test_it_sums_discounted_terms_to_the_cent():
    """i = 8 %, T = 3, Q - C = 1000 a year:
    t=1: 1000 / 1.08     = 925.925... -> 925.93
    t=2: 1000 / 1.1664   = 857.338... -> 857.34
    t=3: 1000 / 1.259712 = 793.832... -> 793.83
    CLV = 925.93 + 857.34 + 793.83 = 2577.10 (the PVIFA form gives the same 2577.10)."""
    terms = maths.discounted_terms(net=D("1000.00"), rate=D("0.08"), years=D("3"))
    assert [(t.t, t.divisor, t.value) for t in terms] == [
        (1, D("1.080000"), D("925.93")), (2, D("1.166400"), D("857.34")), (3, D("1.259712"), D("793.83"))]
    assert maths.clv_sum(terms) == D("2577.10")


def test_a_part_year_counts_for_its_fraction():
    """i = 10 %, T = 2.5, Q - C = 2000: 2000/1.1 = 1818.18; 2000/1.21 = 1652.89;
    0.5 x 2000 / 1.331 = 751.31 (751.3148...); CLV = 4222.38."""
    terms = maths.discounted_terms(net=D("2000"), rate=D("0.10"), years=D("2.5"))
    assert [(t.share, t.value) for t in terms] == [(D("1"), D("1818.18")), (D("1"), D("1652.89")),
                                                    (D("0.5"), D("751.31"))]
    assert maths.clv_sum(terms) == D("4222.38")


def test_with_no_discount_the_clv_is_the_plain_sum():
    """i = 0, T = 4, Q - C = 500: 4 x 500 = 2000.00."""
    assert maths.clv_sum(maths.discounted_terms(net=D("500"), rate=D("0"), years=D("4"))) == D("2000.00")


def test_a_loss_making_client_has_a_negative_value():
    """i = 8 %, T = 1, Q - C = -300: -300 / 1.08 = -277.777... -> -277.78."""
    assert maths.clv_sum(maths.discounted_terms(net=D("-300"), rate=D("0.08"), years=D("1"))) == D("-277.78")


def test_churn_is_lost_over_clients_at_the_start():
    """12 of 240 left: r = 0.0500; T = 1 / 0.05 = 20.00 years. 1 of 3: r = 0.3333, T = 3.00."""
    assert maths.churn_rate(lost=12, at_start=240) == D("0.0500")
    assert maths.lifetime_years(churn=D("0.0500"), default=D("10"), maximum=D("30")) == D("20.00")
    assert maths.churn_rate(lost=1, at_start=3) == D("0.3333")
    assert maths.lifetime_years(churn=D("0.3333"), default=D("10"), maximum=D("30")) == D("3.00")


def test_zero_or_unknown_churn_takes_the_default_lifetime_and_t_is_capped():
    """No one left (r = 0) or no one there (r unknown): the default T; r = 0.01 gives 100 years, capped at 30."""
    assert maths.churn_rate(lost=0, at_start=50) == D("0.0000")
    assert maths.churn_rate(lost=0, at_start=0) is None
    assert maths.lifetime_years(churn=D("0"), default=D("10"), maximum=D("30")) == D("10.00")
    assert maths.lifetime_years(churn=None, default=D("10"), maximum=D("30")) == D("10.00")
    assert maths.lifetime_years(churn=D("0.01"), default=D("10"), maximum=D("30")) == D("30.00")


def test_a_prospect_contributes_p_times_k_times_m_times_n():
    """P = 200,000 a purchase, K = 25 %, M = 2 %, N = 4 a year: 200000 x 0.25 x 0.02 x 4 = 4000.00.
    P = 33,333.33, K = 33.3 %, M = 1.5 %, N = 3: 33333.33 x 0.333 x 0.015 x 3 = 499.49985 -> 499.50."""
    assert maths.prospect_contribution(purchase=D("200000"), wallet_share_pct=D("25"), margin_pct=D("2"),
                                       transactions=D("4")) == D("4000.00")
    assert maths.prospect_contribution(purchase=D("33333.33"), wallet_share_pct=D("33.3"), margin_pct=D("1.5"),
                                       transactions=D("3")) == D("499.50")


def test_the_yearly_average_rounds_half_up_once():
    """(100.00 + 200.01) / 2 = 150.005 -> 150.01."""
    assert maths.mean([D("100.00"), D("200.01")]) == D("150.01")
    assert maths.mean([]) == D("0")
