"""factory_boy factories shared by every test module."""

from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from crm.models import Assignment, Client, Household, HouseholdMember, Tag, Team, User
from crm.roles import Role

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@bank.example")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    role = factory.PostGeneration(lambda user, create, extracted, **kw: _grant_role(user, create, extracted))


def _grant_role(user, create, role):
    if create and role:
        user.groups.add(Group.objects.get(name=Role(role).value))
        user.is_staff = role in (Role.ADMINISTRATOR, Role.COMPLIANCE)
    if create:
        user.save()


def _role_default(role):
    return factory.PostGeneration(lambda user, create, extracted, **kw: _grant_role(user, create, extracted or role))


class ManagerFactory(UserFactory):
    role = _role_default(Role.RELATIONSHIP_MANAGER)


class TeamLeadFactory(UserFactory):
    role = _role_default(Role.TEAM_LEAD)


class ComplianceFactory(UserFactory):
    role = _role_default(Role.COMPLIANCE)


class AdministratorFactory(UserFactory):
    role = _role_default(Role.ADMINISTRATOR)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    lead = factory.SubFactory(TeamLeadFactory)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class ClientFactory(factory.django.DjangoModelFactory):
    """A client; pass ``manager=`` to give it an open primary assignment too."""

    class Meta:
        model = Client
        skip_postgeneration_save = True

    kind = Client.Kind.INDIVIDUAL
    legal_name = factory.Faker("name")
    id_type = Client.IdType.PASSPORT
    id_number = factory.Sequence(lambda n: f"E{n:08d}")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    email = factory.Sequence(lambda n: f"client{n}@mail.example")
    aum_total = Decimal("0")
    aum_currency = "CNY"

    @factory.post_generation
    def manager(self, create, extracted, **kwargs):
        if create and extracted:
            Assignment.objects.create(client=self, manager=extracted, role=Assignment.Role.PRIMARY,
                                      started_at=timezone.now())
            self.primary_manager = extracted
            self.save(update_fields=["primary_manager"])


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    client = factory.SubFactory(ClientFactory)
    manager = factory.SubFactory(ManagerFactory)
    role = Assignment.Role.BACKUP


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    name = factory.Sequence(lambda n: f"Household {n}")


class HouseholdMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdMember

    household = factory.SubFactory(HouseholdFactory)
    client = factory.SubFactory(ClientFactory)
    relationship = HouseholdMember.Relationship.SPOUSE


def csv_bytes(rows: list[list], *, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    """An in-memory CSV file of ``rows`` (the first is the header row), for import tests."""
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    """An in-memory Excel workbook with ``rows`` on its first sheet, for import tests."""
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
