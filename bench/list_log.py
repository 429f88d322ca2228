"""Benchmark: the list log, as it was (one row per list, its cases in a GIN-indexed array) and as it is (issue 28:
the list without the GIN index, and a narrow row per case in a plain table keyed (case, moment, list)).

PostgreSQL only (DATABASE_URL=postgres://...; a database you may write to: everything is made in a schema of its
own, `bench_list_log`, dropped at the end). Both designs get the same triggers as the app's tables (the list
stamped by the database's clock; the rows by case checked against their list once per statement), the same
prefilled log (BENCH_LISTS lists of 25 cases out of BENCH_CASES), then:

- *write*: BENCH_WRITES list views of 25 and of 50 cases, each its own transaction with its commit, timed by the
  client (mean and p95 in ms), as `referrals.services.list_look_record` writes them;
- *who has looked*: the newest 51 lists that showed one case, for cases shown in 300, 20,000 and 100,000 lists
  (BENCH_SHOWN), the median of 5 runs of the query with its lists' user (ms), and the rows the plan read.

The result is printed as a section of docs/benchmarks.md and written to var/bench/list-log.md, which
`bench/pages.py` copies into docs/benchmarks.md when it rewrites it.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
CASES = int(os.environ.get("BENCH_CASES", "20000"))
LISTS = int(os.environ.get("BENCH_LISTS", "200000"))
WRITES = int(os.environ.get("BENCH_WRITES", "1000"))
SHOWN = [int(n) for n in os.environ.get("BENCH_SHOWN", "300,20000,100000").split(",")]
SCHEMA = "bench_list_log"

SETUP = f"""
DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
CREATE SCHEMA {SCHEMA};
SET search_path = {SCHEMA};
CREATE FUNCTION stamp() RETURNS trigger AS $$ BEGIN NEW.looked_at := clock_timestamp(); RETURN NEW; END; $$
    LANGUAGE plpgsql;
CREATE TABLE old_look (id bigserial PRIMARY KEY, user_id bigint NOT NULL, page varchar(100) NOT NULL,
    query varchar(500) NOT NULL, referral_ids jsonb NOT NULL, looked_at timestamptz NOT NULL);
CREATE INDEX old_look_by_user ON old_look (user_id, looked_at, id);
CREATE INDEX old_look_cases_gin ON old_look USING gin (referral_ids jsonb_path_ops);
CREATE TRIGGER old_look_stamp BEFORE INSERT ON old_look FOR EACH ROW EXECUTE FUNCTION stamp();
CREATE TABLE new_look (LIKE old_look INCLUDING DEFAULTS);
ALTER TABLE new_look ADD PRIMARY KEY (id);
CREATE SEQUENCE new_look_id OWNED BY new_look.id;
ALTER TABLE new_look ALTER id SET DEFAULT nextval('new_look_id');
CREATE INDEX new_look_by_user ON new_look (user_id, looked_at, id);
CREATE TRIGGER new_look_stamp BEFORE INSERT ON new_look FOR EACH ROW EXECUTE FUNCTION stamp();
CREATE TABLE new_case (referral_id bigint NOT NULL, looked_at timestamptz NOT NULL, look_id bigint NOT NULL,
    PRIMARY KEY (referral_id, looked_at, look_id));
CREATE FUNCTION new_case_check() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM added a LEFT JOIN new_look l ON l.id = a.look_id
               WHERE l.id IS NULL OR l.looked_at <> a.looked_at OR NOT l.referral_ids @> to_jsonb(a.referral_id)) THEN
        RAISE EXCEPTION 'not its list';
    END IF;
    RETURN NULL;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER new_case_check AFTER INSERT ON new_case REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION new_case_check();
"""
if os.environ.get("BENCH_NO_CHECK"):  # to see what the check against the list costs
    SETUP += "DROP TRIGGER new_case_check ON new_case;"

OLD_WRITE = "INSERT INTO old_look (user_id, page, query, referral_ids, looked_at) VALUES (%s, %s, %s, %s::jsonb, now())"
NEW_WRITE = """
    WITH look AS (
        INSERT INTO new_look (user_id, page, query, referral_ids, looked_at)
        VALUES (%s, %s, %s, %s::jsonb, clock_timestamp()) RETURNING id, looked_at
    )
    INSERT INTO new_case (referral_id, looked_at, look_id)
    SELECT shown.id, look.looked_at, look.id FROM look, unnest(%s::bigint[]) AS shown(id)
