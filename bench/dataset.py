"""The benchmark's data set on PostgreSQL, written with COPY and reused while its marker matches.

Shape at ``clients=100_000``: 100 RMs in 10 teams (one lead each, so an RM serves about 1,000
clients and a lead about 10,000), 2 accounts and about 10 holdings per client (1,000,000), 5 contact
logs per client (500,000, a tenth with an open follow-up), risk levels recorded for 80 % of
clients (a fifth of them expired), one tag on a third of them. Client AUM is the sum of the
client's holdings, tiered with the admin thresholds. Every row is generated here in Python and
sent with psycopg 3's ``cursor.copy``; no history rows (like ``demo_data --no-history``).

The marker is a plain table ``bench_dataset`` (not a Django model): its row says how many clients
the data set was built for. A database with clients but no marker is not ours to touch.
"""

import random
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.utils import timezone

from crm.demo import demo_credit_code, demo_resident_id
from crm.models import Assignment, Client, Tag, Team, User
from crm.roles import Role
from crm.scales import RiskBasis
from crm.selectors import aum_tier_for, aum_tier_thresholds

MARKER_TABLE = "bench_dataset"
PASSWORD = "bench-pass-2026"  # the bench users' password (a scratch database only)
HOLDINGS_PER_CLIENT = 10
CONTACTS_PER_CLIENT = 5
CLIENTS_PER_RM = 1000
RMS_PER_TEAM = 10

# "surname pinyin" pairs and given names: enough variety for name searches to be selective.
_SURNAMES = ("王 Wang,李 Li,张 Zhang,刘 Liu,陈 Chen,杨 Yang,黄 Huang,赵 Zhao,吴 Wu,周 Zhou,徐 Xu,孙 Sun,马 Ma,"
             "朱 Zhu,胡 Hu,郭 Guo,何 He,林 Lin,罗 Luo,高 Gao,郑 Zheng,梁 Liang,谢 Xie,宋 Song,唐 Tang,许 Xu,"
             "韩 Han,冯 Feng,邓 Deng,曹 Cao,彭 Peng,曾 Zeng,肖 Xiao,田 Tian,董 Dong,袁 Yuan,潘 Pan,于 Yu,"
             "蒋 Jiang,蔡 Cai,余 Yu,杜 Du,叶 Ye,程 Cheng,苏 Su,魏 Wei,吕 Lv,丁 Ding,任 Ren,沈 Shen").split(",")
_GIVEN = ("伟 Wei,芳 Fang,娜 Na,敏 Min,静 Jing,丽 Li,强 Qiang,磊 Lei,军 Jun,洋 Yang,勇 Yong,艳 Yan,杰 Jie,"
          "娟 Juan,涛 Tao,明 Ming,超 Chao,霞 Xia,平 Ping,刚 Gang,子轩 Zixuan,浩然 Haoran,雨桐 Yutong,"
          "思远 Siyuan,欣怡 Xinyi,嘉怡 Jiayi,宇航 Yuhang,梓涵 Zihan,晨曦 Chenxi,一诺 Yinuo,建国 Jianguo,"
          "文博 Wenbo,佳琪 Jiaqi,志强 Zhiqiang,海燕 Haiyan,秀英 Xiuying,桂兰 Guilan,国华 Guohua").split(",")
_COMPANY_WORDS = ("华信 恒达 中联 金瑞 远航 新元 宏图 天成 博远 鼎盛 嘉禾 长青 盛世 东方 瑞丰 汇通").split()
_MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com")
_STAGES = ("potential", "development", "growth", "growth", "maturity", "maturity", "maturity", "decline")
# Share of clients per tier (HNW, affluent, mass) and the AUM range of each, in multiples of its floor.
_TIER_SHARES = ((Client.AumTier.HNW, 0.06), (Client.AumTier.AFFLUENT, 0.29), (Client.AumTier.MASS, 0.65))


