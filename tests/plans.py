"""What PostgreSQL does for each query of a page: read from its plan (EXPLAIN ANALYZE), not timed.

A page is bounded when every read of a large table is an index range that stops at the page:
no sequential scan of a large table, no node that reads (returns or filters out) more rows than
the page needs, and no sort of more rows than that. A capped count reads up to its cap and no
further (`core.pages.COUNT_CAP`).
"""

import json
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.pages import COUNT_CAP

LARGE_TABLE_ROWS = 2000  # a table with more rows than this may not be read whole
PAGE_ROWS = 200  # what a page may read from one node: a page of 26 and their children, a case's rows
COUNT_ROWS = COUNT_CAP + 1
# A capped count reads up to its cap of matching rows, and what its filters pass over on the way (an invited
# agency's count probes each open case for its grant); index entries alone (a bitmap) up to the cap.
COUNT_READ = 3 * COUNT_ROWS
SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan"}


@dataclass
class QueryPlan:
    sql: str
    plan: dict

    @property
    def is_capped_count(self) -> bool:
        return self.sql.startswith("SELECT COUNT(*) FROM (SELECT") and f"LIMIT {COUNT_ROWS}" in self.sql


def large_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
            "AND reltuples > %s",
            [LARGE_TABLE_ROWS],
        )
        return {name for (name,) in cursor.fetchall()}


def page_plans(client: Client, url: str, params: dict | None = None) -> tuple[int, list[QueryPlan]]:
    """Request the page, then EXPLAIN ANALYZE each SELECT it ran. Returns the status and the plans."""
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url, params or {}).status_code
    plans = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            (raw,) = cursor.fetchone()
        plan = raw if isinstance(raw, list) else json.loads(raw)
        plans.append(QueryPlan(sql=sql, plan=plan[0]))
    return status, plans


def plan_nodes(plan: dict):
    stack = [(plan["Plan"], None)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        stack.extend((child, node) for child in node.get("Plans", []))


def rows_read(node: dict) -> int:
    loops = node.get("Actual Loops", 1) or 1
    return (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops + node.get(
        "Rows Removed by Index Recheck", 0
    )


def explain_text(sql: str) -> str:
    """The plan in PostgreSQL's own words, for a failure message."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql)
        return "\n".join(line for (line,) in cursor.fetchall())


def problems(plans: list[QueryPlan], large: set[str]) -> list[str]:
    """What makes a page's queries grow with the database, in words; empty when each is bounded by its page."""
    found = []
    for query in plans:
        limit = COUNT_READ if query.is_capped_count else PAGE_ROWS
        for node, parent in plan_nodes(query.plan):
            table = node.get("Relation Name", "")
            kind = node["Node Type"]
            where = f"{kind} on {table or node.get('Index Name', '?')} in:\n{query.sql}\n{explain_text(query.sql)}"
            if kind == "Seq Scan" and table in large and rows_read(node) > limit:
                found.append(f"a large table read from its start, {rows_read(node)} rows (at most {limit}): {where}")
            elif kind == "Bitmap Index Scan" and parent and parent["Node Type"] == "BitmapAnd":
                continue  # index entries intersected in memory with another index's: the table read is the AND's
            elif kind == "Bitmap Index Scan" and rows_read(node) > max(limit, COUNT_ROWS):
                found.append(f"{rows_read(node)} index entries read (at most {max(limit, COUNT_ROWS)}): {where}")
            elif kind in SCANS and kind != "Bitmap Index Scan" and table in large and rows_read(node) > limit:
                found.append(f"{rows_read(node)} rows read (at most {limit}): {where}")
            elif kind in {"Sort", "Incremental Sort"} and node.get("Actual Rows", 0) > limit:
                found.append(f"{node['Actual Rows']} rows sorted (at most {limit}): {where}")
    return found