"""
OLD_READ = """SELECT l.id, l.user_id, l.page, l.query, l.looked_at FROM old_look l
    WHERE l.referral_ids @> %s::jsonb ORDER BY l.looked_at DESC, l.id DESC LIMIT 51"""
NEW_READ = """SELECT c.look_id, l.user_id, l.page, l.query, c.looked_at
    FROM new_case c JOIN new_look l ON l.id = c.look_id
    WHERE c.referral_id = %s ORDER BY c.looked_at DESC, c.look_id DESC LIMIT 51"""


def fill(cursor, shown_case: int, shown: int, lists: int) -> None:
    """`lists` lists of 25 consecutive cases, and `shown` more lists that each show `shown_case`."""
    cursor.execute("SELECT coalesce(max(id), 0) FROM new_look")
    base = cursor.fetchone()[0]
    for table, extra in (("old_look", ""), ("new_look", "")):
        cursor.execute(
            f"""INSERT INTO {table} (user_id, page, query, referral_ids, looked_at)
            SELECT n %% 50, 'referral list', 'sort=deadline',
                (SELECT jsonb_agg(((n * 25 + k) %% {CASES}) + 1 ORDER BY k) FROM generate_series(0, 24) k), now()
            FROM generate_series(1, %s) n{extra}""",  # noqa: S608 (names of this script)
            [lists],
        )
        cursor.execute(
            f"""INSERT INTO {table} (user_id, page, query, referral_ids, looked_at)
            SELECT n %% 50, 'referral list', '', jsonb_build_array(%s, ((n * 7) %% {CASES}) + 1), now()
            FROM generate_series(1, %s) n""",  # noqa: S608 (names of this script)
            [shown_case, shown],
        )
    cursor.execute(
        """INSERT INTO new_case (referral_id, looked_at, look_id)
        SELECT DISTINCT e.value::bigint, l.looked_at, l.id
        FROM new_look l CROSS JOIN LATERAL jsonb_array_elements_text(l.referral_ids) AS e(value)
        WHERE l.id > %s""",
        [base],
    )


def time_writes(connection, size: int) -> dict[str, tuple[float, float, float]]:
    results = {}
    for name in ("old", "new"):
        timings = []
        for n in range(WRITES):
            ids = [((n * 31 + k) % CASES) + 1 for k in range(size)]
            params: list = [n % 50, "referral list", "sort=deadline", json.dumps(ids)]
            if name == "new":
                params.append(ids)
            start = time.perf_counter()
            with connection.transaction(), connection.cursor() as cursor:
                cursor.execute(OLD_WRITE if name == "old" else NEW_WRITE, params)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        results[name] = (statistics.mean(timings), timings[int(len(timings) * 0.95)], timings[-1])
    return results


def time_read(cursor, sql: str, param) -> tuple[float, int]:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        cursor.execute(sql, [param])
        cursor.fetchall()
        runs.append((time.perf_counter() - start) * 1000)
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, [param])
    plan = cursor.fetchone()[0][0]["Plan"]
    return statistics.median(runs), _rows_read(plan)


def _rows_read(node: dict) -> int:
    own = 0
    if "Relation Name" in node and node["Relation Name"] in ("old_look", "new_case"):
        own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
    return own + sum(_rows_read(child) for child in node.get("Plans", []))


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("bench/list_log.py needs a PostgreSQL DATABASE_URL", file=sys.stderr)
        return 2
    lines = [
        "## The list log: writing a list view and reading who has looked (issue 28)",
        "",
        f"`bench/list_log.py`: {LISTS:,} lists of 25 cases (of {CASES:,}) already logged, then the cases below shown "
        f"in more; {WRITES:,} list views written per design, each its own transaction. *Old*: one row per list, "
        "its cases in a GIN-indexed array. *New*: the list without the GIN index, and a row per case in a plain "
        "table keyed (case, moment, list), written in the same statement.",
        "",
    ]
    with psycopg.connect(url, autocommit=True) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW fsync")
            fsync = cursor.fetchone()[0]
            cursor.execute(SETUP)
        reads = []
        for number, shown in enumerate(SHOWN):
            case = CASES + 1 + number  # a case of its own, shown in `shown` lists
            with connection.cursor() as cursor:
                cursor.execute(f"SET search_path = {SCHEMA}")
                fill(cursor, case, shown, LISTS if number == 0 else 0)  # the prefill once
                cursor.execute("VACUUM ANALYZE old_look, new_look, new_case")
                old = time_read(cursor, OLD_READ, json.dumps([case]))
                new = time_read(cursor, NEW_READ, case)
            reads.append((shown, old, new))
        with connection.cursor() as cursor:
            cursor.execute(f"SET search_path = {SCHEMA}")
        writes = {size: time_writes(connection, size) for size in (25, 50)}
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    lines += [
        f"PostgreSQL {version}, fsync {fsync} (with fsync off a commit costs no disk flush: the times are the "
        "database's work, the same for both designs).",
        "",
        "| Write one list view | old: mean / p95 / max ms | new: mean / p95 / max ms |",
        "| --- | ---: | ---: |",
    ]
    for size, result in writes.items():
        old, new = (" / ".join(f"{ms:.2f}" for ms in result[name]) for name in ("old", "new"))
        lines.append(f"| {size} cases | {old} | {new} |")
    lines += [
        "",
        "| Who has looked: the newest 51 lists of a case shown in | old ms (rows read) | new ms (rows read) |",
        "| --- | ---: | ---: |",
    ]
    for shown, (old_ms, old_rows), (new_ms, new_rows) in reads:
        lines.append(f"| {shown:,} lists | {old_ms:.2f} ({old_rows:,}) | {new_ms:.2f} ({new_rows:,}) |")
    lines += [
        "",
        "Reading it: *who has looked* no longer grows with the lists that showed the case (it read every one and "
        "sorted them; now it reads the page from the case's range of the key). Writing a list view costs more "
        "on average (a btree entry per case shown, where the GIN index appended its entries to its pending list), "
        "but no request pays for the GIN index's pending list being merged (the old maximum: a list view that "
        "happened to fill it). On a server with fsync on, both designs add the same commit flush.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "list-log.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