@dataclass(frozen=True)
class Shape:
    clients: int

    @property
    def rms(self) -> int:
        return max(2, round(self.clients / CLIENTS_PER_RM))

    @property
    def teams(self) -> int:
        return max(1, self.rms // RMS_PER_TEAM)


def marker() -> dict | None:
    """The marker row of the data set in this database, or None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER_TABLE])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT clients, holdings, contacts, seconds, built_at FROM {MARKER_TABLE} LIMIT 1")
        row = cursor.fetchone()
    return dict(zip(("clients", "holdings", "contacts", "seconds", "built_at"), row)) if row else None


def clients_present() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM crm_client")
        return cursor.fetchone()[0]


def _defaults(model, generated: list[str]) -> dict[str, object]:
    """What a COPY writes into the columns we do not generate: the field's default, '' or NULL."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in generated:
            continue
        if field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        elif isinstance(field, (models.CharField, models.TextField)):
            value = ""
        elif isinstance(field, models.DateTimeField):  # auto_now
            value = timezone.now()
        else:
            raise RuntimeError(f"{model.__name__}.{field.name} needs a value in the bench data set")
        values[field.column] = field.get_db_prep_save(value, connection)
    return values


class _Copy:
    """COPY rows (dicts of column values) into a model's table; unnamed columns take their default."""

    def __init__(self, cursor, model, columns: list[str]):
        defaults = _defaults(model, columns)
        self.columns = ["id", *columns, *defaults]
        self.fixed = tuple(defaults.values())
        names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        self.table = model._meta.db_table
        self.context = cursor.copy(f"COPY {self.table} ({names}) FROM STDIN")
        self.count = 0

    def __enter__(self):
        self.copy = self.context.__enter__()
        return self

    def row(self, pk: int, *values) -> None:
        self.copy.write_row((pk, *values, *self.fixed))
        self.count += 1

    def __exit__(self, *exc):
        return self.context.__exit__(*exc)


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    return cursor.fetchone()[0]


def _sequences_reset(cursor, tables: list[str]) -> None:
    for table in tables:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1)) FROM {table}",
                       [table])


def staff_create(shape: Shape) -> dict:
    """The bench's staff: an administrator, one lead per team, the RMs; usernames bench-*."""
    password = make_password(PASSWORD)
    groups = {role: Group.objects.get(name=role.value) for role in Role}
    admin = User(username="bench-admin", first_name="Bench", last_name="Admin", password=password,
                 is_staff=True, is_superuser=True)
    leads = [User(username=f"bench-lead-{t:02d}", first_name=f"Lead {t:02d}", last_name="团队主管",
                  password=password) for t in range(1, shape.teams + 1)]
    rms = [User(username=f"bench-rm-{r:03d}", first_name=_GIVEN[r % len(_GIVEN)].split()[0],
                last_name=f"RM {r:03d}", password=password) for r in range(1, shape.rms + 1)]
    User.objects.bulk_create([admin, *leads, *rms])
    users = {u.username: u for u in User.objects.filter(username__startswith="bench-")}
    admin, leads = users["bench-admin"], [users[u.username] for u in leads]
    rms = [users[u.username] for u in rms]
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=admin.pk, group_id=groups[Role.ADMINISTRATOR].pk)]
        + [through(user_id=u.pk, group_id=groups[Role.TEAM_LEAD].pk) for u in leads]
        + [through(user_id=u.pk, group_id=groups[Role.RELATIONSHIP_MANAGER].pk) for u in rms])
    teams = Team.objects.bulk_create([Team(name=f"Bench team {t + 1:02d} 团队", lead=lead)
                                      for t, lead in enumerate(leads)])
    members = Team.members.through
    members.objects.bulk_create([members(team_id=teams[i % len(teams)].pk, user_id=rm.pk)
                                 for i, rm in enumerate(rms)])
    team_of = {rm.pk: i % len(teams) for i, rm in enumerate(rms)}
    return {"admin": admin, "leads": leads, "rms": rms, "team_of": team_of}


def _market():
    """Institutions, instruments, prices and FX from the portfolios demo (get-or-create)."""
    from portfolios.demo import FX_TODAY, INSTITUTIONS, INSTRUMENTS, market_data_create
    from portfolios.models import Institution

    instruments = market_data_create(rng=random.Random(7), today=timezone.localdate())
    institutions = {name: Institution.objects.get(name=name).pk for name, _bank in INSTITUTIONS}
    priced = []
    for code, *_rest, price in INSTRUMENTS:
        instrument = instruments[code]
        fx = Decimal("1") if instrument.currency == "CNY" else FX_TODAY[instrument.currency]
        priced.append((instrument.pk, instrument.currency, instrument.asset_class, price or Decimal("1"), fx))
    return priced, institutions


