"""Date arithmetic the ORM lacks, the same on PostgreSQL and SQLite (the set-based writes that use
it are in ``crm.bulk``). ``DaysLater`` and ``MonthsLater`` give dates in SQL exactly as Python's
``timedelta(days=n)`` and ``relativedelta(months=n)`` do (SQLite's ``date()`` alone rolls 31
January + 1 month over to March).
"""

from django.db.models import DateField, Func


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
