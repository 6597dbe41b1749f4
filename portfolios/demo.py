"""Demo portfolios: accounts, holdings, a year of monthly prices, FX rates and valuations, and a few
contributions and withdrawals (so the portfolio page's performance section has real figures).

``portfolio_demo_create`` gives each client without accounts a realistic CNY-based portfolio
across the asset classes (a few USD and HKD positions, now and then a concentrated stock,
large deposits at one bank, a stop-loss or a drawdown limit, a goal or two), then values it
today through ``valuation_refresh`` so AUM, tier and alerts are the real ones. Safe to run
again: clients that already have accounts are left alone, shared rows are get-or-create.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from crm.models import Client

from . import services
from .selectors import cents
from .models import (
    Account,
    AssetClass,
    CashFlow,
    DrawdownLimit,
    FxRate,
    Goal,
    Holding,
    Institution,
    Instrument,
    InstrumentPrice,
    LiquidityTier,
    ValuationSnapshot,
)

MONTHS = 12

# (name, deposit-taking bank)
INSTITUTIONS = [
    ("中国工商银行 ICBC", True), ("招商银行 China Merchants Bank", True), ("中国银行 Bank of China", True),
    ("中信证券 CITIC Securities", False), ("中国平安保险 Ping An Insurance", False), ("汇丰银行 HSBC Hong Kong", True),
]
ICBC, CMB, BOC, CITIC, PINGAN, HSBC = (name for name, _bank in INSTITUTIONS)

# code, name, class, region, industry, issuer, currency, liquidity, rating, price today (None: valued, not priced)
INSTRUMENTS = [
    ("DEP-CNY", "人民币定期存款 CNY time deposit", AssetClass.CASH, "China", "Banking", "", "CNY",
     LiquidityTier.MONTH, "R1", None),
    ("DEP-USD", "美元存款 USD deposit", AssetClass.CASH, "Hong Kong", "Banking", "", "USD",
     LiquidityTier.SAME_DAY, "R1", None),
    ("019547", "国债 China Government Bond 2032", AssetClass.FIXED_INCOME, "China", "Government",
     "Ministry of Finance", "CNY", LiquidityTier.SAME_DAY, "R1", Decimal("102.35")),
    ("CDB2029", "国开债 China Development Bank 2029", AssetClass.FIXED_INCOME, "China", "Policy bank",
     "China Development Bank", "CNY", LiquidityTier.SAME_DAY, "R2", Decimal("100.80")),
    ("600519", "贵州茅台 Kweichow Moutai", AssetClass.EQUITY, "China", "Consumer staples", "Kweichow Moutai",
     "CNY", LiquidityTier.SAME_DAY, "R4", Decimal("1480.00")),
    ("600036", "招商银行 China Merchants Bank", AssetClass.EQUITY, "China", "Banking", "China Merchants Bank",
     "CNY", LiquidityTier.SAME_DAY, "R4", Decimal("41.20")),
    ("300750", "宁德时代 CATL", AssetClass.EQUITY, "China", "Industrials", "CATL", "CNY",
     LiquidityTier.SAME_DAY, "R5", Decimal("265.50")),
    ("0700.HK", "腾讯控股 Tencent", AssetClass.EQUITY, "Hong Kong", "Technology", "Tencent", "HKD",
     LiquidityTier.SAME_DAY, "R4", Decimal("520.00")),
    ("AAPL", "Apple Inc.", AssetClass.EQUITY, "United States", "Technology", "Apple", "USD",
     LiquidityTier.SAME_DAY, "R4", Decimal("228.00")),
    ("110011", "易方达中小盘 E Fund mid-cap", AssetClass.FUND, "China", "Diversified", "E Fund", "CNY",
     LiquidityTier.MONTH, "R3", Decimal("4.812")),
    ("000001", "华夏成长 ChinaAMC Growth", AssetClass.FUND, "China", "Diversified", "ChinaAMC", "CNY",
     LiquidityTier.MONTH, "R3", Decimal("1.236")),
    ("PA-ANNUITY", "平安年金保险 Ping An annuity policy", AssetClass.INSURANCE, "China", "Insurance",
     "Ping An Insurance", "CNY", LiquidityTier.OVER_YEAR, "R1", None),
    ("AU9999", "黄金 Gold (per gram)", AssetClass.PHYSICAL, "Global", "Precious metals", "", "CNY",
     LiquidityTier.SAME_DAY, "R3", Decimal("612.00")),
    ("RE-SH-APT", "上海住宅 Shanghai apartment", AssetClass.REAL_ESTATE, "China", "Real estate", "", "CNY",
     LiquidityTier.OVER_YEAR, "", None),
    ("PE-FUND-I", "私募股权基金 Private equity fund I", AssetClass.ALTERNATIVES, "China", "Private equity",
     "Hony Capital", "CNY", LiquidityTier.OVER_YEAR, "R5", None),
]
ILLIQUID = {"RE-SH-APT", "PE-FUND-I", "PA-ANNUITY"}

# The price of one unit of each currency in CNY today.
FX_TODAY = {"USD": Decimal("7.1050"), "HKD": Decimal("0.9135")}

# Rough weights (%) per risk level, before noise; close to but not on the model, so some drift shows.
TILTS = {
    "C1": {"cash": 40, "fixed_income": 40, "fund": 8, "insurance": 12},
    "C2": {"cash": 25, "fixed_income": 35, "equity": 10, "fund": 15, "insurance": 10, "physical": 5},
    "C3": {"cash": 15, "fixed_income": 25, "equity": 30, "fund": 15, "insurance": 5, "real_estate": 7, "physical": 3},
    "C4": {"cash": 8, "fixed_income": 15, "equity": 45, "fund": 17, "real_estate": 8, "physical": 3, "alternatives": 4},
    "C5": {"cash": 5, "fixed_income": 8, "equity": 55, "fund": 17, "real_estate": 5, "alternatives": 10},
}
CLASS_INSTRUMENTS = {
    AssetClass.CASH: ["DEP-CNY", "DEP-USD"], AssetClass.FIXED_INCOME: ["019547", "CDB2029"],
    AssetClass.EQUITY: ["600519", "600036", "300750", "0700.HK", "AAPL"], AssetClass.FUND: ["110011", "000001"],
    AssetClass.INSURANCE: ["PA-ANNUITY"], AssetClass.REAL_ESTATE: ["RE-SH-APT"], AssetClass.PHYSICAL: ["AU9999"],
    AssetClass.ALTERNATIVES: ["PE-FUND-I"],
}


def _month_ends(today: date) -> list[date]:
    """The last day of each of the past MONTHS months, oldest first, then today."""
    days, first = [], today.replace(day=1)
    for _n in range(MONTHS):
        first_of_previous = (first - timedelta(days=1)).replace(day=1)
        days.append(first - timedelta(days=1))
        first = first_of_previous
    return sorted(days) + [today]


def market_data_create(*, rng: random.Random, today: date) -> dict[str, Instrument]:
    """Institutions, instruments, a monthly price and FX history ending at today's values; get-or-create."""
    for name, is_bank in INSTITUTIONS:
        Institution.objects.get_or_create(name=name, defaults={"is_bank": is_bank})
    instruments = {}
    for code, name, asset_class, region, industry, issuer, currency, liquidity, rating, _price in INSTRUMENTS:
        instruments[code], _created = Instrument.objects.get_or_create(code=code, defaults={
            "name": name, "asset_class": asset_class, "region": region, "industry": industry, "issuer": issuer,
            "currency": currency, "liquidity_tier": liquidity, "risk_rating": rating,
        })
    days = _month_ends(today)
    prices, rates = [], []
    for code, *_rest, price_today in INSTRUMENTS:
        if price_today is None:
            continue
        price = price_today
        for day in reversed(days):  # walk back from today's price
            prices.append(InstrumentPrice(instrument=instruments[code], price_date=day, price=price,
                                          currency=instruments[code].currency))
            price = (price / Decimal(str(1 + rng.gauss(0.006, 0.05)))).quantize(Decimal("0.001"))
    for currency, rate_today in FX_TODAY.items():
        rate = rate_today
        for day in reversed(days):
            rates.append(FxRate(currency=currency, quote_currency="CNY", rate_date=day, rate=rate))
            rate = (rate * Decimal(str(1 + rng.gauss(0, 0.008)))).quantize(Decimal("0.0001"))
    InstrumentPrice.objects.bulk_create(prices, ignore_conflicts=True)
    FxRate.objects.bulk_create(rates, ignore_conflicts=True)
    return instruments


