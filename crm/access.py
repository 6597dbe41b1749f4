"""Who may do what: the one access module.

Every view, form, export, admin action, import and (later) API asks here, never a role
check of its own. Two kinds of answer:

* querysets (``client_list_visible`` / ``client_list_editable``): which clients, so that a
  client someone may not use answers 404 like one that does not exist;
* predicates (``may_…``): whether the user's role allows a kind of action at all.

The rule: an RM sees the clients they are the current primary RM of, or an open backup RM
of; a team lead also sees their teams' clients and clients with no primary RM; compliance
and administrators see everyone. Compliance reads everything and changes nothing.
"""

from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Assignment, Client, Household, HouseholdMember, RegistrationConflict, Team
from .roles import Role, has_role

# ---------------------------------------------------------------------------
# Role predicates: what kind of work the user's role allows
# ---------------------------------------------------------------------------


def may_change_clients(user) -> bool:
    """Register, import, merge and change clients and their assets: RMs, team leads and
    administrators, not compliance. Which clients: ``client_list_editable``."""
    return has_role(user, Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD, Role.ADMINISTRATOR)


def may_import(user) -> bool:
    """Upload and commit client or asset imports."""
    return may_change_clients(user)


def may_read_imports(user) -> bool:
    """See the import history: importers see their own, compliance and administrators all."""
    return may_change_clients(user) or has_role(user, Role.COMPLIANCE)


def may_read_all_imports(user) -> bool:
    return has_role(user, Role.ADMINISTRATOR, Role.COMPLIANCE)


def may_use_team_pages(user) -> bool:
    """Workload, handover and reassignment: team leads and administrators."""
    return has_role(user, Role.TEAM_LEAD, Role.ADMINISTRATOR)


def is_supervisor(user) -> bool:
    """Reads every client (compliance, administrators); lists offer every RM."""
    return has_role(user, Role.ADMINISTRATOR, Role.COMPLIANCE)


def may_read_audit(user) -> bool:
    """The audit trail of every client (search, export, the log of views of sensitive data) and
    Django's admin log: compliance and administrators. A client's own History tab follows
    ``client_get_visible`` instead."""
    return has_role(user, Role.ADMINISTRATOR, Role.COMPLIANCE)


def is_relationship_manager(user) -> bool:
    return has_role(user, Role.RELATIONSHIP_MANAGER)


def serves_clients(user) -> bool:
    """Has a book of clients to work (RMs and team leads): their home page is the Today page."""
    return has_role(user, Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD)


def may_use_admin(user) -> bool:
    """Django admin: administrators, compliance (reading: its permissions are view-only) and the
    data desk (FX rates and prices only: its group holds no other permission).

    The staff flag alone is not enough: an RM or team lead marked staff by mistake would read
    every client there, since admin lists are not narrowed to the clients one serves."""
    return bool(getattr(user, "is_staff", False)) and (is_supervisor(user) or has_role(user, Role.DATA_DESK))


def may_edit_market_data(user) -> bool:
    """Import instrument prices and edit FX rates: administrators and the data desk. A price
    revalues every holder of the instrument in every team, so RMs and team leads may not."""
    return has_role(user, Role.ADMINISTRATOR, Role.DATA_DESK)


def may_see_full_pii(*, user, client) -> bool:
    """Whether ID and phone numbers of this client are shown in full (``crm.masking``), else masked.

    In full for those who need them: the client's own RM (primary or backup), compliance and
    administrators. Masked for a team lead looking at a team member's client (they supervise the
    book, they do not call the client) and for anyone else. No query: an RM (not a lead) only ever
    sees clients they serve, and a lead's own clients are those they are primary RM of.
    """
    if is_supervisor(user):
        return True
    if not serves_clients(user):
        return False
    if client.primary_manager_id is not None and client.primary_manager_id == user.pk:
        return True
    return not has_role(user, Role.TEAM_LEAD)


def require(allowed: bool) -> None:
    """A page the user's role may not use does not exist for them (404, like every other refusal)."""
    if not allowed:
        raise Http404


