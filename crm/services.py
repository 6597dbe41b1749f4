"""Writes to the client registry. Every change of client data goes through here."""

import logging
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, normalisers, selectors
from .history import history_bulk_update, history_m2m_deferred, history_m2m_snapshot, history_note
from .models import (
    Assignment,
    Client,
    ClientListPreference,
    ClientMerge,
    Household,
    HouseholdMember,
    LifecycleTransition,
    RegistrationConflict,
    SavedFilter,
)

logger = logging.getLogger(__name__)


def client_aum_set(*, client: Client, aum_total: Decimal, currency: str) -> Client:
    """Store a client's AUM (base currency) and the tier it falls in under the current thresholds."""
    client.aum_total = aum_total
    client.aum_currency = currency
    client.aum_tier = selectors.aum_tier_for(aum_total)
    client.save(update_fields=["aum_total", "aum_currency", "aum_tier", "updated_at"])
    return client


def client_aum_tiers_refresh(*, batch_size: int = 1000) -> int:
    """Re-tier every client after the thresholds changed; returns how many moved. Safe to run again,
    and to kill: each batch of ``batch_size`` clients commits on its own (logged), and a re-run moves
    only the clients still in the wrong tier."""
    thresholds = selectors.aum_tier_thresholds()
    moved = 0
    for tier in Client.AumTier:
        condition = selectors.aum_tier_condition(tier, thresholds)
        after = 0
        while True:
            with transaction.atomic():
                clients = list(Client.objects.select_for_update().filter(condition, pk__gt=after)
                               .exclude(aum_tier=tier).order_by("pk")[:batch_size])
                if not clients:
                    break
                for client in clients:
                    client.aum_tier = tier
                # Not .update(): the audit trail gets one history row per re-tiered client.
                history_bulk_update(clients, Client, ["aum_tier"], user=None,
                                    reason=_("AUM tier thresholds changed"))
            after = clients[-1].pk
            moved += len(clients)
            logger.info("AUM tiers: %d clients re-tiered so far (now at %s, client id %d)", moved, tier, after)
    return moved


@transaction.atomic
def assignment_transfer(
    *, client: Client, manager, assigned_by, reason: str, role: str = Assignment.Role.PRIMARY
) -> Assignment:
    """Make ``manager`` the client's RM in ``role``: close the open assignment in that role
    (for primary) and open the new one, in one transaction.

    The database refuses a second open primary assignment, so two concurrent
    transfers cannot both succeed.
    """
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the assignment.")})
    now = timezone.now()
    # Lock the client row so concurrent transfers of the same client queue up.
    client = Client.objects.select_for_update().get(pk=client.pk)
    open_assignments = Assignment.objects.filter(client=client, ended_at__isnull=True)
    if role == Assignment.Role.PRIMARY:
        current = open_assignments.filter(role=Assignment.Role.PRIMARY).first()
        if current is not None and current.manager_id == manager.pk:
            raise ValidationError(_("%(manager)s is already the primary RM of %(client)s.") % {
                "manager": manager, "client": client})
        # The open primary ends; a backup who becomes primary stops being backup. Saved one by
        # one (not .update()) so the audit trail records who ended each assignment.
        ending = open_assignments.filter(
            Q(role=Assignment.Role.PRIMARY) | Q(manager=manager, role=Assignment.Role.BACKUP)
        )
        for ended in ending:
            ended.ended_at = now
            history_note(ended, user=assigned_by, reason=reason)
            ended.save(update_fields=["ended_at"])
    elif open_assignments.filter(manager=manager).exists():
        raise ValidationError(_("%(manager)s already serves %(client)s.") % {"manager": manager, "client": client})
    assignment = Assignment(
        client=client, manager=manager, role=role, started_at=now, reason=reason.strip(), assigned_by=assigned_by
    )
    assignment.full_clean()
    history_note(assignment, user=assigned_by, reason=reason)
    assignment.save()
    if role == Assignment.Role.PRIMARY:
        client.primary_manager = manager
        history_note(client, user=assigned_by, reason=reason)
        client.save(update_fields=["primary_manager", "updated_at"])
    return assignment


