"""Set-based writes and date arithmetic the ORM lacks, the same on PostgreSQL and SQLite.

``insert_select`` writes the rows of a SELECT (compiled from querysets) in one statement, skipping
those a unique constraint refuses: how the reminder scan writes 100,000 rows without loading them
into Python. ``DaysLater`` and ``MonthsLater`` give dates in SQL exactly as Python's
``timedelta(days=n)`` and ``relativedelta(months=n)`` do (SQLite's ``date()`` alone rolls 31
January + 1 month over to March).
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import DateField, Func, QuerySet


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


class DaysLater(Func):
    """``date + days`` (a whole number of days) as a date."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        return self.as_sqlite(compiler, connection, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._compiled(compiler, connection, "(({day})::date + ({days})::integer)")

    def as_sqlite(self, compiler, connection, **extra_context):
        return self._compiled(compiler, connection, "date({day}, ({days}) || ' days')")

    def _compiled(self, compiler, connection, template):
        day, days = (compiler.compile(expression) for expression in self.get_source_expressions())
        return template.format(day=day[0], days=days[0]), (*day[1], *days[1])


class MonthsLater(Func):
    """The same day ``months`` months later, the month's last day when it is shorter: what
    ``relativedelta(months=n)`` (``communications.selectors.months_later``) gives."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        return self.as_sqlite(compiler, connection, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        (day, day_params), (months, months_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions())
        # PostgreSQL's month arithmetic keeps to the month's end already (31 Jan + 1 month = 28/29 Feb).
        return f"(({day})::date + make_interval(months => ({months})::integer))::date", (*day_params, *months_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        (day, day_params), (months, months_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions())
        # date() rolls a missing day over into the next month (31 Jan + 1 month = 2 or 3 Mar): when
        # the day of the month changed, the month's last day is the day before that month starts.
        later = f"date({day}, '+' || ({months}) || ' months')"
        later_params = (*day_params, *months_params)
        sql = (f"CASE WHEN strftime(%s, {later}) = strftime(%s, {day}) THEN {later} "
               f"ELSE date({later}, 'start of month', '-1 days') END")
        return sql, ("%d", *later_params, "%d", *day_params, *later_params, *later_params)
