"""Demo client value: costs, other revenue, referrals, prospect estimates and cross-sell opportunities
for the new demo clients,
a believable churn history, then every demo client's stored lifetime value.

Demo clients are new on each run, so running ``demo_data`` again adds records only for the new ones.
The crm demo records a terminated client's stage at registration; for clients registered over a year
ago this step moves that ending to a later date (registered in maturity, terminated later), so the
segments have a churn rate to show.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from crm.models import Client, LifecycleTransition, User
from portfolios.selectors import cents

from . import services
from .models import CostRecord, Opportunity, ProspectEstimate, Referral, RevenueRecord

_REVENUE = ["Structured deposit commission 结构性存款佣金", "FX spread 外汇点差", "Insurance commission 保险佣金",
            "Loan interest margin 贷款利差"]
_PRODUCTS = ["Balanced fund 平衡型基金", "Term deposit 定期存款", "Private bond 私募债", "Whole-life insurance 终身寿险",
             "Structured note 结构性票据", "Family trust 家族信托"]
_COST_KINDS = [(CostRecord.Kind.SERVICING, 5), (CostRecord.Kind.PRICE_CONCESSION, 2), (CostRecord.Kind.OTHER, 1)]


def _churn_history(rows, *, rng: random.Random, today: date, admin) -> int:
    """Terminated demo clients registered over a year ago: first in maturity, terminated later."""
    moved = []
    for pk, stage, created_at in rows:
        if stage != Client.LifecycleStage.TERMINATION or (today - timezone.localdate(created_at)).days < 400:
            continue
        ended = created_at + timedelta(days=rng.randrange(365, max(366, (timezone.now() - created_at).days)))
        moved.append((pk, ended))
    if not moved:
        return 0
    LifecycleTransition.objects.filter(client_id__in=[pk for pk, _ended in moved], from_stage="",
                                       to_stage=Client.LifecycleStage.TERMINATION).update(
        to_stage=Client.LifecycleStage.MATURITY)
    LifecycleTransition.objects.bulk_create([
        LifecycleTransition(client_id=pk, from_stage=Client.LifecycleStage.MATURITY,
                            to_stage=Client.LifecycleStage.TERMINATION, reason="Demo data: moved to another bank",
                            changed_by=admin, changed_at=ended) for pk, ended in moved], batch_size=500)
    return len(moved)


def _opportunities(rows, *, rng: random.Random, today: date, now) -> list[Opportunity]:
    """About a quarter of the demo clients get one or two cross-sell opportunities: most open, with
    an expected close in the coming months, some won or lost over the past year."""
    opportunities = []
    for pk, stage, _created_at, aum, manager_id in rows:
        if stage == Client.LifecycleStage.TERMINATION or manager_id is None or rng.random() > 0.25:
            continue
        for _n in range(rng.choice([1, 1, 2])):
            outcome = rng.choices(["open", Opportunity.Stage.WON, Opportunity.Stage.LOST], weights=[7, 2, 1])[0]
            if outcome == "open":
                stage_now, close_on = rng.choice(Opportunity.OPEN), today + timedelta(days=rng.randrange(3, 180))
                changed_at = now - timedelta(days=rng.randrange(0, 30))
            else:
                stage_now, close_on = outcome, today - timedelta(days=rng.randrange(5, 330))
                changed_at = now - timedelta(days=(today - close_on).days)
            opportunities.append(Opportunity(
                client_id=pk, product=rng.choice(_PRODUCTS), currency="CNY", stage=stage_now,
                amount=cents(max(aum, Decimal("100000")) * Decimal(rng.choice(["0.05", "0.1", "0.2"]))),
                expected_close_on=close_on, owner_id=manager_id, stage_changed_by_id=manager_id,
                created_at=changed_at - timedelta(days=rng.randrange(0, 60)), stage_changed_at=changed_at))
    return opportunities


def analytics_demo_build(*, clients: list[int], rng: random.Random) -> str:
    today = timezone.localdate()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    rows = list(Client.objects.filter(pk__in=clients).values_list("pk", "lifecycle_stage", "created_at", "aum_total"))
    opportunities = _opportunities(
        Client.objects.filter(pk__in=clients).values_list("pk", "lifecycle_stage", "created_at", "aum_total",
                                                          "primary_manager_id"), rng=rng, today=today,
        now=timezone.now())
    costs, revenue, estimates, referrals = [], [], [], []
    now = timezone.now()
    sample = [row for row in rows if rng.random() < 0.6]
    for pk, stage, created_at, aum in sample:
        # From last year: the demo's valuation history (month-ends) starts a year ago.
        first_year = max(timezone.localdate(created_at).year, today.year - 1)
        base = max(aum, Decimal("100000"))
        if stage == Client.LifecycleStage.POTENTIAL:
            estimates.append(ProspectEstimate(
                client_id=pk, purchase_amount=Decimal(rng.choice(["50000", "100000", "200000", "500000"])),
                currency="CNY", wallet_share_pct=Decimal(rng.choice(["10", "20", "30"])),
                margin_pct=Decimal(rng.choice(["1.5", "2", "3"])), transactions_per_year=Decimal(rng.choice(["2", "4",
                                                                                                            "6"])),
                recorded_by=admin, updated_at=now))
            costs.append(CostRecord(client_id=pk, year=today.year, kind=CostRecord.Kind.ACQUISITION,
                                    amount=Decimal(rng.choice(["800", "1500", "3000"])), currency="CNY",
                                    description="Welcome event 迎新活动", recorded_by=admin, recorded_at=now))
            continue
        costs.append(CostRecord(client_id=pk, year=first_year, kind=CostRecord.Kind.ACQUISITION,
                                amount=cents(base * Decimal("0.002")), currency="CNY",
                                description="Onboarding 开户与建档", recorded_by=admin, recorded_at=now))
        for year in range(first_year, today.year + 1):
            for kind, weight in _COST_KINDS:
                if rng.random() < weight / 8:
                    costs.append(CostRecord(
                        client_id=pk, year=year, kind=kind, currency="CNY", recorded_by=admin, recorded_at=now,
                        amount=cents(base * Decimal(str(rng.uniform(0.0005, 0.002)))),
                        description="Events and gifts 活动与礼品" if kind == CostRecord.Kind.OTHER else ""))
            if rng.random() < 0.5:
                revenue.append(RevenueRecord(
                    client_id=pk, year=year, currency=rng.choice(["CNY", "CNY", "CNY", "USD"]), recorded_by=admin,
                    amount=cents(base * Decimal(str(rng.uniform(0.0005, 0.003)))), description=rng.choice(_REVENUE),
                    recorded_at=now))
    referred = set()
    for pk, stage, created_at, _aum in rows:
        if rng.random() < 0.08 and pk not in referred:
            referrer = rng.choice(rows)
            if referrer[0] == pk or stage == Client.LifecycleStage.POTENTIAL:
                continue
            referred.add(pk)
            on = max(timezone.localdate(created_at), timezone.localdate(referrer[2]))
            referrals.append(Referral(referrer_id=referrer[0], referred_id=pk, referred_on=min(on, today),
                                      value=Decimal(rng.choice(["2000", "5000", "8000"])), currency="CNY",
                                      note="Friend 朋友介绍", recorded_by=admin, recorded_at=now))
    with transaction.atomic():
        moved = _churn_history([(pk, stage, created) for pk, stage, created, _aum in rows], rng=rng, today=today,
                               admin=admin)
        for model, objs in ((CostRecord, costs), (RevenueRecord, revenue), (ProspectEstimate, estimates),
                            (Referral, referrals), (Opportunity, opportunities)):
            if objs:
                bulk_create_with_history(objs, model, batch_size=500, default_user=admin,
                                         default_change_reason="Demo data")
    stored = services.client_values_recompute()
    return (f"client value: {len(costs)} costs, {len(revenue)} revenue records, {len(referrals)} referrals, "
            f"{len(estimates)} prospect estimates, {len(opportunities)} opportunities, {moved} past endings; {stored} lifetime values stored")
