"""Set-based inserts for the bulk paths (the client import): the rows of a whole file in a few
statements, not one per row.

``rows_copy`` writes rows given as field values: on PostgreSQL with ``COPY`` (psycopg 3), their
primary keys drawn from the table's sequence first; elsewhere (SQLite, the tests' default) with
``bulk_create``. ``rows_copy_select`` writes rows derived from rows already in the database
(history rows, assignments, lifecycle transitions of new clients) with ``INSERT ... SELECT``,
so they never pass through Python. ``insert_select`` writes the rows of any SELECT (compiled from
querysets with ``sql_of``) in one statement, skipping those a unique constraint refuses: how the
reminder scan writes 100,000 rows without loading them into Python. None sends signals or calls
``save()``, like ``bulk_create``; the caller writes whatever those would have written.
"""

import json
from collections.abc import Sequence

from django.db import connection, connections, models
from django.db.models import QuerySet
from django.utils import timezone

BATCH = 500  # SQLite's limit of 999 parameters a statement bounds the other backends' batches


def json_array(values: Sequence) -> str:
    """``values`` as one JSON text, for ``jsonb_array_elements_text(%s::jsonb)`` on PostgreSQL: Django
    binds parameters on the client, where a list of 100,000 values is quoted one by one as an array
    (seconds), a string at once."""
    return json.dumps(list(values))


class Column(str):
    """A column of the source table, in ``rows_copy_select``'s values (a plain value is a parameter)."""


def _fixed_values(model, named: set[str]) -> dict[str, object]:
    """The value of the columns of ``model`` not in ``named`` (nor the primary key): the default,
    ``now`` for ``auto_now`` fields, else NULL or "" as ``Model()`` would leave them."""
    now = timezone.now()
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in named or field.name in named:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        elif field.empty_strings_allowed:
            value = ""
        else:  # the caller must give it (the database refuses the row otherwise)
            continue
        values[field.attname] = field.get_db_prep_save(value, connection)
    return values


def rows_copy(model, rows: Sequence[dict], *, batch_size: int = BATCH) -> list[int]:
    """Insert one ``model`` row per dict of field values (attribute names: ``client_id``), the fields
    a dict leaves out taking their defaults, and return the new primary keys in the order of ``rows``.

    Nothing is validated: the caller checked the values.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = model._default_manager.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return [obj.pk for obj in created]
    meta = model._meta
    named = list(dict.fromkeys(name for row in rows for name in row))
    fields = [meta.get_field(name) for name in named]
    fixed = _fixed_values(model, set())  # also each named field's value where a row leaves it out
    others = [attname for attname in fixed if attname not in named]
    quote = connection.ops.quote_name
    columns = [meta.pk.column, *(f.column for f in fields), *(meta.get_field(a).column for a in others)]
    other_values = tuple(fixed[attname] for attname in others)
    database = connections[model._default_manager.db]  # not the proxy: it is asked once a value
    # A text field's value goes as it is (what CharField's preparation amounts to for a str).
    as_is = {f.attname for f in fields if type(f).get_db_prep_save is models.Field.get_db_prep_save
             and type(f).get_db_prep_value is models.Field.get_db_prep_value
             and type(f).get_prep_value in (models.CharField.get_prep_value, models.TextField.get_prep_value)}

    plan = [(f.attname, f.attname in as_is, f, fixed.get(f.attname)) for f in fields]
    missing = object()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
        statement = f"COPY {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:  # psycopg's own cursor: Django's has no COPY
            for pk, row in zip(ids, rows):
                values = [pk]
                for attname, plain, field, default in plan:
                    value = row.get(attname, missing)
                    if value is missing:
                        values.append(default)
                    elif plain and type(value) is str:
                        values.append(value)
                    else:
                        values.append(field.get_db_prep_save(value, database))
                copy.write_row((*values, *other_values))
    return ids


def rows_copy_select(model, values: dict[str, object], *, source, ids: Sequence[int],
                     condition: str = "") -> list[int]:
    """``INSERT INTO model (...) SELECT ... FROM source WHERE source.pk IN ids [AND condition]``,
    returning the new primary keys.

    ``values`` maps field attribute names of ``model`` to a ``Column`` of ``source`` or a value
    (the same for every row); the fields left out take their defaults. One statement on
    PostgreSQL (the ids as one array), batches of ``BATCH`` ids elsewhere.
    """
    if not ids:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(source._meta.db_table)
    fixed = _fixed_values(model, set(values))
    columns, selected, params = [], [], []
    for attname, value in values.items():
        field = meta.get_field(attname)
        columns.append(quote(field.column))
        if isinstance(value, Column):
            selected.append(f"{table}.{quote(value)}")
        else:
            selected.append("%s")
            params.append(field.get_db_prep_save(value, connection))
    for attname, value in fixed.items():
        columns.append(quote(meta.get_field(attname).column))
        selected.append("%s")
        params.append(value)
    head = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(selected)} "
            f"FROM {table} WHERE {table}.{quote(source._meta.pk.column)}")
    tail = (f" AND ({condition})" if condition else "") + f" RETURNING {quote(meta.pk.column)}"
    new_ids = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            batches = [(f"{head} IN (SELECT jsonb_array_elements_text(%s::jsonb)::bigint){tail}",
                        [*params, json_array(ids)])]
        else:
            batches = [(f"{head} IN ({', '.join(['%s'] * len(chunk))}){tail}", [*params, *chunk])
                       for chunk in (list(ids[start:start + BATCH]) for start in range(0, len(ids), BATCH))]
        for statement, statement_params in batches:
            cursor.execute(statement, statement_params)
            new_ids += [pk for (pk,) in cursor.fetchall()]
    return new_ids


def sql_of(queryset: QuerySet) -> tuple[str, tuple]:
    """The SQL and parameters of a queryset, to use as a derived table or subquery."""
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def insert_select(model, fields: Sequence[str], select: str, params: Sequence = ()) -> int:
    """``INSERT INTO <model> (<fields>) <select> ON CONFLICT DO NOTHING``: rows a unique constraint
    refuses are skipped, so concurrent or repeated callers insert each row once. Returns how many
    rows were inserted. ``select`` must end with a WHERE or ORDER BY clause (SQLite reads
    ``… FROM t ON CONFLICT`` as a join)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {select} ON CONFLICT DO NOTHING",
                       params)
        return cursor.rowcount