def portfolio_demo_create(*, clients, rng: random.Random | None = None) -> int:
    """Give every client in ``clients`` (ids or Client objects) that has no account a demo portfolio;
    returns how many portfolios were created."""
    rng = rng or random.Random(2026)
    today = timezone.localdate()
    ids = [getattr(c, "pk", c) for c in clients]
    todo = list(Client.objects.filter(pk__in=ids).exclude(accounts__isnull=False).order_by("pk"))
    if not todo:
        return 0
    with transaction.atomic():
        instruments = market_data_create(rng=rng, today=today)
        institutions = {i.name: i for i in Institution.objects.all()}
        latest = {code: price for code, *_rest, price in INSTRUMENTS}
        for client in todo:
            _client_portfolio_create(client, rng=rng, today=today, instruments=instruments,
                                     institutions=institutions, prices=latest)
    for client in todo:
        services.valuation_refresh(client_id=client.pk, valuation_date=today)
    return len(todo)


def _client_portfolio_create(client: Client, *, rng, today, instruments, institutions, prices) -> None:
    if not client.risk_level:
        # The demo book has no assessments yet; a level lets the model allocation apply.
        client.risk_level = rng.choice(["C1", "C2", "C3", "C3", "C4", "C5"])
        Client.objects.filter(pk=client.pk).update(risk_level=client.risk_level)
    aum = Decimal(str(round(rng.lognormvariate(14.6, 1.0), -3)))  # median ≈ 2.2 million CNY
    aum = min(max(aum, Decimal("200000")), Decimal("80000000"))
    weights = {c: w * rng.uniform(0.75, 1.25) for c, w in TILTS[client.risk_level].items()}
    if rng.random() < 0.2:
        weights["equity"] = weights.get("equity", 0) + 40  # a concentrated stock position
    total = sum(weights.values())
    bank = rng.choice([ICBC, CMB, BOC])
    accounts: dict[str, Account] = {}

    def account(kind, institution, currency="CNY"):
        key = f"{kind}-{institution}-{currency}"
        if key not in accounts:
            accounts[key] = Account.objects.create(
                client=client, kind=kind, institution=institutions[institution], currency=currency,
                account_number=f"{client.pk:06d}{len(accounts) + 1:02d}", name=str(Account.Kind(kind).label),
                opened_on=today - timedelta(days=rng.randint(400, 4000)))
        return accounts[key]

    holdings = []
    for asset_class, weight in weights.items():
        amount = aum * Decimal(str(weight / total))
        codes = CLASS_INSTRUMENTS[asset_class]
        chosen = rng.sample(codes, k=min(len(codes), rng.randint(1, 3)))
        if asset_class == AssetClass.EQUITY and weight > 40:
            chosen = chosen[:1]  # the concentrated position
        for code in chosen:
            instrument = instruments[code]
            value_cny = amount / len(chosen)
            rate = FX_TODAY.get(instrument.currency, Decimal("1"))
            market_value = cents(value_cny / rate)
            price = prices[code]
            quantity = (market_value / price).quantize(Decimal("0.01")) if price else Decimal("1")
            if price:
                market_value = cents(quantity * price)
            kind, institution = _account_for(asset_class, instrument.currency, bank)
            holdings.append(Holding(
                account=account(kind, institution, instrument.currency if asset_class == AssetClass.CASH else "CNY"),
                instrument=instrument, quantity=quantity, market_value=market_value, currency=instrument.currency,
                cost=cents(market_value * Decimal(str(rng.uniform(0.75, 1.2)))),
                valuation_date=today, is_illiquid=code in ILLIQUID,
            ))
    equities = [h for h in holdings if h.instrument.asset_class == AssetClass.EQUITY]
    if equities and rng.random() < 0.3:
        # A stop-loss 15% under cost; half the time the stock was bought dearer, so it fires today.
        equities[0].stop_loss_pct = Decimal("15")
        if rng.random() < 0.5:
            equities[0].cost = cents(equities[0].market_value * Decimal("1.25"))
    Holding.objects.bulk_create(holdings)
    services.client_rated_holdings_refresh(client_ids=[client.pk])
    if rng.random() < 0.25:
        DrawdownLimit.objects.create(client=client, max_drawdown_pct=Decimal(rng.choice(["10", "15", "20"])))
    _history_create(client, aum=sum((cents(h.market_value * FX_TODAY.get(h.currency, Decimal("1")))
                                     for h in holdings), Decimal("0")), rng=rng, today=today)
    _goals_create(client, aum=aum, rng=rng, today=today)