def dataset_build(*, clients: int, log=print, seed: int = 2026) -> dict:
    """Write the data set into this (migrated, client-free) database and its marker; returns counts."""
    shape = Shape(clients)
    rng = random.Random(seed)
    started = time.monotonic()
    today = timezone.localdate()
    now = timezone.now()
    thresholds = aum_tier_thresholds()
    with transaction.atomic():
        staff = staff_create(shape)
        instruments, institutions = _market()
        tags = list(Tag.objects.bulk_create([Tag(name=f"Bench tag {n}") for n in range(8)]))
        bank_ids = [institutions[name] for name in list(institutions)[:3]]
        broker_id = institutions[list(institutions)[3]]
        log(f"  staff, teams and market data ({time.monotonic() - started:.1f}s)")
        from communications.models import ContactLog
        from portfolios import services as portfolio_services
        from portfolios.models import Account, Holding

        rms, admin = staff["rms"], staff["admin"]
        with connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # psycopg's own cursor, for COPY
            ids = {t: _next_id(cursor, t) for t in (
                "crm_client", "crm_assignment", "portfolios_account", "portfolios_holding",
                "communications_contactlog")}
            clients_copy = _Copy(cursor, Client, [
                "kind", "legal_name", "preferred_name", "id_type", "id_number", "birth_date", "phone", "email",
                "industry", "kyc_status", "status", "lifecycle_stage", "primary_manager_id", "aum_total",
                "aum_tier", "risk_level", "risk_level_basis", "risk_assessed_on", "risk_valid_until",
                "created_at", "updated_at", "created_by_id"])
            rows = _client_rows(shape, rng=rng, instruments=instruments, thresholds=thresholds, rms=rms,
                                today=today, now=now, first_id=ids["crm_client"], admin_id=admin.pk)
            holdings_of, manager_of = {}, {}
            with clients_copy as copy:
                for pk, values, manager_id, holdings in rows:
                    copy.row(pk, *values)
                    holdings_of[pk], manager_of[pk] = holdings, manager_id
            log(f"  {clients_copy.count:,} clients ({time.monotonic() - started:.1f}s)")
            members = {}
            for rm in rms:
                members.setdefault(staff["team_of"][rm.pk], []).append(rm.pk)
            with _Copy(cursor, Assignment, ["client_id", "manager_id", "role", "started_at", "reason"]) as copy:
                pk = ids["crm_assignment"]
                for client_id, manager_id in manager_of.items():
                    if manager_id is None:
                        continue
                    copy.row(pk, client_id, manager_id, "primary", now - timedelta(days=400), "bench")
                    pk += 1
                    teammates = [m for m in members[staff["team_of"][manager_id]] if m != manager_id]
                    if teammates and rng.random() < 0.1:  # a backup RM from the same team
                        copy.row(pk, client_id, rng.choice(teammates), "backup", now - timedelta(days=100), "bench")
                        pk += 1
            # One COPY at a time on a connection: the accounts first, then their holdings.
            account_of, account_pk = {}, ids["portfolios_account"]
            with _Copy(cursor, Account, ["client_id", "kind", "institution_id", "account_number", "name",
                                         "currency"]) as accounts:
                for client_id in holdings_of:
                    accounts.row(account_pk, client_id, "deposit", bank_ids[client_id % 3],
                                 f"B{client_id:010d}", "Deposit account", "CNY")
                    accounts.row(account_pk + 1, client_id, "brokerage", broker_id,
                                 f"S{client_id:010d}", "Securities account", "CNY")
                    account_of[client_id] = account_pk
                    account_pk += 2
            with _Copy(cursor, Holding, ["account_id", "instrument_id", "quantity", "cost", "market_value",
                                         "currency", "valuation_date"]) as holdings_copy:
                holding_pk = ids["portfolios_holding"]
                for client_id, holdings in holdings_of.items():
                    for instrument_id, currency, asset_class, quantity, cost, value in holdings:
                        account = account_of[client_id] + (asset_class != "cash")
                        holdings_copy.row(holding_pk, account, instrument_id, quantity, cost, value, currency, today)
                        holding_pk += 1
            log(f"  {accounts.count:,} accounts, {holdings_copy.count:,} holdings ({time.monotonic() - started:.1f}s)")
            channels = list(ContactLog.Channel.values)
            with _Copy(cursor, ContactLog, ["client_id", "channel", "occurred_at", "duration_minutes", "summary",
                                            "outcome", "next_step", "next_step_due_on", "recorded_by_id",
                                            "recorded_at"]) as contacts:
                pk = ids["communications_contactlog"]
                for client_id, manager_id in manager_of.items():
                    for n in range(CONTACTS_PER_CLIENT):
                        when = now - timedelta(days=rng.randrange(1, 720), minutes=rng.randrange(600))
                        follow_up = n == 0 and rng.random() < 0.5
                        contacts.row(pk, client_id, channels[pk % len(channels)], when, rng.choice((10, 20, 30, 45)),
                                     f"Portfolio review call {n + 1} 投资组合回顾", "Client satisfied 客户满意",
                                     "Send the fund factsheet 发送基金资料" if follow_up else "",
                                     today + timedelta(days=rng.randrange(-20, 15)) if follow_up else None,
                                     manager_id or admin.pk, when)
                        pk += 1
            log(f"  {contacts.count:,} contact logs ({time.monotonic() - started:.1f}s)")
            through = Client.tags.through
            through.objects.bulk_create([through(client_id=client_id, tag_id=tags[client_id % len(tags)].pk)
                                         for client_id in manager_of if client_id % 3 == 0], batch_size=5000)
            _sequences_reset(cursor, list(ids))
            # What portfolios' services keep when holdings are added one by one (the book's suitability counts).
            portfolio_services.client_rated_holdings_refresh()
            log(f"  holdings counted by rating per client ({time.monotonic() - started:.1f}s)")
            counts = {"clients": clients_copy.count, "holdings": holdings_copy.count, "contacts": contacts.count}
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (clients integer, holdings integer, "
                           "contacts integer, seconds double precision, built_at timestamptz)")
            cursor.execute(f"DELETE FROM {MARKER_TABLE}")
            cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, %s, %s, now())",
                           [counts["clients"], counts["holdings"], counts["contacts"], time.monotonic() - started])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["seconds"] = time.monotonic() - started
    log(f"  analysed; data set built in {counts['seconds']:.1f}s")
    return counts