# ---------------------------------------------------------------------------
# Which clients
# ---------------------------------------------------------------------------


class _InSubquery(Func):
    """``column IN (subquery)`` in a shape an index can serve inside an OR.

    PostgreSQL cannot use an index for ``primary_manager = me OR EXISTS(...)`` or ``... OR id IN
    (SELECT ...)``: either forces a scan of every client (200 ms at 100,000 clients). Written
    ``id = ANY(ARRAY(SELECT ...))`` the subquery runs once (an InitPlan) and each arm of the OR is
    an index scan (a BitmapOr: ~3 ms). The rows are the same; SQLite keeps the plain ``IN``.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, column, queryset):
        super().__init__(column, Subquery(queryset))

    def _parts(self, compiler):
        column, subquery = (compiler.compile(expression) for expression in self.get_source_expressions())
        return column[0], subquery[0], (*column[1], *subquery[1])

    def as_sql(self, compiler, connection, **extra_context):
        column, subquery, params = self._parts(compiler)
        return f"{column} IN {subquery}", params

    def as_postgresql(self, compiler, connection, **extra_context):
        column, subquery, params = self._parts(compiler)
        return f"{column} = ANY(ARRAY{subquery})", params


def _backup_of(user) -> _InSubquery:
    """Clients the user is an open backup RM of."""
    backup = Assignment.objects.filter(manager=user, role=Assignment.Role.BACKUP, ended_at__isnull=True)
    return _InSubquery(F("pk"), backup.order_by().values("client_id"))


def among_clients(clients: QuerySet[Client], *, field: str = "client") -> _InSubquery:
    """A filter on another model's client ``field``: its client is one of ``clients`` (e.g.
    ``client_list_served(user=...)``), in the index-friendly shape above. On PostgreSQL the client
    ids are fetched once (an InitPlan) and the rows are looked up by the ``field`` index, instead
    of the planner walking the other table and probing the client rule per row."""
    return _InSubquery(F(field), clients.order_by().values("pk"))


def client_list_visible(*, user) -> QuerySet[Client]:
    """Every client the user may see; views, form choices, exports and panels all start here."""
    clients = Client.objects.all()
    if is_supervisor(user):
        return clients
    if not has_role(user, Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD):
        return clients.none()
    served = Q(primary_manager=user) | _backup_of(user)
    if has_role(user, Role.TEAM_LEAD):
        team_members = Team.objects.filter(lead=user).values("members")
        served |= _InSubquery(F("primary_manager"), team_members) | Q(primary_manager__isnull=True)
    return clients.filter(served)


def client_list_editable(*, user) -> QuerySet[Client]:
    """The visible clients the user may change: compliance reads everything and edits nothing."""
    if has_role(user, Role.ADMINISTRATOR):
        return Client.objects.all()
    if not has_role(user, Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD):
        return Client.objects.none()
    return client_list_visible(user=user)


def client_list_served(*, user) -> QuerySet[Client]:
    """The user's own work list: visible clients they are the primary or an open backup RM of, and,
    for a team lead, the unassigned clients (theirs to place). Narrower than ``client_list_visible``
    for team leads and supervisors; the Today page and reminders start here."""
    served = Q(primary_manager=user) | _backup_of(user)
    if has_role(user, Role.TEAM_LEAD):
        served |= Q(primary_manager__isnull=True)
    return client_list_visible(user=user).filter(served)


def client_get_visible(*, user, pk: int) -> Client:
    """The client if the user may see it, else 404: another RM's client does not exist for them."""
    return get_object_or_404(client_list_visible(user=user), pk=pk)


def client_get_editable(*, user, pk: int) -> Client:
    return get_object_or_404(client_list_editable(user=user), pk=pk)


def client_may_view(*, user, client_id: int) -> bool:
    return client_list_visible(user=user).filter(pk=client_id).exists()


def client_may_edit(*, user, client_id: int) -> bool:
    """One query; the client page asks it to offer (or not) its edit buttons."""
    return client_list_editable(user=user).filter(pk=client_id).exists()