def _account_for(asset_class: str, currency: str, bank: str) -> tuple[str, str]:
    if asset_class == AssetClass.CASH:
        return Account.Kind.DEPOSIT, HSBC if currency != "CNY" else bank
    if asset_class in (AssetClass.EQUITY, AssetClass.FIXED_INCOME):
        return Account.Kind.BROKERAGE, HSBC if currency != "CNY" else CITIC
    if asset_class == AssetClass.FUND:
        return Account.Kind.FUND, bank
    if asset_class == AssetClass.INSURANCE:
        return Account.Kind.INSURANCE, PINGAN
    if asset_class == AssetClass.REAL_ESTATE:
        return Account.Kind.REAL_ESTATE, bank
    if asset_class == AssetClass.PHYSICAL:
        return Account.Kind.PHYSICAL, bank
    return Account.Kind.OTHER, CITIC


def _history_create(client: Client, *, aum: Decimal, rng, today: date) -> None:
    """Month-end AUM for the past year and a few contributions and withdrawals, walking back from today's
    value (today's snapshot is the refresh's): each month's start value is its end value less the month's
    net flows, less the month's market return, so the performance section separates the two."""
    days = _month_ends(today)
    flows = _flows_plan(client, aum=aum, rng=rng, days=days)
    snapshots, value = [], aum
    for start, end in reversed(list(zip(days, days[1:]))):
        net = sum((f.signed_amount_base for f in flows if start < f.flow_date <= end), Decimal("0"))
        value = cents((value - net) / Decimal(str(1 + rng.gauss(0.005, 0.03))))
        snapshots.append(ValuationSnapshot(client=client, valuation_date=start, aum=value, currency="CNY"))
    ValuationSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True)
    bulk_create_with_history(flows, CashFlow)