def _client_rows(shape: Shape, *, rng, instruments, thresholds, rms, today, now, first_id: int, admin_id: int):
    """(id, column values, primary RM id, holdings) per client; holdings are
    (instrument id, currency, asset class, quantity, cost, market value) and add up to the AUM."""
    hnw, affluent = thresholds[Client.AumTier.HNW], thresholds[Client.AumTier.AFFLUENT]
    ranges = {Client.AumTier.HNW: (hnw, hnw * 6), Client.AumTier.AFFLUENT: (affluent, hnw),
              Client.AumTier.MASS: (Decimal("20000"), affluent)}
    tiers, weights = zip(*_TIER_SHARES)
    cent = Decimal("0.01")
    for index in range(shape.clients):
        pk = first_id + index
        corporate = index % 11 == 5
        if corporate:
            legal_name = f"{rng.choice(_COMPANY_WORDS)}{rng.choice(_COMPANY_WORDS)}有限公司 {index}"
            preferred, id_type, id_number = "", Client.IdType.CREDIT_CODE, demo_credit_code(index)
            born = today - timedelta(days=rng.randrange(1000, 12000))
            mail = f"office{index}"
        else:
            surname, surname_py = rng.choice(_SURNAMES).split()
            given, given_py = rng.choice(_GIVEN).split()
            legal_name, preferred = surname + given, f"{given_py} {surname_py}"
            id_type = Client.IdType.RESIDENT_ID
            id_number, born = demo_resident_id(index)
            mail = f"{given_py}.{surname_py}{index}".lower()
        low, high = ranges[rng.choices(tiers, weights)[0]]
        target = low + (high - low) * Decimal(str(round(rng.random() ** 2, 6)))
        chosen = rng.sample(instruments, min(len(instruments), rng.randint(HOLDINGS_PER_CLIENT - 4,
                                                                           HOLDINGS_PER_CLIENT + 4)))
        shares = [rng.random() + 0.05 for _i in chosen]
        holdings, aum = [], Decimal("0")
        for (instrument_id, currency, asset_class, price, fx), share in zip(chosen, shares):
            value_cny = (target * Decimal(str(round(share / sum(shares), 6)))).quantize(cent)
            value = (value_cny / fx).quantize(cent)
            quantity = (value / price).quantize(Decimal("0.000001"))
            cost = (value * Decimal(str(round(rng.uniform(0.8, 1.15), 4)))).quantize(cent)
            holdings.append((instrument_id, currency, asset_class, quantity, cost, value))
            aum += (value * fx).quantize(cent)
        manager_id = None if rng.random() < 0.02 else rms[index % len(rms)].pk
        risk = rng.random()
        risk_level = f"C{rng.randint(1, 5)}" if risk < 0.8 else ""
        assessed = today - timedelta(days=rng.randrange(30, 500)) if risk_level else None
        stage = rng.choice(_STAGES)
        yield pk, (
            Client.Kind.CORPORATE if corporate else Client.Kind.INDIVIDUAL, legal_name, preferred, id_type,
            id_number, born, f"+86{rng.choice(('139', '138', '158', '186', '136', '150'))}{index:08d}",
            f"{mail}@{rng.choice(_MAIL_DOMAINS)}" if rng.random() < 0.8 else "",
            rng.choice(("Finance 金融", "Manufacturing 制造业", "Technology 信息技术", "Trade 贸易")),
            Client.KycStatus.VERIFIED if stage != "potential" else Client.KycStatus.PENDING,
            Client.Status.ACTIVE, stage, manager_id, aum, aum_tier_for(aum, thresholds),
            risk_level, RiskBasis.RECORDED if risk_level else "", assessed,
            assessed + timedelta(days=365) if assessed else None,
            now - timedelta(days=rng.randrange(1, 2000)), now, admin_id,
        ), manager_id, holdings