# Fields a user edits on the client form; the rest (AUM, tier, risk level, RM, lifecycle,
# merge links) move only through their own services.
CLIENT_EDITABLE_FIELDS = (
    "kind", "legal_name", "preferred_name", "id_type", "id_number", "birth_date", "phone", "email", "address",
    "occupation", "industry", "income_band", "source_of_funds", "kyc_status", "kyc_date", "investment_preference",
    "investment_goal", "liquidity_need", "return_expectation", "notes",
)


def _client_fields_check(fields: dict) -> None:
    unknown = set(fields) - set(CLIENT_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable through the client form: {sorted(unknown)}")


# The import cleans its rows with the same normalisers, so a client typed in, imported or sent by
# another app is stored alike and found as a duplicate of the others. Each is idempotent: a value
# normalised already comes back unchanged.
_CLIENT_FIELD_NORMALISERS = {
    "legal_name": normalisers.name_normalise,
    "preferred_name": normalisers.name_normalise,
    "phone": normalisers.phone_normalise,
    "email": normalisers.email_normalise,
}


def client_fields_normalise(*, fields: dict, client: Client | None = None) -> dict:
    """The given client fields with names, phone, e-mail and ID number in their stored form.

    The ID number is read by the rules of its type (the given one, else the client's), and
    re-read when only the type changes. Raises ValidationError keyed by field for values that
    cannot be normalised; fields not given stay absent.
    """
    normalised, errors = dict(fields), {}
    for name, normalise in _CLIENT_FIELD_NORMALISERS.items():
        if name in fields:
            try:
                normalised[name] = normalise(fields[name])
            except ValidationError as error:
                errors[name] = error.error_list
    current = client if client is not None else Client()  # a new client has the model's defaults
    id_type = fields.get("id_type", current.id_type)
    id_number = fields.get("id_number", current.id_number)
    if ("id_number" in fields or "id_type" in fields) and id_number and id_type in Client.IdType.values:
        try:
            normalised["id_number"] = normalisers.id_number_normalise(id_number, id_type=id_type)
        except ValidationError as error:
            errors["id_number"] = error.error_list
    if errors:
        raise ValidationError(errors)
    return normalised


IDENTIFIER_FIELDS = ("id_number", "phone", "email")


def _client_identifiers_check(client: Client) -> None:
    """A client needs an ID number, a phone or an e-mail: a name alone cannot be told from namesakes."""
    if not any(getattr(client, field) for field in IDENTIFIER_FIELDS):
        raise ValidationError({"id_number": _("Give at least one of ID number, phone or e-mail, so the client "
                                              "can be told apart from namesakes.")})


def client_id_document_holder(*, id_type: str, id_number: str, exclude_pk: int | None = None) -> Client | None:
    """The client holding this ID document, if any (merged records keep theirs until moved)."""
    if not id_number:
        return None
    return Client.objects.filter(id_type=id_type, id_number=id_number).exclude(pk=exclude_pk).first()


def registration_conflict_record(*, user, client: Client, source: str) -> RegistrationConflict:
    """Record that ``user`` tried to register ``client``'s ID document again without seeing that
    client, for their team leads and administrators to sort out; one open record per pair."""
    conflict, _created = RegistrationConflict.objects.get_or_create(
        requested_by=user, client=client, resolved_at=None, defaults={"source": source})
    return conflict


def registration_refused_message() -> str:
    """What an RM is told when the ID document belongs to a client they may not see: nothing about
    that client, not even that it exists; the conflict goes to the leads (RegistrationConflict)."""
    return _("This client cannot be registered with this ID document. Your team lead has been told and "
             "will follow up.")


def client_create(*, created_by, primary_manager=None, tags=(), **fields) -> Client:
    """Register a client (fields from CLIENT_EDITABLE_FIELDS, normalised by ``client_fields_normalise``),
    record its first lifecycle stage and, when given, open its primary RM assignment.

    An ID document already registered to a client the user may not see is refused with a message
    that says nothing of that client (``registration_refused_message``), and recorded as a
    ``RegistrationConflict`` (outside the creation's transaction, so the refusal keeps it)."""
    _client_fields_check(fields)
    normalised = client_fields_normalise(fields=fields)
    holder = client_id_document_holder(id_type=normalised.get("id_type", Client.IdType.RESIDENT_ID),
                                       id_number=normalised.get("id_number", ""))
    if holder is not None and created_by is not None and not access.client_may_view(
            user=created_by, client_id=holder.pk):
        registration_conflict_record(user=created_by, client=holder, source=RegistrationConflict.Source.FORM)
        raise ValidationError({"id_number": registration_refused_message()})
    return _client_create(created_by=created_by, primary_manager=primary_manager, tags=tags, fields=normalised)


@transaction.atomic
def _client_create(*, created_by, primary_manager, tags, fields: dict) -> Client:
    client = Client(created_by=created_by, **fields)
    _client_identifiers_check(client)
    client.full_clean()
    client.save()
    if tags:
        with history_m2m_deferred(client):
            client.tags.set(tags)
        history_m2m_snapshot(Client, [client.pk])  # the tags belong to the creation's history row
    LifecycleTransition.objects.create(
        client=client, from_stage="", to_stage=client.lifecycle_stage, reason=_("Client registered"),
        changed_by=created_by,
    )
    if primary_manager is not None:
        assignment_transfer(client=client, manager=primary_manager, assigned_by=created_by,
                            reason=_("Client registered"))
        client.refresh_from_db(fields=["primary_manager"])
    return client


def client_update(*, client: Client, tags=None, updated_by=None, **fields) -> Client:
    """Change a client's editable fields (and tags when given), normalised as ``client_create`` does.
    simple-history records who, via HistoryRequestMiddleware, for changes made in a request.

    An ID document another client holds is refused; when that client is one ``updated_by`` may not
    see, with ``client_create``'s message, which names no one, and recorded as a
    ``RegistrationConflict`` for the leads (outside the update's transaction, so the refusal keeps it)."""
    _client_fields_check(fields)
    fields = client_fields_normalise(fields=fields, client=client)
    holder = client_id_document_holder(id_type=fields.get("id_type", client.id_type),
                                       id_number=fields.get("id_number", client.id_number), exclude_pk=client.pk)
    if holder is not None:
        if updated_by is not None and not access.client_may_view(user=updated_by, client_id=holder.pk):
            registration_conflict_record(user=updated_by, client=holder, source=RegistrationConflict.Source.FORM)
            raise ValidationError({"id_number": registration_refused_message()})
        # Not "already registered": it names no client either.
        raise ValidationError({"id_number": _("This ID document cannot be used for this client; ask your "
                                              "team lead.")})
    return _client_update(client=client, tags=tags, fields=fields)


@transaction.atomic
def _client_update(*, client: Client, tags, fields: dict) -> Client:
    # Every given field is written: a ModelForm may already have set them on this very instance.
    for name, value in fields.items():
        setattr(client, name, value)
    _client_identifiers_check(client)
    client.full_clean()
    if tags is not None:
        with history_m2m_deferred(client):  # recorded by the save below, with the fields, in one row
            client.tags.set(tags)
    if fields or tags is not None:
        client.save(update_fields=[*fields, "updated_at"])
    return client


@transaction.atomic
def lifecycle_transition(*, client: Client, to_stage: str, reason: str, changed_by) -> LifecycleTransition:
    """Move a client to another lifecycle stage if the move is allowed, and record who, when and why.

    Termination is a soft state: the record stays (inactive) and can be re-activated to development.
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason for the change of stage.")})
    client = Client.objects.select_for_update().get(pk=client.pk)
    from_stage = client.lifecycle_stage
    if to_stage not in selectors.LIFECYCLE_TRANSITIONS.get(from_stage, ()):
        raise ValidationError({"to_stage": _("A client cannot move from %(from)s to %(to)s.") % {
            "from": Client.LifecycleStage(from_stage).label,
            "to": Client.LifecycleStage(to_stage).label if to_stage in Client.LifecycleStage.values else to_stage,
        }})
    client.lifecycle_stage = to_stage
    update_fields = ["lifecycle_stage", "updated_at"]
    if to_stage == Client.LifecycleStage.TERMINATION:
        client.status = Client.Status.INACTIVE
        update_fields.append("status")
    elif from_stage == Client.LifecycleStage.TERMINATION and client.status == Client.Status.INACTIVE:
        client.status = Client.Status.ACTIVE
        update_fields.append("status")
    client.save(update_fields=update_fields)
    transition = LifecycleTransition(
        client=client, from_stage=from_stage, to_stage=to_stage, reason=reason.strip(), changed_by=changed_by,
        changed_at=timezone.now(),
    )
    transition.full_clean()
    transition.save()
    return transition


@transaction.atomic
def household_create(
    *, name: str, first_member: Client, relationship: str = HouseholdMember.Relationship.HEAD, notes: str = ""
) -> Household:
    """Open a household around its first member (a household without members is seen by no one)."""
    household = Household(name=name.strip(), notes=notes)
    household.full_clean()
    household.save()
    household_member_add(household=household, client=first_member, relationship=relationship)
    return household


def household_update(*, household: Household, name: str, notes: str = "") -> Household:
    household.name = name.strip()
    household.notes = notes
    household.full_clean()
    household.save(update_fields=["name", "notes"])
    return household


def household_member_add(*, household: Household, client: Client, relationship: str) -> HouseholdMember:
    """Add a client to a household; a client belongs to one household at most."""
    existing = HouseholdMember.objects.filter(client=client).select_related("household").first()
    if existing is not None:
        raise ValidationError({"client": _("%(client)s already belongs to the household %(household)s.") % {
            "client": client, "household": existing.household}})
    member = HouseholdMember(household=household, client=client, relationship=relationship)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def household_member_remove(*, member: HouseholdMember) -> Household | None:
    """Take a client out of its household; the household goes when its last member leaves.

    Returns the household, or None if it was removed with its last member.
    """
    household = member.household
    member.delete()
    if not household.members.exists():
        household.delete()
        return None
    return household


@transaction.atomic
def assignment_handover_bulk(
    *, user, leaving_manager, targets: list, reason: str, client_ids: list | None = None,
    mapping: dict | None = None,
) -> list[Assignment]:
    """Hand a leaving RM's book (all, or the given clients) to one or several RMs in one transaction.

    The plan comes from ``selectors.handover_plan``, so it is the one the user previewed; each
    move goes through ``assignment_transfer``. Any failure leaves every client where it was.
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason for the handover.")})
    targets = list(targets)
    if not targets:
        raise ValidationError({"targets": _("Choose at least one relationship manager to take over.")})
    if any(target.pk == leaving_manager.pk for target in targets):
        raise ValidationError({"targets": _("The leaving relationship manager cannot take over their own clients.")})
    allowed = set(access.manager_list_assignable(user=user).values_list("pk", flat=True))
    if any(target.pk not in allowed for target in targets):
        raise ValidationError({"targets": _("You may only hand clients to relationship managers you supervise.")})
    target_ids = {target.pk for target in targets}
    if any(getattr(chosen, "pk", chosen) not in target_ids for chosen in (mapping or {}).values()):
        raise ValidationError({"targets": _("Each client must go to one of the chosen relationship managers.")})
    plan = selectors.handover_plan(
        user=user, leaving_manager=leaving_manager, targets=targets, client_ids=client_ids, mapping=mapping
    )
    if not plan:
        raise ValidationError(_("There are no clients to hand over."))
    return [
        assignment_transfer(client=client, manager=target, assigned_by=user, reason=reason)
        for client, target in plan
    ]


def saved_filter_save(*, owner, name: str, query_string: str) -> SavedFilter:
    """Save (or overwrite, by name) a client-list filter; the page number is never part of it."""
    query = QueryDict(query_string, mutable=True)
    query.pop("page", None)
    name = name.strip()
    saved = SavedFilter.objects.filter(owner=owner, name=name).first() or SavedFilter(owner=owner, name=name)
    saved.query_string = query.urlencode()
    saved.full_clean()
    saved.save()
    return saved


def saved_filter_delete(*, saved_filter: SavedFilter) -> None:
    saved_filter.delete()


def client_list_columns_save(*, user, columns) -> ClientListPreference:
    """Remember the optional client-list columns the user chose; unknown keys are dropped."""
    chosen = [column for column in selectors.CLIENT_COLUMNS if column in set(columns)]
    preference, _created = ClientListPreference.objects.update_or_create(user=user, defaults={"columns": chosen})
    return preference


def client_recent_push(*, recent_ids, client_id: int) -> list[int]:
    """The recently viewed client ids with ``client_id`` moved to the front, at most
    ``selectors.RECENT_CLIENTS_KEPT`` (kept in the user's session by the view)."""
    ids = [int(pk) for pk in recent_ids or () if str(pk).isdigit() and int(pk) != client_id]
    return [client_id, *ids][:selectors.RECENT_CLIENTS_KEPT]


def client_risk_level_set(*, client: Client, level: str, basis: str, assessed_on, valid_until=None) -> Client:
    """Record the client's current risk level and where it comes from (the risk app calls this when an
    assessment completes; the history row says who, through the request or ``client._change_reason``)."""
    client.risk_level, client.risk_level_basis = level, basis
    client.risk_assessed_on, client.risk_valid_until = assessed_on, valid_until
    client.full_clean(exclude=["tags"], validate_unique=False, validate_constraints=False)
    client.save(update_fields=["risk_level", "risk_level_basis", "risk_assessed_on", "risk_valid_until",
                               "updated_at"])
    return client


# --- Merging duplicate records (去重) ----------------------------------------------------

# Fields a merge chooses between, one choice each; "id_number" carries its id_type along.
# The lifecycle stage is left out: it changes only through recorded transitions.
MERGE_FIELDS = [
    "kind", "legal_name", "preferred_name", "id_number", "birth_date", "phone", "email", "address", "occupation",
    "industry", "income_band", "source_of_funds", "kyc_status", "kyc_date", "investment_preference",
    "investment_goal", "liquidity_need", "return_expectation", "notes",
]
KEEP, TAKE = "existing", "incoming"  # a merge keeps the surviving record's value, or takes the other one


def client_snapshot(client: Client) -> dict:
    """The client's own fields and tags as JSON, for a merge trace."""
    snapshot = {}
    for field in client._meta.concrete_fields:
        value = getattr(client, field.attname)
        snapshot[field.attname] = value.isoformat() if isinstance(value, (date, datetime)) else (
            str(value) if value is not None and not isinstance(value, (int, str, bool)) else value)
    snapshot["tags"] = sorted(client.tags.values_list("name", flat=True)) if client.pk else []
    return snapshot


def merge_value(client: Client, field: str):
    """A client's value of a merge field as the merge pages compare it: dates as ISO text, blanks as ""."""
    value = getattr(client, field)
    if isinstance(value, date):
        return value.isoformat()
    return value or ""


def merge_value_shown(field: str, value) -> str:
    """A value as a merge page shows it: a choice by its label."""
    labels = dict(Client._meta.get_field(field).flatchoices)
    return str(labels.get(value, value))


def client_merge_differences(*, surviving: Client, merged: Client) -> list[dict]:
    """The fields on which two records differ, with the default choice: keep the surviving
    record's non-empty value, take the merged record's value where the survivor has none."""
    rows = []
    for field in MERGE_FIELDS:
        mine, theirs = merge_value(surviving, field), merge_value(merged, field)
        if field == "id_number":
            if not theirs or (mine == theirs and surviving.id_type == merged.id_type):
                continue
            mine = f"{surviving.get_id_type_display()} {mine}" if mine else ""
            theirs = f"{merged.get_id_type_display()} {theirs}"
        elif not theirs or mine == theirs:
            continue
        rows.append({"field": field, "existing": merge_value_shown(field, mine),
                     "incoming": merge_value_shown(field, theirs), "default": KEEP if mine else TAKE})
    return rows


@transaction.atomic
def client_merge(*, surviving: Client, merged: Client, user, field_choices: dict[str, str] | None = None) -> ClientMerge:
    """Merge ``merged`` into ``surviving``, field by field (``"existing"`` keeps the surviving
    value, ``"incoming"`` takes the merged record's); tags are united.

    Both must be records the user may edit. The merged record is kept, with status
    MERGED and ``merged_into`` set; if its ID document moves to the survivor it is
    cleared on the merged record (the snapshot in the ``ClientMerge`` keeps it).
    """
    if not access.may_change_clients(user):
        raise PermissionDenied(_("Only staff who edit clients may import or merge them."))
    if surviving.pk == merged.pk:
        raise ValidationError(_("A client cannot be merged into itself."), code="same")
    locked = {c.pk: c for c in access.client_list_editable(user=user).select_for_update().filter(
        pk__in=[surviving.pk, merged.pk])}
    if len(locked) != 2:
        raise PermissionDenied(_("You may merge only clients you serve."))
    surviving, merged = locked[surviving.pk], locked[merged.pk]
    if Client.Status.MERGED in (surviving.status, merged.status):
        raise ValidationError(_("This record has been merged into another one already."), code="merged")
    differences = client_merge_differences(surviving=surviving, merged=merged)
    choices = {d["field"]: d["default"] for d in differences}
    choices.update({f: c for f, c in (field_choices or {}).items() if f in choices and c in (KEEP, TAKE)})
    surviving_snapshot, merged_snapshot = client_snapshot(surviving), client_snapshot(merged)

    merged.status = Client.Status.MERGED
    merged.merged_into = surviving
    merged_fields = ["status", "merged_into", "updated_at"]
    if choices.get("id_number") == TAKE:
        merged.id_number = ""  # the document moves; two records may not hold it at once
        merged_fields.append("id_number")
    merged._change_reason = (_("Merged into client %(id)d") % {"id": surviving.pk})[:100]
    merged.save(update_fields=merged_fields)

    update_fields = []
    for field, choice in choices.items():
        if choice != TAKE:
            continue
        if field == "id_number":
            surviving.id_type, surviving.id_number = merged_snapshot["id_type"], merged_snapshot["id_number"]
            update_fields += ["id_type", "id_number"]
        else:
            setattr(surviving, field, getattr(merged, field))
            update_fields.append(field)
    surviving.full_clean(exclude=["tags"])
    surviving._change_reason = (_("Merged client %(id)d into this record") % {"id": merged.pk})[:100]
    with history_m2m_deferred(surviving):  # the tags united go into the save's history row
        surviving.tags.add(*merged.tags.all())
    surviving.save(update_fields=[*update_fields, "updated_at"])
    record = ClientMerge(
        surviving_client=surviving, merged_client=merged, surviving_snapshot=surviving_snapshot,
        merged_snapshot=merged_snapshot, field_choices=choices, merged_by=user,
    )
    record.full_clean()
    record.save()
    return record