def client_visible_may_edit(*, user) -> bool:
    """``client_may_edit`` for a client already fetched through ``client_list_visible``, without a
    query: those who may change clients at all may change every client they see (RMs and team
    leads: ``client_list_editable`` is their visible list; administrators: everyone), the others
    none. The client and portfolio pages ask this once and pass it to their panels."""
    return may_change_clients(user)


def client_may_reassign(*, user, client_id: int) -> bool:
    return may_use_team_pages(user) and client_may_edit(user=user, client_id=client_id)


# ---------------------------------------------------------------------------
# Which households
# ---------------------------------------------------------------------------


def household_list_visible(*, user) -> QuerySet[Household]:
    """Households with at least one member the user may see; its page hides the other members."""
    visible = client_list_visible(user=user).values("pk")
    return Household.objects.filter(
        Exists(HouseholdMember.objects.filter(household=OuterRef("pk"), client__in=visible)))


def household_list_editable(*, user) -> QuerySet[Household]:
    """Households the user may rename, annotate and add members to: every member is a client they
    may edit. So a household holding two RMs' clients is changed by neither RM alone, only by
    someone who may edit both (the lead of a team serving both, an administrator)."""
    if has_role(user, Role.ADMINISTRATOR):
        return Household.objects.all()
    editable = client_list_editable(user=user).values("pk")
    members = HouseholdMember.objects.filter(household=OuterRef("pk"))
    return Household.objects.filter(Exists(members.filter(client__in=editable))).exclude(
        Exists(members.exclude(client__in=editable)))


def household_get_visible(*, user, pk: int) -> Household:
    return get_object_or_404(household_list_visible(user=user), pk=pk)


def household_get_editable(*, user, pk: int) -> Household:
    return get_object_or_404(household_list_editable(user=user), pk=pk)


def household_may_edit(*, user, household_id: int) -> bool:
    return household_list_editable(user=user).filter(pk=household_id).exists()


def household_member_list_removable(*, user) -> QuerySet[HouseholdMember]:
    """Memberships the user may end: those of clients they may edit. Taking one's own client out
    of a household does not need the other members: the membership is that client's record, and
    an RM must not be stuck with a client in a household another RM's client shares."""
    return HouseholdMember.objects.filter(client__in=client_list_editable(user=user).values("pk"))


def household_member_get_removable(*, user, household_id: int, pk: int) -> HouseholdMember:
    return get_object_or_404(
        household_member_list_removable(user=user).filter(household_id=household_id).select_related("client"), pk=pk)


def registration_conflict_list_visible(*, user) -> QuerySet[RegistrationConflict]:
    """Open registration conflicts a user sorts out: administrators all; a team lead those tried by a
    member of their teams or touching a client of one (both leads hear of it)."""
    conflicts = RegistrationConflict.objects.filter(resolved_at__isnull=True)
    if has_role(user, Role.ADMINISTRATOR):
        return conflicts
    if not has_role(user, Role.TEAM_LEAD):
        return conflicts.none()
    members = Team.objects.filter(lead=user).values("members")
    return conflicts.filter(Q(requested_by__in=members) | Q(requested_by=user) | Q(client__primary_manager__in=members)
                            | Q(client__primary_manager=user))


def manager_list_assignable(*, user) -> QuerySet:
    """Staff this user may hand clients to: active RMs and team leads, the lead's own team for a lead."""
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.filter(
        is_active=True, groups__name__in=[Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD]
    ).distinct()
    if has_role(user, Role.ADMINISTRATOR):
        return staff
    if has_role(user, Role.TEAM_LEAD):
        return staff.filter(Q(teams__lead=user) | Q(pk=user.pk)).distinct()
    return staff.none()


def manager_list_filterable(*, user) -> QuerySet:
    """Staff offered in list filters by RM: whom the user can see clients of."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if is_supervisor(user):
        return User.objects.filter(groups__name__in=[Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD]).distinct()
    if has_role(user, Role.TEAM_LEAD):
        return User.objects.filter(Q(teams__lead=user) | Q(pk=user.pk)).distinct()
    return User.objects.filter(pk=user.pk)
