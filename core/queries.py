"""Query expressions the planner must read a certain way, for pages that stay bounded at national scale."""

from django.db.models import Exists


class ProbedExists(Exists):
    """EXISTS checked row by row through an index on its correlation (e.g. a case's grants by case id).

    PostgreSQL turns a plain EXISTS into a join, and may then read every matching row of the
    inner table to build a hash first: an invited agency's grants on every case it was ever
    invited to, before the first row of a page. An OFFSET in the subquery is a planner fence
    (PostgreSQL neither pulls the subquery up into a join nor hashes it), so each row of the
    page probes the index for its own grant and the page stops when it is full. Other databases
    (SQLite in `make run`) get the plain EXISTS.
    """

    def as_postgresql(self, compiler, connection, template=None, **extra_context):
        sql, params = self.as_sql(compiler, connection, template=template, **extra_context)
        if not sql.startswith("EXISTS(") or not sql.endswith(")"):
            return sql, params  # an empty inner queryset compiles to a constant: nothing to fence
        return f"{sql[:-1]} OFFSET 0)", params
