"""Demo data: staff with known passwords, two teams and a believable book of clients.

Everything here is safe to run again: staff and teams are looked up by username and
name, and the book only grows to the number of clients asked for (demo clients are
the ones created by the demo administrator). Clients are written in bulk, so
100,000 of them take a few minutes at most on SQLite; the Assignment rows and
``Client.primary_manager`` are written together, one open primary per client.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from .history import history_m2m_snapshot
from .models import Assignment, Client, Household, HouseholdMember, LifecycleTransition, Tag, Team, User
from .normalisers import credit_code_check_character, resident_id_check_digit
from .roles import Role
from .selectors import aum_tier_for, aum_tier_thresholds

# Other apps add their demo records (portfolios, assessments, contacts) to the demo book by
# registering a builder in their AppConfig.ready(); ``demo_data`` calls each in order with
# the new clients' ids, so crm imports none of them.
DemoBuilder = Callable[..., str]  # (*, clients: list[int], rng: random.Random) -> a line for the log


@dataclass(frozen=True)
class DemoStep:
    key: str
    build: DemoBuilder
    order: int = 100


_demo_steps: dict[str, DemoStep] = {}


def demo_step_register(step: DemoStep) -> None:
    _demo_steps[step.key] = step


def demo_steps() -> list[DemoStep]:
    return sorted(_demo_steps.values(), key=lambda step: (step.order, step.key))


DEMO_PASSWORD = "demo-pass-2026"  # documented in the README of the command; demo databases only
DEMO_ADMIN = "demo-admin"


@dataclass(frozen=True)
class DemoStaff:
    username: str
    first_name: str
    last_name: str
    role: Role
    team: str = ""


TEAM_EAST = "Private Banking East 私人银行东区"
TEAM_WEST = "Wealth Management West 财富管理西区"
DEMO_STAFF = [
    DemoStaff(DEMO_ADMIN, "Ada", "Admin", Role.ADMINISTRATOR),
    DemoStaff("demo-compliance", "周敏", "Zhou Min", Role.COMPLIANCE),
    DemoStaff("demo-lead-east", "陈静", "Chen Jing", Role.TEAM_LEAD, TEAM_EAST),
    DemoStaff("demo-lead-west", "Michael", "Brown", Role.TEAM_LEAD, TEAM_WEST),
    DemoStaff("demo-rm-1", "王磊", "Wang Lei", Role.RELATIONSHIP_MANAGER, TEAM_EAST),
    DemoStaff("demo-rm-2", "李娜", "Li Na", Role.RELATIONSHIP_MANAGER, TEAM_EAST),
    DemoStaff("demo-rm-3", "Emily", "Carter", Role.RELATIONSHIP_MANAGER, TEAM_EAST),
    DemoStaff("demo-rm-4", "刘洋", "Liu Yang", Role.RELATIONSHIP_MANAGER, TEAM_WEST),
    DemoStaff("demo-rm-5", "James", "Wilson", Role.RELATIONSHIP_MANAGER, TEAM_WEST),
    DemoStaff("demo-rm-6", "赵丽", "Zhao Li", Role.RELATIONSHIP_MANAGER, TEAM_WEST),
]

DEMO_TAGS = ["VIP", "私人银行 Private banking", "企业主 Business owner", "退休规划 Retirement planning",
             "子女教育 Education", "海外资产 Overseas assets", "新客户 New client", "高频交易 Active trader"]

_SURNAMES = [("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
             ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
             ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
             ("罗", "Luo"), ("高", "Gao"), ("欧阳", "Ouyang"), ("司马", "Sima")]
_GIVEN = [("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("秀英", "Xiuying"), ("敏", "Min"), ("静", "Jing"),
          ("丽", "Li"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"),
          ("艳", "Yan"), ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"),
          ("秀兰", "Xiulan"), ("霞", "Xia"), ("平", "Ping"), ("刚", "Gang"), ("桂英", "Guiying"),
          ("子轩", "Zixuan"), ("浩然", "Haoran"), ("雨桐", "Yutong"), ("思远", "Siyuan"), ("欣怡", "Xinyi")]
_REGIONS = ["110105", "310104", "440305", "330106", "320102", "510104", "420106", "440106"]
_INDUSTRIES = ["Manufacturing 制造业", "Finance 金融", "Information technology 信息技术", "Real estate 房地产",
               "Healthcare 医疗", "Education 教育", "Trade 贸易", "Energy 能源"]
_OCCUPATIONS = ["Entrepreneur 企业家", "Physician 医生", "Engineer 工程师", "Lawyer 律师", "Professor 教授",
                "Executive 高管", "Civil servant 公务员", "Retired 退休", "Designer 设计师"]
_FUNDS = ["Salary 工资收入", "Business income 经营所得", "Inheritance 继承", "Property sale 房产出售",
          "Investment returns 投资收益"]
_MAIL_DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com"]
# Shares of the book per segment; every tier and every lifecycle stage appears.
_TIER_SHARES = [(Client.AumTier.HNW, 6), (Client.AumTier.AFFLUENT, 29), (Client.AumTier.MASS, 65)]
_STAGE_SHARES = [("potential", 10), ("development", 15), ("growth", 25), ("maturity", 35), ("decline", 10),
                 ("termination", 5)]
_BATCH = 2000


def demo_staff_create() -> list[dict]:
    """Create (or reset the passwords of) the demo staff and teams; their credentials, in order."""
    credentials = []
    users = {}
    with transaction.atomic():
        for member in DEMO_STAFF:
            user, created = User.objects.get_or_create(
                username=member.username,
                defaults={"first_name": member.first_name, "last_name": member.last_name,
                          "email": f"{member.username}@bank.example"},
            )
            user.set_password(DEMO_PASSWORD)
            user.is_staff = member.role in (Role.ADMINISTRATOR, Role.COMPLIANCE)
            user.is_superuser = member.role == Role.ADMINISTRATOR
            user.save(update_fields=["password", "is_staff", "is_superuser"])
            user.groups.add(Group.objects.get(name=member.role.value))
            users[member.username] = user
            credentials.append({"username": member.username, "password": DEMO_PASSWORD,
                                "role": str(member.role.label), "name": str(user), "created": created})
        for team_name in (TEAM_EAST, TEAM_WEST):
            lead = next(users[m.username] for m in DEMO_STAFF if m.team == team_name and m.role == Role.TEAM_LEAD)
            team, _created = Team.objects.get_or_create(name=team_name, defaults={"lead": lead})
            rms = [users[m.username] for m in DEMO_STAFF if m.team == team_name and m.role == Role.RELATIONSHIP_MANAGER]
            if set(team.members.all()) != set(rms):
                team.members.set(rms)
    return credentials


def demo_resident_id(index: int) -> tuple[str, date]:
    """A valid, unique resident ID (and its birth date) for the index-th demo individual."""
    born = date(1950, 1, 1) + timedelta(days=(index % 19000) * 7919 % 19000)
    first17 = f"{_REGIONS[index % len(_REGIONS)]}{born:%Y%m%d}{index // 19000 % 1000:03d}"
    return first17 + resident_id_check_digit(first17), born


def demo_credit_code(index: int) -> str:
    """A unique unified social credit code with a valid check character for the index-th demo company."""
    first17 = f"91{_REGIONS[index % len(_REGIONS)]}{index:09d}"
    return first17 + credit_code_check_character(first17)


def _weighted(rng: random.Random, shares):
    return rng.choices([value for value, _w in shares], weights=[w for _v, w in shares])[0]


class _Pools:
    """Faker output generated once and sampled, so a large book does not wait on Faker."""

    def __init__(self, seed: int):
        from faker import Faker

        zh, en = Faker("zh_CN"), Faker("en_US")
        zh.seed_instance(seed)
        en.seed_instance(seed)
        self.addresses_zh = [zh.address().replace("\n", " ") for _i in range(500)]
        self.companies_zh = [zh.company() for _i in range(400)]
        self.first_names_en = [en.first_name() for _i in range(300)]
        self.last_names_en = [en.last_name() for _i in range(300)]
        self.addresses_en = [en.address().replace("\n", ", ") for _i in range(200)]


def _client_build(index: int, rng: random.Random, pools: _Pools, thresholds: dict, admin, now) -> Client:
    corporate = index % 7 == 3
    if corporate:
        legal_name = pools.companies_zh[index % len(pools.companies_zh)]
        id_type, id_number = Client.IdType.CREDIT_CODE, demo_credit_code(index)
        born = date(1990, 1, 1) + timedelta(days=rng.randrange(12000))
        preferred, mail_name = "", f"contact{index}"
    elif index % 9 == 4:
        first, last = rng.choice(pools.first_names_en), rng.choice(pools.last_names_en)
        legal_name, preferred = f"{first} {last}", first
        id_type, id_number = Client.IdType.PASSPORT, f"P{index:08d}"
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(19000))
        mail_name = f"{first}.{last}{index}".lower()
    else:
        (surname, surname_py), (given, given_py) = rng.choice(_SURNAMES), rng.choice(_GIVEN)
        legal_name, preferred = f"{surname}{given}", f"{given_py} {surname_py}"
        id_type = Client.IdType.RESIDENT_ID
        id_number, born = demo_resident_id(index)
        mail_name = f"{given_py}.{surname_py}{index}".lower()
    tier = _weighted(rng, _TIER_SHARES)
    floor = {Client.AumTier.HNW: thresholds[Client.AumTier.HNW],
             Client.AumTier.AFFLUENT: thresholds[Client.AumTier.AFFLUENT], Client.AumTier.MASS: Decimal("0")}[tier]
    ceiling = {Client.AumTier.HNW: floor * 8, Client.AumTier.AFFLUENT: thresholds[Client.AumTier.HNW],
               Client.AumTier.MASS: thresholds[Client.AumTier.AFFLUENT]}[tier]
    aum = (floor + (ceiling - floor) * Decimal(str(rng.random() ** 2))).quantize(Decimal("0.01"))
    stage = _weighted(rng, _STAGE_SHARES)
    kyc_verified = stage not in ("potential",) and rng.random() < 0.9
    return Client(
        kind=Client.Kind.CORPORATE if corporate else Client.Kind.INDIVIDUAL,
        legal_name=legal_name, preferred_name=preferred, id_type=id_type, id_number=id_number, birth_date=born,
        phone=f"+86{rng.choice(['139', '138', '158', '186', '136', '150'])}{index:08d}",
        email=f"{mail_name}@{rng.choice(_MAIL_DOMAINS)}" if rng.random() < 0.8 else "",
        address=(pools.addresses_en if index % 9 == 4 else pools.addresses_zh)[rng.randrange(200)],
        occupation="" if corporate else rng.choice(_OCCUPATIONS),
        industry=rng.choice(_INDUSTRIES),
        income_band=rng.choice(Client.IncomeBand.values),
        source_of_funds=rng.choice(_FUNDS),
        kyc_status=Client.KycStatus.VERIFIED if kyc_verified else Client.KycStatus.PENDING,
        kyc_date=(now.date() - timedelta(days=rng.randrange(700))) if kyc_verified else None,
        investment_preference=rng.choice(Client.InvestmentPreference.values),
        investment_goal=rng.choice(Client.InvestmentGoal.values),
        liquidity_need=rng.choice(Client.LiquidityNeed.values),
        return_expectation=rng.choice(Client.ReturnExpectation.values),
        lifecycle_stage=stage,
        status=Client.Status.INACTIVE if stage == "termination" else Client.Status.ACTIVE,
        aum_total=aum, aum_currency="CNY", aum_tier=aum_tier_for(aum, thresholds),
        created_by=admin, created_at=now - timedelta(days=rng.randrange(1, 2000)),
    )


def demo_book_create(*, clients: int = 300, seed: int = 2026, log=None, history: bool = True) -> list[int]:
    """Grow the demo book to ``clients`` clients; the ids of the clients created now.

    Needs the demo staff (``demo_staff_create``). Households share one RM; about one
    client in twenty is left unassigned and one in ten has a backup RM from the same
    team. ``log`` receives progress lines. ``history=False`` skips simple-history rows.
    """
    log = log or (lambda line: None)
    admin = User.objects.get(username=DEMO_ADMIN)
    existing = Client.objects.filter(created_by=admin).count()
    if existing >= clients:
        log(f"The demo book already holds {existing} clients; nothing to add.")
        return []
    rng = random.Random(seed + existing)
    pools = _Pools(seed)
    thresholds = aum_tier_thresholds()
    now = timezone.now()
    teams = {t.name: list(t.members.order_by("username")) for t in Team.objects.filter(name__in=[TEAM_EAST, TEAM_WEST])}
    rms = [rm for members in teams.values() for rm in members]
    team_of = {rm.pk: members for members in teams.values() for rm in members}
    tags = _tags_ensure()
    created_ids: list[int] = []
    started = time.monotonic()
    for start in range(existing, clients, _BATCH):
        stop = min(start + _BATCH, clients)
        with transaction.atomic():
            created_ids += _batch_create(range(start, stop), rng=rng, pools=pools, thresholds=thresholds, admin=admin,
                                         now=now, rms=rms, team_of=team_of, tags=tags, history=history)
        log(f"  {stop - existing:>7} clients written ({time.monotonic() - started:.1f}s)")
    return created_ids


def _tags_ensure() -> list[Tag]:
    Tag.objects.bulk_create([Tag(name=name) for name in DEMO_TAGS], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=DEMO_TAGS))


def _batch_create(indexes, *, rng, pools, thresholds, admin, now, rms, team_of, tags, history) -> list[int]:
    built = [_client_build(i, rng, pools, thresholds, admin, now) for i in indexes]
    # Households: every tenth individual heads one with the next one or two individuals.
    groups, position = [], 0
    while position < len(built):
        size = 1
        if built[position].kind == Client.Kind.INDIVIDUAL and indexes[position] % 10 == 0:
            size = 1 + sum(1 for c in built[position + 1:position + 3] if c.kind == Client.Kind.INDIVIDUAL)
        groups.append(list(range(position, position + size)))
        position += size
    manager_of = {}
    for group in groups:
        manager = None if rng.random() < 0.05 else rng.choice(rms)
        for position in group:
            manager_of[position] = manager
            built[position].primary_manager = manager
    create = (lambda objs, model: bulk_create_with_history(objs, model, batch_size=500, default_user=admin,
                                                            default_change_reason="Demo data")) if history \
        else (lambda objs, model: model.objects.bulk_create(objs, batch_size=500))
    saved = create(built, Client)
    assignments, transitions = [], []
    for position, client in enumerate(saved):
        manager = manager_of[position]
        if manager is not None:
            assignments.append(Assignment(client=client, manager=manager, role=Assignment.Role.PRIMARY,
                                          started_at=client.created_at, reason="Demo data", assigned_by=admin))
            backups = [rm for rm in team_of[manager.pk] if rm.pk != manager.pk]
            if backups and rng.random() < 0.1:
                assignments.append(Assignment(client=client, manager=rng.choice(backups), role=Assignment.Role.BACKUP,
                                              started_at=client.created_at, reason="Demo data", assigned_by=admin))
        transitions.append(LifecycleTransition(client=client, from_stage="", to_stage=client.lifecycle_stage,
                                               reason="Demo data", changed_by=admin, changed_at=client.created_at))
    create(assignments, Assignment)
    LifecycleTransition.objects.bulk_create(transitions, batch_size=500)
    through = Client.tags.through
    through.objects.bulk_create(
        [through(client_id=c.pk, tag_id=t.pk) for c in saved for t in rng.sample(tags, rng.choice([0, 0, 1, 1, 2]))],
        batch_size=500,
    )
    if history:  # the tags belong to each client's creation row
        history_m2m_snapshot(Client, [c.pk for c in saved])
    households, members = [], []
    for group in (g for g in groups if len(g) > 1):
        head = saved[group[0]]
        surname = head.preferred_name.split()[-1] if head.preferred_name else head.legal_name[:1]
        households.append(Household(name=f"{head.legal_name[:1]}家 · {surname} family", created_at=now))
    households = create(households, Household) if households else []
    relationships = [HouseholdMember.Relationship.HEAD, HouseholdMember.Relationship.SPOUSE,
                     HouseholdMember.Relationship.CHILD]
    for household, group in zip(households, (g for g in groups if len(g) > 1)):
        for relationship, position in zip(relationships, group):
            members.append(HouseholdMember(household=household, client=saved[position], relationship=relationship))
    if members:
        create(members, HouseholdMember)
    return [c.pk for c in saved]