def _flows_plan(client: Client, *, aum: Decimal, rng, days: list[date]) -> list[CashFlow]:
    """One to three contributions (5-25 % of today's AUM) and now and then a withdrawal, on days of the
    past year, in CNY, as entered by hand."""
    kinds = [CashFlow.Kind.CONTRIBUTION] * rng.randint(1, 3) + [CashFlow.Kind.WITHDRAWAL] * (rng.random() < 0.4)
    flows = []
    for kind in kinds:
        month = rng.randrange(1, len(days))
        day = days[month - 1] + timedelta(days=rng.randint(1, max((days[month] - days[month - 1]).days, 1)))
        share = rng.uniform(0.05, 0.25) if kind == CashFlow.Kind.CONTRIBUTION else rng.uniform(0.03, 0.12)
        amount = max(Decimal(round(float(aum) * share, -3)), Decimal("1000"))
        note = "追加投资 Top-up" if kind == CashFlow.Kind.CONTRIBUTION else "提取 Withdrawal for expenses"
        flows.append(CashFlow(client=client, kind=kind, flow_date=min(day, days[-1]), amount=amount, currency="CNY",
                              amount_base=amount, base_currency="CNY", note=note, source=CashFlow.Source.MANUAL))
    return flows


def _goals_create(client: Client, *, aum: Decimal, rng, today: date) -> None:
    options = [
        (Goal.Kind.EDUCATION, "子女教育 Children's education", 8, Decimal("0.3")),
        (Goal.Kind.RETIREMENT, "退休 Retirement", 15, Decimal("1.5")),
        (Goal.Kind.PROPERTY, "购房 Second home", 4, Decimal("0.8")),
        (Goal.Kind.EMERGENCY_RESERVE, "应急储备 Emergency reserve", 1, Decimal("0.05")),
    ]
    for kind, name, years, share in rng.sample(options, k=rng.randint(0, 2)):
        services.goal_create(
            client=client, kind=kind, name=name, target_amount=cents(max(aum * share, Decimal("100000"))),
            currency="CNY", target_date=today.replace(year=today.year + years, day=1),
            funded_amount=cents(aum * share * Decimal(str(rng.uniform(0.1, 0.6)))),
            expected_return_pct=Decimal(rng.choice(["2.5", "3", "4", "5"])),
        )


def portfolio_demo_build(*, clients: list[int], rng: random.Random) -> str:
    """The demo_data step: portfolios for the sample of new demo clients."""
    return f"portfolios added for {portfolio_demo_create(clients=clients, rng=rng)} clients"
