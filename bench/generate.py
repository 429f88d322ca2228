"""Invented data at national scale, made by the database itself: `generate(2_000_000)` or
`python bench/generate.py 2000000`.

150 partnerships (the first one ten times the average, 6.7% of the cases, where the benchmark's personas
work: BIG_SHARE), each with
CSC, police, health, education and probation and their people; then referrals over the three years before
`now` with their children and household, strategy discussions, decisions, enquiry plans, actions, every
deadline in every state (open: on track, due soon, overdue; met on time or late; stopped), the alerts
raised, guardian grants to the invited agencies, the case view and list logs, and one history row for
each created record. Each table is filled by one set-based ``INSERT ... SELECT`` over ``generate_series``,
with keys worked out by arithmetic, so nothing goes back and forth per row: 20,000 referrals take a few
seconds, 2 million a quarter of an hour on two cores. Ends with ANALYZE.

Most cases are closed, some 8% are held (enquiries running), a few thousand nationally await their
discussion. Names come from short invented lists: first names, and 500 surnames made of two invented
syllables with four real two-letter ones (Li, Ng, Wu, Ho), Zipf-distributed: the commonest is about 2.3% of
families, most well under 0.2%. Every pairing of first name and surname is invented. The personas' measured
cases are each shown in MEASURED_LOOKS list views besides the two every case is in.

Works on any database of this schema: a test database inside pytest-django (``transaction=True`` tests),
or a plain one from the command line. On PostgreSQL as a superuser, triggers and foreign-key checks are
off while it loads (every key is made consistent by construction), and for large sizes the secondary
indexes are dropped and built again afterwards, exactly as they were.
"""

import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __name__ == "__main__":  # run as a script: set Django up first
    ROOT = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connections, transaction
from django.utils import timezone

from agencies.models import Agency, AgencyType, Partnership, Role, RoleCode, User
from referrals.models import Concern, ConcernCategory

# Whatever the lead's referral search text joins the people's folded names with (referral_search_text_refresh).
SEARCH_SEPARATOR = " | "
SPAN_DAYS = 1096  # three years before `now`
# The first partnership's share of the cases (the personas work there): ten times the average of the benchmark's
# 150 partnerships.
BIG_SHARE = 10 / 150
MEASURED_LOOKS = 300  # list views that showed each of the personas' measured cases (real use makes hundreds)
PERSONA_CASELOAD = 0.5  # the persona social worker's share of their partnership's cases (a heavy caseload)
HELD_SHARE = 0.08  # newest 8% of the cases: discussion held, enquiries running
REBUILD_INDEXES_FROM = 200_000  # referrals; below this, loading into the indexes is quicker than rebuilding them

# People of each agency in every partnership (the same at every size: a larger database has busier people).
STAFF = {
    "social_workers": 30,
    "team_managers": 5,  # each manages six of the social workers
    "police": 8,
    "health": 5,
    "education": 3,
    "probation": 1,
}

SYLLABLES_A = [
    "Brak", "Cand", "Dorr", "Elm", "Fenn", "Gald", "Hask", "Ibb", "Jorv", "Kell",
    "Lunn", "Marr", "Nesb", "Orv", "Pell", "Quorr", "Rask", "Sarn", "Tovv", "Urr",
]  # fmt: skip
SYLLABLES_B = [
    "ell", "ington", "away", "idge", "ock", "ton", "ley", "wick", "ford", "by",
    "stead", "mere", "holt", "den", "worth", "combe", "field", "gate", "well", "bury",
    "shaw", "thorpe", "ridge", "croft", "moor",
]  # fmt: skip
SURNAMES = [a + b for a in SYLLABLES_A for b in SYLLABLES_B]  # 500 invented surnames
# Real-world skew (issue 28): surnames are Zipf-distributed, and a few of the commonest are two letters long, as
# Li, Ng, Wu and Ho are. A surname alone is no personal data; every first name and surname pairing is invented.
SHORT_SURNAMES = ["Li", "Ng", "Wu", "Ho"]
SURNAMES += SHORT_SURNAMES  # appended: the invented ones keep their numbers (the personas' 137 and 241)
# Ranks by frequency: the short surnames 1st, 3rd, 6th and 10th, the invented ones in order between and after.
_RANKED = [len(SURNAMES) - 3, 1, len(SURNAMES) - 2, 2, 3, len(SURNAMES) - 1, 4, 5, 6, len(SURNAMES)] + list(
    range(7, len(SURNAMES) - 3)
)
ZIPF_OFFSET, ZIPF_EXPONENT = 10, 1.0  # Zipf-Mandelbrot: rank r drawn in proportion to 1 / (r + 10)
ZIPF_BUCKETS = 10_000


def _zipf_table() -> list[int]:
    """Surname numbers (1-based) for ZIPF_BUCKETS equal slices of [0, 1): a uniform draw picks a slice, and so a
    surname by its Zipf weight (the commonest about 2.3% of families, the 500th about 0.05%)."""
    weights = [1 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT for rank in range(1, len(_RANKED) + 1)]
    total, table, cumulative, rank = sum(weights), [], 0.0, 0
    for bucket in range(ZIPF_BUCKETS):
        while rank < len(weights) - 1 and cumulative + weights[rank] / total <= (bucket + 0.5) / ZIPF_BUCKETS:
            cumulative += weights[rank] / total
            rank += 1
        table.append(_RANKED[rank])
    return table


ZIPF_SURNAMES = _zipf_table()
CHILD_NAMES = [
    "Ada", "Alfie", "Amara", "Arlo", "Aya", "Bea", "Bodhi", "Cai", "Cleo", "Dara", "Eden", "Elin",
    "Esme", "Ezra", "Fern", "Finn", "Gus", "Hana", "Ines", "Isla", "Ivo", "Jago", "Juno", "Kit",
    "Lark", "Lev", "Lumi", "Mabli", "Milo", "Nell", "Niko", "Noor", "Ode", "Otto", "Pip", "Quin",
    "Remy", "Rhea", "Rio", "Rue", "Sami", "Skye", "Tam", "Tova", "Uma", "Vida", "Wren", "Yara",
]  # fmt: skip
ADULT_NAMES = [
    "Alex", "Bryn", "Carys", "Dev", "Elise", "Femi", "Gwen", "Hal", "Imre", "Jas", "Kerys", "Lorn",
    "Mika", "Nadia", "Osian", "Priya", "Rhys", "Saffi", "Teo", "Vesna",
]  # fmt: skip
NICKNAMES = ["Bo", "Dee", "Jojo", "Kiki", "Lulu", "Mo", "Nini", "Tee", "Zaz"]
CONCERNS = ["neglect", "emotional", "physical", "sexual", "cse", "cce", "extra_familial", "fgm", "honour_based"]
SUMMARIES = [
    "An invented concern: bruising seen at school, explanation inconsistent.",
    "An invented concern: the children were left alone overnight.",
    "An invented concern: a disclosure to a teacher about an adult in the home.",
    "An invented concern: repeated missing episodes and older associates.",
    "An invented concern: domestic abuse incident attended by police, children present.",
    "An invented concern: the home conditions are very poor and the baby is underweight.",
]
# strategy.models.PLAN_ITEMS ("what is shared with the family" is the family summary now, not a plan item).
PLAN_ITEMS = [
    "medical", "abe", "seeing_child", "wishes", "parents", "further_information", "check_consent",
    "medical_consent", "other_children", "social_media", "discharge", "criminal",
]  # fmt: skip
SD_RULE = """CASE r.urgency WHEN 'serious_risk' THEN 'SD_SAME_DAY' WHEN 'forensic' THEN 'SD_SAME_DAY'
    WHEN 'immediate_action' THEN 'SD_IMMEDIATE_ACTION' WHEN 'complex' THEN 'SD_COMPLEX' ELSE 'SD_STANDARD' END"""
SLOTS = 8  # deadline keys per referral: 0 SD, 1 minutes, 2 conference, 3 assessment, 4-6 actions
PEOPLE_SLOTS = 6  # person keys per referral (at most 3 children and 3 household members)


# A column left out of an INSERT that may not be NULL gets the blank of its type (the models' defaults).
BLANKS = {
    "text": "''",
    "character varying": "''",
    "boolean": "false",
    "smallint": "0",
    "integer": "0",
    "bigint": "0",
    "jsonb": "'{}'::jsonb",
    "timestamp with time zone": "%(now)s",
}


def generate(
    referrals: int,
    partnerships: int = 150,
    *,
    using: str = "default",
    now: dt.datetime | None = None,
    history: bool = True,
    rebuild_indexes: bool | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> dict:
    """Fill the database with `referrals` invented cases in `partnerships` partnerships; return the personas.

    `now`: the moment the data is relative to (default: now). Returns the keys of the benchmark's personas,
    all in the first partnership: a CSC social worker with a heavy caseload (half of the partnership's
    cases), their team manager, the head of service, business support, a police officer and a health
    practitioner; a held case with an ended discussion, decisions and actions, a case awaiting its convened
    discussion and a closed case; a surname and a reference to search for; and the rows made per table and
    the seconds it took. `rebuild_indexes`: drop the secondary indexes while loading and build them again
    (default: from 200,000 referrals).
    """
    if partnerships < 2 or referrals < partnerships:
        raise ValueError("generate needs at least two partnerships and a referral for each")
    now = now or timezone.now()
    rebuild = referrals >= REBUILD_INDEXES_FROM if rebuild_indexes is None else rebuild_indexes
    started = time.perf_counter()
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RuntimeError("bench/generate.py makes its rows with PostgreSQL's generate_series: use PostgreSQL")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        gen = _Generator(cursor, referrals=referrals, partnerships=partnerships, now=now, log=log)
        result = gen.run(using, history=history, rebuild=rebuild)
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"  ANALYZE: {time.perf_counter() - step:.1f} s")
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


class _Generator:
    def __init__(self, cursor, *, referrals: int, partnerships: int, now: dt.datetime, log) -> None:
        self.cursor = cursor
        self.log = log
        self.counts: dict[str, int] = {}
        self._columns: dict[str, list[tuple]] = {}
        awaiting = max(0.0025, min(0.02, 3 * partnerships / referrals))  # a few thousand nationally; a few each
        self.params: dict = {
            "now": now,
            "n": referrals,
            "np": partnerships,
            "big": BIG_SHARE,
            "load": PERSONA_CASELOAD,
            "measured_looks": MEASURED_LOOKS,
            "a": awaiting,
            "h": HELD_SHARE,
            "span": SPAN_DAYS * 86400,
            "sep": SEARCH_SEPARATOR,
            "surnames": SURNAMES,
            "zipf": ZIPF_SURNAMES,
            "nz": ZIPF_BUCKETS,
            "child_names": CHILD_NAMES,
            "nc": len(CHILD_NAMES),
            "adult_names": ADULT_NAMES,
            "na": len(ADULT_NAMES),
            "nicknames": NICKNAMES,
            "nn": len(NICKNAMES),
            "concerns": CONCERNS,
            "nk": len(CONCERNS),
            "summaries": SUMMARIES,
            "plan_items": PLAN_ITEMS,
        }

    # --- plumbing ---------------------------------------------------------------------------------------

    def sql(self, statement: str, params: dict | None = None) -> int:
        self.cursor.execute(statement, {**self.params, **(params or {})})
        return self.cursor.rowcount

    def one(self, statement: str, params: dict | None = None):
        self.sql(statement, params)
        return self.cursor.fetchone()

    def columns(self, table: str) -> list[tuple]:
        """(name, type, nullable, generated, identity) of each column, as the database has them now."""
        if table not in self._columns:
            self.cursor.execute(
                "SELECT column_name, data_type, is_nullable = 'YES', is_generated = 'ALWAYS', is_identity = 'YES' "
                "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s "
                "ORDER BY ordinal_position",
                [table],
            )
            self._columns[table] = self.cursor.fetchall()
        return self._columns[table]

    def insert(self, table: str, values: dict[str, str], source: str, params: dict | None = None) -> int:
        """INSERT INTO table SELECT values FROM source: columns the table lacks are skipped (so this runs on the
        schema before and after a migration), generated ones never written, required ones left out blank."""
        names, exprs = [], []
        for name, data_type, nullable, generated, identity in self.columns(table):
            if generated:
                continue
            if name in values:
                expr = values[name]
            elif identity or nullable:
                continue
            elif data_type in BLANKS:
                expr = BLANKS[data_type]
            else:
                raise RuntimeError(f"{table}.{name} ({data_type}) needs a value in bench/generate.py")
            names.append(name)
            exprs.append(expr)
        rows = self.sql(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)} FROM {source}", params)
        self.counts[table] = self.counts.get(table, 0) + rows
        return rows

    def base(self, table: str) -> int:
        return self.one(f"SELECT coalesce(max(id), 0) FROM {table}")[0]

    def timed(self, label: str, work) -> None:
        """Run a step, then ANALYZE the tables it filled: the next steps join them, and statistics taken while they
        were nearly empty (a database that has been used, as the tests' is) would plan those joins as nested loops
        over every row (minutes, not seconds)."""
        start = time.perf_counter()
        before = dict(self.counts)
        work()
        filled = [table for table, rows in self.counts.items() if rows != before.get(table)]
        if filled:
            self.sql(f"ANALYZE {', '.join(filled)}")
        self.log(f"  {label}: {time.perf_counter() - start:.1f} s")

    # --- the run ------------------------------------------------------------------------------------------

    def run(self, using: str, *, history: bool, rebuild: bool) -> dict:
        superuser = self.one("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0]
        if superuser:  # no triggers and no foreign-key checks while loading: every key is consistent by making
            self.sql("SET LOCAL session_replication_role = replica")
        self.sql("SET LOCAL work_mem = '256MB'")
        self.sql("SET LOCAL maintenance_work_mem = '1GB'")
        self.sql(
            "CREATE OR REPLACE FUNCTION pg_temp.rnd(bigint, integer) RETURNS double precision "
            "LANGUAGE sql IMMUTABLE AS 'SELECT (hashint8extended($1, $2) & 2147483647)::float8 / 2147483648'"
        )
        for table, key in [
            ("referrals_referral", "rbase"),
            ("referrals_person", "pbase"),
            ("referrals_deadline", "dbase"),
            ("strategy_discussion", "sbase"),
            ("strategy_invitation", "ibase"),
            ("actions_action", "abase"),
            ("strategy_informationentry", "infobase"),
            ("strategy_childdecision", "decbase"),
            ("strategy_enquiryplanitem", "planbase"),
            ("strategy_childrisk", "riskbase"),
            ("actions_alert", "alertbase"),
            ("referrals_listlook", "lookbase"),
        ]:
            self.params[key] = self.base(table)
        self.timed("partnerships, agencies and people", lambda: self.world(using))
        self.timed("cases planned", self.plan)
        dropped = self.drop_indexes() if rebuild else []
        self.timed("people", self.people)
        self.timed("deadlines", self.deadlines)
        self.timed("referrals", self.referral_rows)
        self.timed("discussions, invitations, grants, information", self.discussions)
        self.timed("decisions, risk analyses and enquiry plans", self.decisions)
        self.timed("actions", self.actions)
        self.timed("alerts and notifications", self.alerts)
        self.timed("case view and list logs", self.looks)
        if history:
            self.timed("history", self.history)
        self.timed("counters and sequences", self.counters)
        if dropped:
            self.timed(f"{len(dropped)} indexes built again", lambda: self.build_indexes(dropped))
        personas = self.personas()
        self.sql("DROP FUNCTION pg_temp.rnd(bigint, integer)")
        if superuser:
            self.sql("SET LOCAL session_replication_role = origin")
        return {**personas, "now": self.params["now"].isoformat(), "rows": self.counts}

    # --- the world: small, through the ORM ------------------------------------------------------------------

    def world(self, using: str) -> None:
        Role.objects.using(using).bulk_create([Role(code=c) for c in RoleCode.values], ignore_conflicts=True)
        Concern.objects.using(using).bulk_create(
            [Concern(code=c) for c in ConcernCategory.values], ignore_conflicts=True
        )
        count = self.params["np"]
        partnerships = Partnership.objects.using(using).bulk_create(
            [Partnership(name=f"Bench Partnership {p:03d}", reference_prefix=_prefix(p)) for p in range(count)]
        )
        kinds = [
            ("csc", "Children's Social Care", AgencyType.CHILDRENS_SOCIAL_CARE),
            ("police", "Police", AgencyType.POLICE),
            ("health", "Health Trust", AgencyType.HEALTH),
            ("education", "Academy", AgencyType.EDUCATION),
            ("probation", "Probation Service", AgencyType.PROBATION),
        ]
        agencies = Agency.objects.using(using).bulk_create(
            [
                Agency(partnership=partnership, name=f"Bench {name} {p:03d}", agency_type=agency_type)
                for p, partnership in enumerate(partnerships)
                for _, name, agency_type in kinds
            ]
        )
        groups = Group.objects.using(using).bulk_create([Group(name=f"agency-{a.pk}") for a in agencies])
        for agency, group in zip(agencies, groups, strict=True):
            agency.group = group
        Agency.objects.using(using).bulk_update(agencies, ["group"])
        by = {(a.partnership_id, kind): a for a, (kind, _, _) in zip(agencies, kinds * count, strict=True)}
        unusable = make_password(None)

        def person(p: int, label: str, k: int, agency: Agency, manager: User | None = None) -> User:
            return User(
                username=f"bench{p:03d}.{label}{k:02d}",
                first_name=ADULT_NAMES[(p + k) % len(ADULT_NAMES)],
                last_name=SURNAMES[(p * 7 + k * 13 + len(label)) % len(SURNAMES)],
                email=f"bench{p:03d}.{label}{k:02d}@example.invalid",
                password=unusable,
                agency=agency,
                line_manager=manager,
                job_title=label,
            )

        first: dict[tuple[int, str], list[User]] = {}
        for p, partnership in enumerate(partnerships):
            csc = by[(partnership.pk, "csc")]
            first[(p, "hos")] = [person(p, "hos", 0, csc)]
            first[(p, "bs")] = [person(p, "bs", 0, csc)]
            for kind, label in [("police", "police"), ("health", "health"), ("education", "school")]:
                first[(p, label)] = [person(p, label, k, by[(partnership.pk, kind)]) for k in range(STAFF[kind])]
            first[(p, "probation")] = [person(p, "probation", 0, by[(partnership.pk, "probation")])]
        User.objects.using(using).bulk_create([u for users in first.values() for u in users])
        managers = {
            p: [person(p, "tm", k, by[(pt.pk, "csc")], first[(p, "hos")][0]) for k in range(STAFF["team_managers"])]
            for p, pt in enumerate(partnerships)
        }
        User.objects.using(using).bulk_create([u for users in managers.values() for u in users])
        workers = {
            p: [
                person(p, "sw", k, by[(pt.pk, "csc")], managers[p][k % STAFF["team_managers"]])
                for k in range(STAFF["social_workers"])
            ]
            for p, pt in enumerate(partnerships)
        }
        User.objects.using(using).bulk_create([u for users in workers.values() for u in users])
        roles = {
            "hos": RoleCode.HEAD_OF_SERVICE,
            "bs": RoleCode.BUSINESS_SUPPORT,
            "police": RoleCode.POLICE_OFFICER,
            "health": RoleCode.HEALTH_PRACTITIONER,
            "school": RoleCode.EDUCATION_DSL,
            "probation": RoleCode.OTHER_PRACTITIONER,
        }
        everyone: list[tuple[User, str]] = [(u, roles[label]) for (_, label), users in first.items() for u in users]
        everyone += [(u, RoleCode.TEAM_MANAGER) for users in managers.values() for u in users]
        everyone += [(u, RoleCode.SOCIAL_WORKER) for users in workers.values() for u in users]
        User.roles.through.objects.using(using).bulk_create(
            [User.roles.through(user_id=u.pk, role_id=code) for u, code in everyone]
        )
        group_of = {a.pk: a.group_id for a in agencies}
        User.groups.through.objects.using(using).bulk_create(
            [User.groups.through(user_id=u.pk, group_id=group_of[u.agency_id]) for u, _ in everyone]
        )
        self.counts["agencies_user"] = len(everyone)
        self.params["perm"] = (
            Permission.objects.using(using).get(content_type__app_label="referrals", codename="view_referral").pk
        )
        self.sql(
            "CREATE TEMP TABLE bench_w (p integer PRIMARY KEY, pid bigint, prefix text, csc bigint, police_a bigint, "
            "health_a bigint, edu_a bigint, police_g integer, health_g integer, hos bigint, bs bigint, "
            "sws bigint[], tms bigint[], pol bigint[], hea bigint[]) ON COMMIT DROP"
        )
        self.cursor.executemany(
            "INSERT INTO bench_w VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    p,
                    pt.pk,
                    pt.reference_prefix,
                    by[(pt.pk, "csc")].pk,
                    by[(pt.pk, "police")].pk,
                    by[(pt.pk, "health")].pk,
                    by[(pt.pk, "education")].pk,
                    by[(pt.pk, "police")].group_id,
                    by[(pt.pk, "health")].group_id,
                    first[(p, "hos")][0].pk,
                    first[(p, "bs")][0].pk,
                    [u.pk for u in workers[p]],
                    [u.pk for u in managers[p]],
                    [u.pk for u in first[(p, "police")]],
                    [u.pk for u in first[(p, "health")]],
                )
                for p, pt in enumerate(partnerships)
            ],
        )

    # --- the plan of every case, in one temporary table --------------------------------------------------------

    def plan(self) -> None:
        """One row per referral with everything its rows are made from: partnership, times, status, people."""
        self.sql(
            """
            CREATE TEMP TABLE bench_r ON COMMIT DROP AS
            WITH s AS (
                SELECT i,
                       CASE WHEN i <= 3 OR pg_temp.rnd(i, 1) < %(big)s THEN 0 ELSE 1 + mod(i, %(np)s - 1) END AS p,
                       (i - 1 + pg_temp.rnd(i, 2)) / %(n)s AS f
                FROM generate_series(1, %(n)s) AS i
            ), t AS (
                SELECT s.*,
                       %(now)s - interval '10 minutes' - CASE
                           WHEN s.f < %(a)s THEN make_interval(secs => s.f / %(a)s * 259200)  -- the last 3 days
                           ELSE make_interval(secs => s.f * %(span)s) END AS received_at,
                       CASE WHEN s.f < %(a)s THEN 'awaiting_discussion'
                            WHEN s.f < %(h)s OR pg_temp.rnd(s.i, 3) < 0.005 THEN 'discussion_held'
                            ELSE 'closed' END AS status,
                       CASE WHEN pg_temp.rnd(s.i, 5) < 0.08 THEN 'serious_risk'
                            WHEN pg_temp.rnd(s.i, 5) < 0.12 THEN 'forensic'
                            WHEN pg_temp.rnd(s.i, 5) < 0.22 THEN 'immediate_action'
                            WHEN pg_temp.rnd(s.i, 5) < 0.27 THEN 'complex'
                            ELSE 'standard' END AS urgency,
                       CASE WHEN s.p = 0 AND pg_temp.rnd(s.i, 14) < %(load)s THEN 1
                            ELSE 1 + floor(pg_temp.rnd(s.i, 15) * 30)::int END AS swk,
                       CASE WHEN s.p = 0 AND pg_temp.rnd(s.i, 16) < 0.34 THEN 1
                            ELSE 1 + floor(pg_temp.rnd(s.i, 17) * 8)::int END AS polk
                FROM s
            ), u AS (
                SELECT t.*,
                       CASE WHEN t.status = 'discussion_held' THEN 'ended'
                            WHEN t.status = 'closed' AND pg_temp.rnd(t.i, 4) < 0.85 THEN 'ended'
                            WHEN t.status = 'awaiting_discussion' AND (t.i = 1 OR pg_temp.rnd(t.i, 4) < 0.5)
                            THEN 'convened'
                            ELSE 'none' END AS disc,
                       CASE WHEN t.urgency IN ('serious_risk', 'forensic') THEN t.received_at + interval '8 hours'
                            ELSE (date_trunc('day', t.received_at AT TIME ZONE 'Europe/London')
                                  + CASE t.urgency WHEN 'immediate_action' THEN interval '1 day 17 hours'
                                                   WHEN 'complex' THEN interval '7 days 17 hours'
                                                   ELSE interval '3 days 17 hours' END) AT TIME ZONE 'Europe/London'
                       END AS sd_due,
                       extract(year FROM t.received_at AT TIME ZONE 'Europe/London')::int AS year
                FROM t
            ), v AS (
                SELECT u.*, u.disc = 'ended' AND pg_temp.rnd(u.i, 11) < 0.25 AS s47,
                       CASE WHEN u.disc = 'ended' THEN least(
                           u.received_at + (u.sd_due - u.received_at) * (0.2 + 0.95 * pg_temp.rnd(u.i, 6)),
                           %(now)s - interval '2 hours') END AS held_at
                FROM u
            )
            SELECT v.i, v.p, w.pid, %(rbase)s + v.i AS rid, v.received_at, v.status, v.urgency, v.disc, v.sd_due,
                   v.held_at, v.held_at + interval '50 minutes' AS ended_at,
                   CASE WHEN v.disc = 'ended' THEN v.held_at
                        ELSE v.received_at + (v.sd_due - v.received_at) * 0.7 END AS scheduled_at,
                   least(v.received_at + interval '1 hour', %(now)s - interval '1 minute') AS disc_created,
                   CASE WHEN v.status <> 'closed' THEN NULL
                        WHEN v.s47 THEN least(v.received_at + interval '1 day' * (72 + 30 * pg_temp.rnd(v.i, 18)),
                                              %(now)s - interval '1 hour')
                        WHEN v.disc = 'ended' THEN v.held_at + interval '1 day' * (45 + 30 * pg_temp.rnd(v.i, 18))
                        ELSE v.received_at + interval '1 day' * (1 + 2 * pg_temp.rnd(v.i, 18)) END AS closed_at,
                   CASE WHEN pg_temp.rnd(v.i, 8) < 0.5 THEN 1 WHEN pg_temp.rnd(v.i, 8) < 0.8 THEN 2 ELSE 3 END
                       AS n_children,
                   floor(pg_temp.rnd(v.i, 9) * 4)::int AS n_house,
                   (%(zipf)s::int[])[1 + floor(pg_temp.rnd(v.i, 10) * %(nz)s)::int] AS surname,
                   v.s47,
                   pg_temp.rnd(v.i, 30) < 0.6 AS conference,
                   CASE WHEN v.disc = 'ended' THEN 1 + floor(pg_temp.rnd(v.i, 12) * 3)::int ELSE 0 END AS n_actions,
                   w.sws[v.swk] AS sw, w.tms[1 + mod(v.swk - 1, 5)] AS tm, w.pol[v.polk] AS police,
                   w.hea[1 + floor(pg_temp.rnd(v.i, 19) * 5)::int] AS health,
                   w.csc, w.police_a, w.health_a, w.edu_a, w.police_g, w.health_g, v.year,
                   row_number() OVER (PARTITION BY v.p ORDER BY v.i) AS k,
                   row_number() OVER (PARTITION BY v.p, v.year ORDER BY v.i DESC) AS number,
                   w.prefix, v.i::bigint AS seed
            FROM v JOIN bench_w w ON w.p = v.p
            """
        )
        self.sql("CREATE INDEX ON bench_r (i)")
        # The personas' cases are the same at every size (their rows are made from a seed of their own, not from
        # their place in the series), so their pages show the same rows: the held one is the social worker's
        # standard-urgency case received 12 days ago, with two children, two household members, a section 47
        # enquiry and three actions (one the police officer's); the newest (convened) has two children and two
        # household members.
        self.sql(
            """UPDATE bench_r r SET sw = w.sws[1], tm = w.tms[1], police = w.pol[1], s47 = true, conference = true,
                   n_actions = 3, n_children = 2, n_house = 2, surname = 137, seed = 1000000007,
                   received_at = c.received_at, sd_due = c.sd_due, held_at = c.held_at, scheduled_at = c.held_at,
                   ended_at = c.held_at + interval '50 minutes', disc_created = c.received_at + interval '1 hour'
            FROM bench_w w, (
                SELECT b.received_at, b.sd_due, b.received_at + (b.sd_due - b.received_at) * 0.6 AS held_at
                FROM (SELECT a.received_at,
                             (date_trunc('day', a.received_at AT TIME ZONE 'Europe/London')
                              + interval '3 days 17 hours') AT TIME ZONE 'Europe/London' AS sd_due
                      FROM (SELECT date_trunc('hour', %(now)s - interval '12 days') AS received_at) a) b
            ) c
            WHERE w.p = 0 AND r.i = (SELECT min(i) FROM bench_r
                                     WHERE p = 0 AND status = 'discussion_held' AND urgency = 'standard')"""
        )
        self.sql("UPDATE bench_r SET n_children = 2, n_house = 2, surname = 241, seed = 1000000009 WHERE i = 1")
        self.sql("ANALYZE bench_r")

    # --- the rows of each table ----------------------------------------------------------------------------------

    def people(self) -> None:
        """1-3 children and 0-3 household members a case, a family surname, a few aliases; search text folded."""
        source = """(
            SELECT y.*, lower(y.fn || ' ' || y.ln || ' ' || y.al) AS st FROM (
                SELECT x.*,
                       CASE WHEN x.unborn THEN ''
                            WHEN x.child
                            THEN (%(child_names)s::text[])[1 + floor(pg_temp.rnd(x.pkey, 22) * %(nc)s)::int]
                            ELSE (%(adult_names)s::text[])[1 + floor(pg_temp.rnd(x.pkey, 22) * %(na)s)::int] END AS fn,
                       CASE WHEN x.pos = x.n_children + 2 AND pg_temp.rnd(x.pkey, 23) < 0.4
                            THEN (%(surnames)s::text[])[
                                (%(zipf)s::int[])[1 + floor(pg_temp.rnd(x.pkey, 24) * %(nz)s)::int]]
                            ELSE (%(surnames)s::text[])[x.surname] END AS ln,
                       CASE WHEN pg_temp.rnd(x.pkey, 25) < 0.05
                            THEN (%(nicknames)s::text[])[1 + floor(pg_temp.rnd(x.pkey, 26) * %(nn)s)::int]
                            ELSE '' END AS al
                FROM (
                    SELECT r.*, q.pos, %(pbase)s + (r.i - 1) * 6 + q.pos AS id, r.seed * 6 + q.pos AS pkey,
                           q.pos <= r.n_children AS child,
                           q.pos = 1 AND pg_temp.rnd(r.seed, 21) < 0.02 AS unborn
                    FROM bench_r r CROSS JOIN LATERAL generate_series(1, r.n_children + r.n_house) AS q(pos)
                ) x
            ) y
        ) z"""
        local_day = "(z.received_at AT TIME ZONE 'Europe/London')::date"
        self.insert(
            "referrals_person",
            {
                "id": "z.id",
                "referral_id": "z.rid",
                "kind": "CASE WHEN z.child THEN 'child' ELSE 'household' END",
                "first_name": "z.fn",
                "last_name": "z.ln",
                "aliases": "z.al",
                "search_text": "z.st",
                "unborn": "z.unborn",
                "expected_date": f"""CASE WHEN z.unborn
                    THEN {local_day} + 30 + floor(pg_temp.rnd(z.pkey, 27) * 150)::int END""",
                "date_of_birth": f"""CASE WHEN z.unborn THEN NULL
                    WHEN z.child THEN {local_day} - (365 * (1 + floor(pg_temp.rnd(z.pkey, 27) * 17))
                                                     + floor(pg_temp.rnd(z.pkey, 28) * 360))::int
                    ELSE {local_day} - (365 * (19 + floor(pg_temp.rnd(z.pkey, 27) * 40)))::int END""",
                "relationship": """CASE WHEN z.pos = 1 THEN 'Subject child' WHEN z.child THEN 'Sibling'
                    WHEN z.pos = z.n_children + 1 THEN 'Parent' WHEN z.pos = z.n_children + 2 THEN 'Parent''s partner'
                    ELSE 'Grandparent' END""",
                "position": "CASE WHEN z.child THEN z.pos - 1 ELSE z.pos - z.n_children - 1 END",
                "first_language": "'English'",
                "education_status": "CASE WHEN z.child AND NOT z.unborn THEN 'on_roll' ELSE '' END",
                "removed_at": """CASE WHEN NOT z.child AND z.status = 'closed' AND pg_temp.rnd(z.pkey, 29) < 0.02
                    THEN z.received_at + interval '1 day' END""",
                "removed_by_id": """CASE WHEN NOT z.child AND z.status = 'closed' AND pg_temp.rnd(z.pkey, 29) < 0.02
                    THEN z.sw END""",
            },
            source,
        )

    def deadlines(self) -> None:
        """Every clock of every case, by slot: a state from when it was met or stopped, or the case closed."""
        slot = "%(dbase)s + (r.i - 1) * 8 + {} + 1"
        child = "%(pbase)s + (r.i - 1) * 6 + 1"
        # An action falls due at 17:00 London time, 3 to 42 days after the meeting (on a case still open, to 102).
        action_due = """(date_trunc('day', r.ended_at AT TIME ZONE 'Europe/London')
            + make_interval(days => 3 + floor(CASE WHEN r.status = 'closed' THEN 40 ELSE 100 END
                                              * pg_temp.rnd(r.seed * 3 + q.k, 40))::int, hours => 17))
            AT TIME ZONE 'Europe/London'"""
        branches = [
            # The strategy discussion: met when the discussion was held (late if after its due moment).
            f"""SELECT {slot.format(0)} AS id, r.pid, r.rid, NULL::bigint AS child_id, {SD_RULE} AS rule,
                r.received_at AS starts_at, r.sd_due AS due_at, r.sw AS responsible_id, r.csc AS agency_id,
                r.held_at AS planned_met, 'Strategy discussion held' AS met_by,
                NULL::timestamptz AS planned_stop, '' AS stop_reason, r.closed_at
            FROM bench_r r""",
            f"""SELECT {slot.format(1)}, r.pid, r.rid, NULL, 'MINUTES_CIRCULATED', r.ended_at,
                r.ended_at + interval '48 hours', r.tm, r.csc,
                r.ended_at + interval '12 hours' + interval '48 hours' * pg_temp.rnd(r.seed, 31), 'Minutes circulated',
                NULL, '', r.closed_at
            FROM bench_r r WHERE r.disc = 'ended'""",
            f"""SELECT {slot.format(2)}, r.pid, r.rid, {child}, 'ICPC', r.held_at, r.held_at + interval '21 days',
                r.sw, r.csc,
                CASE WHEN r.conference THEN r.held_at + interval '1 day' * (17 + 6 * pg_temp.rnd(r.seed, 32)) END,
                'Initial child protection conference held',
                CASE WHEN NOT r.conference THEN r.held_at + interval '10 days' END,
                'No conference needed: the concerns were not substantiated', r.closed_at
            FROM bench_r r WHERE r.s47""",
            f"""SELECT {slot.format(3)}, r.pid, r.rid, {child}, 'ASSESSMENT', r.received_at,
                r.received_at + interval '63 days', r.sw, r.csc,
                r.received_at + interval '1 day' * (45 + 25 * pg_temp.rnd(r.seed, 33)), 'Assessment completed',
                NULL, '', r.closed_at
            FROM bench_r r WHERE r.s47""",
            f"""SELECT %(dbase)s + (r.i - 1) * 8 + 5 + q.k, r.pid, r.rid, NULL, 'ACTION', r.ended_at,
                {action_due},
                CASE q.k WHEN 0 THEN r.sw WHEN 1 THEN r.police ELSE r.health END,
                CASE q.k WHEN 0 THEN r.csc WHEN 1 THEN r.police_a ELSE r.health_a END,
                CASE WHEN pg_temp.rnd(r.seed * 3 + q.k, 41) < CASE WHEN r.status = 'closed' THEN 0.8 ELSE 0.15 END
                     THEN r.ended_at + ({action_due} - r.ended_at)
                          * (0.3 + 0.85 * pg_temp.rnd(r.seed * 3 + q.k, 42)) END,
                'Action done', NULL, '', r.closed_at
            FROM bench_r r CROSS JOIN LATERAL generate_series(0, r.n_actions - 1) AS q(k)""",
        ]
        stated = f"""(
            SELECT e.*, CASE WHEN e.state = 'met' THEN e.planned_met
                             WHEN e.state = 'stopped' THEN least(e.planned_stop, e.closed_at) END AS end_at,
                        CASE WHEN e.state = 'stopped' AND e.planned_stop IS NOT NULL
                                  AND e.planned_stop <= coalesce(e.closed_at, %(now)s) THEN e.stop_reason
                             WHEN e.state = 'stopped' THEN 'Case closed' ELSE '' END AS reason,
                        e.due_at - (e.due_at - e.starts_at) * 0.25 AS due_soon_at,
                        e.due_at + interval '1 day' AS escalate_at
            FROM (
                SELECT d.*,
                       CASE WHEN d.planned_met IS NOT NULL AND d.planned_met <= coalesce(d.closed_at, %(now)s)
                            THEN 'met'
                            WHEN d.planned_stop IS NOT NULL AND d.planned_stop <= coalesce(d.closed_at, %(now)s)
                            THEN 'stopped'
                            WHEN d.closed_at IS NOT NULL THEN 'stopped'
                            ELSE 'open' END AS state
                FROM ({" UNION ALL ".join(branches)}) d
            ) e
        ) g"""
        reached = """CASE WHEN coalesce(g.end_at, %(now)s) >= g.escalate_at THEN 3
            WHEN coalesce(g.end_at, %(now)s) >= g.due_at THEN 2
            WHEN coalesce(g.end_at, %(now)s) >= g.due_soon_at THEN 1 ELSE 0 END"""
        self.insert(
            "referrals_deadline",
            {
                "id": "g.id",
                "partnership_id": "g.pid",
                "referral_id": "g.rid",
                "child_id": "g.child_id",
                "rule": "g.rule",
                "starts_at": "g.starts_at",
                "due_at": "g.due_at",
                "due_soon_at": "g.due_soon_at",
                "escalate_at": "g.escalate_at",
                "responsible_id": "g.responsible_id",
                "agency_id": "g.agency_id",
                "state": "g.state",
                "met_at": "CASE WHEN g.state = 'met' THEN g.end_at END",
                "met_by": "CASE WHEN g.state = 'met' THEN g.met_by ELSE '' END",
                "stopped_at": "CASE WHEN g.state = 'stopped' THEN g.end_at END",
                "stop_reason": "g.reason",
                "original_due_at": "g.due_at",
                "set_by_person": "g.rule = 'ACTION'",
                "times_moved": "0",
                "moved_reason": "''",
                "met_note": "''",
                "paused": "false",
                "alerted_stage": reached,
                "next_alert_at": f"""CASE WHEN g.state <> 'open' THEN NULL ELSE CASE {reached}
                    WHEN 0 THEN g.due_soon_at WHEN 1 THEN g.due_at WHEN 2 THEN g.escalate_at END END""",
            },
            stated,
        )

    def referral_rows(self) -> None:
        referrer = "pg_temp.rnd(r.seed, 34)"  # an agency of the partnership (60%), or a member of the public
        names = """(SELECT referral_id, string_agg(search_text, %(sep)s ORDER BY id) AS st FROM referrals_person
            WHERE id > %(pbase)s AND removed_at IS NULL GROUP BY referral_id) n"""
        self.insert(
            "referrals_referral",
            {
                "id": "r.rid",
                "partnership_id": "r.pid",
                "reference": "r.prefix || '-' || r.year || '-' || lpad(r.number::text, 5, '0')",
                "received_at": "r.received_at",
                "referrer_name": f"""CASE WHEN {referrer} < 0.6 THEN 'Duty desk (invented)'
                    ELSE 'A neighbour (invented)' END""",
                "referrer_agency_id": f"""CASE WHEN {referrer} < 0.2 THEN r.police_a
                    WHEN {referrer} < 0.4 THEN r.health_a WHEN {referrer} < 0.6 THEN r.edu_a END""",
                "referrer_organisation": f"CASE WHEN {referrer} < 0.6 THEN '' ELSE 'Member of the public' END",
                "referrer_contact": "'01632 960000'",
                "concern_summary": "(%(summaries)s::text[])[1 + mod(r.seed, 6)]",
                "urgency": "r.urgency",
                "immediate_action_taken": "r.urgency = 'immediate_action'",
                "immediate_action_agency_id": "CASE WHEN r.urgency = 'immediate_action' THEN r.police_a END",
                "immediate_action_details": """CASE WHEN r.urgency = 'immediate_action'
                    THEN 'Invented: police protection used overnight' ELSE '' END""",
                "allocated_social_worker_id": "r.sw",
                "status": "r.status",
                "created_by_id": "r.sw",
                "created_at": "least(r.received_at + interval '5 minutes', %(now)s)",
                "updated_at": "coalesce(r.closed_at, r.ended_at, least(r.received_at + interval '5 minutes', %(now)s))",
                "closed_at": "r.closed_at",
                "closed_by_id": "CASE WHEN r.closed_at IS NOT NULL THEN r.tm END",
                # Closed after a discussion: one of the outcomes that follow one; without: threshold not met.
                "closure_outcome": """CASE WHEN r.closed_at IS NULL THEN '' WHEN r.disc = 'ended'
                    THEN (ARRAY['s47_completed', 'child_in_need', 'early_help', 'nfa_after_assessment'])
                         [1 + mod(r.seed, 4)]
                    ELSE 'threshold_not_met' END""",
                "closure_reason": "CASE WHEN r.closed_at IS NULL THEN '' ELSE 'Invented reason for closing' END",
                "sd_deadline_id": "%(dbase)s + (r.i - 1) * 8 + 1",
                "version": "CASE r.status WHEN 'closed' THEN 3 WHEN 'discussion_held' THEN 2 ELSE 1 END",
                "sd_due_at": "r.sd_due",
                "search_text": "coalesce(n.st, '')",
            },
            f"bench_r r LEFT JOIN {names} ON n.referral_id = r.rid",
        )
        concern = "(%(concerns)s::text[])[1 + mod(floor(pg_temp.rnd(r.seed, 35) * %(nk)s)::int + {}, %(nk)s)]"
        self.insert(
            "referrals_referral_concerns", {"referral_id": "r.rid", "concern_id": concern.format(0)}, "bench_r r"
        )
        self.insert(
            "referrals_referral_concerns",
            {"referral_id": "r.rid", "concern_id": concern.format(1)},
            "bench_r r WHERE pg_temp.rnd(r.seed, 36) < 0.3",
        )

    def discussions(self) -> None:
        ended = "r.disc = 'ended'"
        self.insert(
            "strategy_discussion",
            {
                "id": "%(sbase)s + r.i",
                "referral_id": "r.rid",
                "trigger": "'new_referral'",
                "concern_identified_at": "r.received_at",
                "urgency": "r.urgency",
                "scheduled_at": "r.scheduled_at",
                "format": """(ARRAY['virtual', 'virtual', 'telephone', 'face_to_face', 'calls'])
                    [1 + floor(pg_temp.rnd(r.seed, 37) * 5)::int]""",
                "chair_id": "r.tm",
                "convened_by_id": "r.sw",
                "reason": "'Invented: to share what each agency knows and decide whether to start enquiries.'",
                "purpose": "'Invented: agree the plan to keep the children safe.'",
                "deadline_id": "%(dbase)s + (r.i - 1) * 8 + 1",
                "status": f"CASE WHEN {ended} THEN 'ended' ELSE 'convened' END",
                "held_at": "r.held_at",
                "ended_at": "r.ended_at",
                "minutes_deadline_id": f"CASE WHEN {ended} THEN %(dbase)s + (r.i - 1) * 8 + 2 END",
                "risk_review": f"CASE WHEN {ended} THEN 'Invented: at the review in four weeks.' ELSE '' END",
                "abandon_reason": "''",
                # What every held discussion records whatever the outcome (issue 24).
                "police_decision": f"CASE WHEN {ended} THEN 'investigate' ELSE '' END",
                "police_decision_maker": f"CASE WHEN {ended} THEN 'Invented Detective Sergeant' ELSE '' END",
                "legal_advice_sought": f"CASE WHEN {ended} THEN false END",
                "protection": f"CASE WHEN {ended} THEN 'none' ELSE '' END",
                "section_versions": "'{}'::jsonb",
                "created_at": "r.disc_created",
            },
            "bench_r r WHERE r.disc <> 'none'",
        )
        self.insert(
            "strategy_discussion_children",
            {"discussion_id": "%(sbase)s + r.i", "person_id": "%(pbase)s + (r.i - 1) * 6 + q.pos"},
            "bench_r r CROSS JOIN LATERAL generate_series(1, r.n_children) AS q(pos) WHERE r.disc <> 'none'",
        )
        pick = "(ARRAY[{}])[q.k]"
        self.insert(
            "strategy_invitation",
            {
                "id": "%(ibase)s + (r.i - 1) * 4 + q.k",
                "discussion_id": "%(sbase)s + r.i",
                "agency_id": pick.format("r.csc, r.csc, r.police_a, r.health_a"),
                "person_id": pick.format("r.tm, r.sw, r.police, r.health"),
                "role": pick.format("'Chair', 'Social worker', 'Police officer', 'Health practitioner'"),
                "proposal": pick.format("'', '', 'police', 'health'"),
                "reason": pick.format(
                    "'Chairs the discussion', 'The case''s social worker', 'Police are always invited', "
                    "'Health are always invited'"
                ),
                "status": "'invited'",
                "attendance": f"""CASE WHEN NOT {ended} THEN 'invited'
                    WHEN q.k > 2 AND pg_temp.rnd(r.seed * 4 + q.k, 38) < 0.08 THEN 'apologies' ELSE 'attended' END""",
                "created_by_id": "r.sw",
                "created_at": "r.disc_created",
            },
            "bench_r r CROSS JOIN generate_series(1, 4) AS q(k) WHERE r.disc <> 'none'",
        )
        self.insert(
            "referrals_referralgroupobjectpermission",
            {
                "content_object_id": "r.rid",
                "group_id": "CASE q.k WHEN 1 THEN r.police_g ELSE r.health_g END",
                "permission_id": "%(perm)s",
            },
            "bench_r r CROSS JOIN generate_series(1, 2) AS q(k) WHERE r.disc <> 'none'",
        )
        self.insert(
            "strategy_informationentry",
            {
                "discussion_id": "%(sbase)s + r.i",
                "agency_id": "CASE q.k WHEN 1 THEN r.police_a ELSE r.health_a END",
                "information": """CASE q.k WHEN 1 THEN 'Invented: two earlier call-outs to the address.'
                    ELSE 'Invented: missed health appointments this year.' END""",
                "checks_done": "CASE q.k WHEN 1 THEN 'Police systems' ELSE 'GP and health visitor records' END",
                "consent": "CASE WHEN pg_temp.rnd(r.seed * 2 + q.k, 39) < 0.7 THEN 'given' ELSE 'not_sought' END",
                "not_for_family": "q.k = 1 AND pg_temp.rnd(r.seed, 39) < 0.2",
                "recorded_by_id": "CASE q.k WHEN 1 THEN r.police ELSE r.health END",
                "recorded_at": "r.held_at + interval '15 minutes'",
            },
            f"bench_r r CROSS JOIN generate_series(1, 2) AS q(k) WHERE {ended}",
        )

    def decisions(self) -> None:
        """A decision and a risk analysis for every child of an ended discussion; a quarter start a section 47
        enquiry."""
        first = "q.pos = 1 AND r.s47"
        other = "pg_temp.rnd(r.seed * 3 + q.pos, 45)"
        icpc = "%(dbase)s + (r.i - 1) * 8 + 3"
        self.insert(
            "strategy_childdecision",
            {
                "discussion_id": "%(sbase)s + r.i",
                "child_id": "%(pbase)s + (r.i - 1) * 6 + q.pos",
                "s47": first,
                "s47_continued": "false",
                "conference_outcome": "''",
                "police_investigation": f"{first} AND pg_temp.rnd(r.seed, 44) < 0.5",
                "icpc": f"{first} AND r.conference",
                "nfa": f"NOT ({first}) AND {other} < 0.35",
                "s17": f"NOT ({first}) AND {other} >= 0.35 AND {other} < 0.75",
                "early_help": f"NOT ({first}) AND {other} >= 0.75",
                "reasoning": "'Invented: the reasoning the meeting gave for this decision.'",
                "investigation_type": f"CASE WHEN {first} THEN 'joint' ELSE '' END",
                "police_decision_maker": f"CASE WHEN {first} THEN 'DS Invented' ELSE '' END",
                "s47_authorised_by_id": f"CASE WHEN {first} THEN r.tm END",
                "s47_authorised_at": f"CASE WHEN {first} THEN r.held_at + interval '40 minutes' END",
                "icpc_deadline_id": f"CASE WHEN {first} THEN {icpc} END",
                "conference_needed": f"""CASE WHEN {first} AND d.state = 'met' THEN true
                    WHEN {first} AND d.state = 'stopped' AND starts_with(d.stop_reason, 'No conference')
                    THEN false END""",
                "no_conference_reason": f"""CASE WHEN {first} AND d.state = 'stopped'
                    AND starts_with(d.stop_reason, 'No conference') THEN 'Invented: concerns not substantiated.'
                    ELSE '' END""",
                "outcome_recorded_by_id": f"CASE WHEN {first} AND d.state <> 'open' THEN r.tm END",
                "outcome_recorded_at": f"""CASE WHEN {first} AND d.state <> 'open'
                    THEN coalesce(d.met_at, d.stopped_at) END""",
            },
            f"""bench_r r CROSS JOIN LATERAL generate_series(1, r.n_children) AS q(pos)
                LEFT JOIN referrals_deadline d ON d.id = {icpc} AND r.s47
                WHERE r.disc = 'ended'""",
        )
        self.insert(
            "strategy_childrisk",
            {
                "discussion_id": "%(sbase)s + r.i",
                "child_id": "%(pbase)s + (r.i - 1) * 6 + q.pos",
                "worry": "'Invented: physical harm if the pattern continues.'",
                "impact": "'Invented: injury and fear.'",
                "factors": "'Invented: a supportive grandparent nearby.'",
                "reduce": "'Invented: a safety plan agreed with the family.'",
                "level": f"CASE WHEN {first} THEN 'high' WHEN {other} < 0.5 THEN 'medium' ELSE 'low' END",
            },
            "bench_r r CROSS JOIN LATERAL generate_series(1, r.n_children) AS q(pos) WHERE r.disc = 'ended'",
        )
        self.insert(
            "strategy_enquiryplanitem",
            {
                "discussion_id": "%(sbase)s + r.i",
                "item": "q.item",
                "answer": "CASE WHEN q.item = 'discharge' THEN '' ELSE 'Invented: agreed at the meeting.' END",
                "not_needed_because": "CASE WHEN q.item = 'discharge' THEN 'The child is not in hospital.' ELSE '' END",
            },
            "bench_r r CROSS JOIN unnest(%(plan_items)s::text[]) AS q(item) WHERE r.s47",
        )

    def actions(self) -> None:
        """1-3 actions an ended discussion (CSC, police, health), their state read from their deadline."""
        self.insert(
            "actions_action",
            {
                "id": "%(abase)s + (r.i - 1) * 3 + q.k + 1",
                "referral_id": "r.rid",
                "child_id": "%(pbase)s + (r.i - 1) * 6 + 1",
                "what": """(ARRAY['Invented: visit the family and see the children alone',
                    'Invented: complete checks on the adults in the household',
                    'Invented: arrange a health assessment'])[q.k + 1]""",
                "measure": "'Invented: recorded on the case file and shared with the chair'",
                "lead_agency_id": "d.agency_id",
                "person_id": "d.responsible_id",
                "due_at": "d.due_at",
                "status": """CASE d.state WHEN 'met' THEN 'done' WHEN 'stopped' THEN 'cancelled'
                    ELSE CASE WHEN pg_temp.rnd(r.seed * 3 + q.k, 43) < 0.35 THEN 'in_progress' ELSE 'open' END END""",
                "finished": "d.state <> 'open'",
                "completion_note": "CASE WHEN d.state = 'met' THEN 'Invented: done and recorded.' ELSE '' END",
                "cancel_reason": "CASE WHEN d.state = 'stopped' THEN d.stop_reason ELSE '' END",
                "deadline_id": "d.id",
                "automatic": "false",
                "created_by_id": "r.tm",
                "created_at": "r.ended_at",
            },
            """bench_r r CROSS JOIN LATERAL generate_series(0, r.n_actions - 1) AS q(k)
                JOIN referrals_deadline d ON d.id = %(dbase)s + (r.i - 1) * 8 + 5 + q.k""",
        )
        # Each action's link to the discussion that agreed it (strategy keeps it, above actions).
        self.insert(
            "strategy_discussionaction",
            {"action_id": "%(abase)s + (r.i - 1) * 3 + q.k + 1", "discussion_id": "%(sbase)s + r.i"},
            "bench_r r CROSS JOIN LATERAL generate_series(0, r.n_actions - 1) AS q(k)",
        )

    def alerts(self) -> None:
        """The alerts the sweep raised for each stage a deadline reached, each to its responsible person."""
        self.insert(
            "actions_alert",
            {
                "kind": "'deadline'",
                "deadline_id": "d.id",
                "stage": "q.stage",
                "due_at": "d.due_at",
                "raised_at": "CASE q.stage WHEN 1 THEN d.due_soon_at WHEN 2 THEN d.due_at ELSE d.escalate_at END",
            },
            """referrals_deadline d CROSS JOIN LATERAL generate_series(1, d.alerted_stage) AS q(stage)
                WHERE d.id > %(dbase)s""",
        )
        self.insert(
            "actions_notification",
            {
                "alert_id": "a.id",
                "user_id": "d.responsible_id",
                "read_at": """CASE WHEN a.raised_at < %(now)s - interval '3 days' THEN a.raised_at + interval '2 hours'
                    WHEN pg_temp.rnd(a.id, 46) < 0.3 THEN least(a.raised_at + interval '1 hour', %(now)s) END""",
                "emailed_at": "a.raised_at + interval '1 minute'",
            },
            """actions_alert a JOIN referrals_deadline d ON d.id = a.deadline_id
                WHERE a.id > %(alertbase)s AND d.responsible_id IS NOT NULL""",
        )

    def looks(self) -> None:
        """Who looked at each case (its social worker, the chair, the police officer) and the lists that showed
        it: each referral is in two lists of 25 of its partnership's cases."""
        views = """(
            SELECT r.sw AS user_id, r.rid, 'referral detail' AS page,
                   least(r.received_at + interval '1 hour', %(now)s) AS at FROM bench_r r
            UNION ALL SELECT r.tm, r.rid, 'strategy discussion', r.held_at FROM bench_r r WHERE r.disc = 'ended'
            UNION ALL SELECT r.police, r.rid, 'referral detail', r.held_at - interval '1 hour'
                FROM bench_r r WHERE r.disc = 'ended'
            UNION ALL SELECT r.tm, r.rid, 'referral detail', r.closed_at FROM bench_r r WHERE r.closed_at IS NOT NULL
        ) v"""
        self.insert(
            "referrals_caseview",
            {"user_id": "v.user_id", "referral_id": "v.rid", "page": "v.page", "viewed_at": "v.at"},
            views,
        )
        for offset in (0, 12):
            self.insert(
                "referrals_listlook",
                {
                    "user_id": "l.user_id",
                    "page": "'referral list'",
                    "query": "'sort=deadline'",
                    "referral_ids": "l.ids",
                    "looked_at": "l.at",
                },
                f"""(SELECT min(r.sw) AS user_id, jsonb_agg(r.rid ORDER BY r.rid) AS ids,
                        least(max(r.received_at) + interval '1 hour', %(now)s) AS at
                    FROM bench_r r GROUP BY r.p, (r.k + {offset}) / 25) l""",
            )
        # The measured cases (the held and the awaiting one the benchmark opens) shown in hundreds of lists, as
        # real use shows a case: each list the case with the partnership's first cases (not itself again), a minute
        # apart.
        self.insert(
            "referrals_listlook",
            {
                "user_id": "r.sw",
                "page": "'referral list'",
                "query": "'q=' || q.n",
                "referral_ids": "jsonb_build_array(r.rid) || f.ids",
                "looked_at": "least(r.received_at + interval '1 minute' * q.n, %(now)s)",
            },
            """bench_r r
                CROSS JOIN LATERAL (SELECT jsonb_agg(b.rid ORDER BY b.k) AS ids FROM bench_r b
                    WHERE b.p = 0 AND b.k <= 24 AND b.rid <> r.rid) f
                CROSS JOIN generate_series(1, %(measured_looks)s) AS q(n)
                WHERE r.p = 0 AND (r.seed = 1000000007 OR r.i = 1)""",
        )
        if self.columns("referrals_listedcase"):  # the list log by case (issue 28): a row per case each list showed
            self.insert(
                "referrals_listedcase",
                {"referral_id": "e.value::bigint", "looked_at": "l.looked_at", "look_id": "l.id"},
                """referrals_listlook l CROSS JOIN LATERAL jsonb_array_elements_text(l.referral_ids) AS e(value)
                    WHERE l.id > %(lookbase)s""",
            )

    def history(self) -> None:
        """One "created" history row for each record a case page's history reads (simple-history's tables)."""
        for table, hist, source, when, who, where in [
            ("referrals_referral", "referrals_historicalreferral", "referrals_referral t", "t.created_at",
             "t.created_by_id", "t.id > %(rbase)s"),
            ("referrals_person", "referrals_historicalperson",
             "referrals_person t JOIN referrals_referral o ON o.id = t.referral_id", "o.created_at",
             "o.created_by_id", "t.id > %(pbase)s"),
            ("strategy_discussion", "strategy_historicaldiscussion", "strategy_discussion t", "t.created_at",
             "t.convened_by_id", "t.id > %(sbase)s"),
            ("strategy_invitation", "strategy_historicalinvitation", "strategy_invitation t", "t.created_at",
             "t.created_by_id", "t.id > %(ibase)s"),
            ("strategy_informationentry", "strategy_historicalinformationentry", "strategy_informationentry t",
             "t.recorded_at", "t.recorded_by_id", "t.id > %(infobase)s"),
            ("strategy_childdecision", "strategy_historicalchilddecision",
             "strategy_childdecision t JOIN strategy_discussion o ON o.id = t.discussion_id", "o.ended_at",
             "o.chair_id", "t.id > %(decbase)s"),
            ("strategy_enquiryplanitem", "strategy_historicalenquiryplanitem",
             "strategy_enquiryplanitem t JOIN strategy_discussion o ON o.id = t.discussion_id", "o.ended_at",
             "o.chair_id", "t.id > %(planbase)s"),
            ("strategy_childrisk", "strategy_historicalchildrisk",
             "strategy_childrisk t JOIN strategy_discussion o ON o.id = t.discussion_id", "o.ended_at",
             "o.chair_id", "t.id > %(riskbase)s"),
            ("actions_action", "actions_historicalaction", "actions_action t", "t.created_at", "t.created_by_id",
             "t.id > %(abase)s"),
            ("strategy_discussionaction", "strategy_historicaldiscussionaction",
             "strategy_discussionaction t JOIN actions_action o ON o.id = t.action_id", "o.created_at",
             "o.created_by_id", "t.action_id > %(abase)s"),
        ]:  # fmt: skip
            live = {name for name, _, _, generated, _ in self.columns(table) if not generated}
            values = {
                name: f"t.{name}"
                for name, _, _, _, _ in self.columns(hist)
                if name in live and not name.startswith("history_")
            }
            values |= {
                "history_date": when,
                "history_type": "'+'",
                "history_user_id": who,
                "history_change_reason": "'Invented'",
            }
            self.insert(hist, values, f"{source} WHERE {where}")

    def counters(self) -> None:
        """Reference counters past the numbers given, and each table's key sequence past the keys made."""
        self.sql(
            """INSERT INTO referrals_referencecounter (partnership_id, year, last_number)
            SELECT pid, year, max(number) FROM bench_r GROUP BY pid, year
            ON CONFLICT (partnership_id, year) DO UPDATE
            SET last_number = greatest(referrals_referencecounter.last_number, excluded.last_number)"""
        )
        for table in [
            "referrals_referral",
            "referrals_person",
            "referrals_deadline",
            "strategy_discussion",
            "strategy_invitation",
            "actions_action",
        ]:
            self.sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

    # --- indexes ---------------------------------------------------------------------------------------------------

    def drop_indexes(self) -> list[tuple[str, str]]:
        """The loaded tables' secondary indexes (not those behind a key or unique constraint), dropped."""
        self.sql(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            WHERE c.relnamespace = current_schema()::regnamespace
              AND c.relname = ANY(%(tables)s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
            {"tables": LOADED_TABLES},
        )
        dropped = self.cursor.fetchall()
        for name, _ in dropped:
            self.sql(f"DROP INDEX {name}")
        self.log(f"  {len(dropped)} secondary indexes dropped while loading")
        return dropped

    def build_indexes(self, dropped: list[tuple[str, str]]) -> None:
        for _, definition in dropped:
            self.sql(definition)

    # --- personas ----------------------------------------------------------------------------------------------------

    def personas(self) -> dict:
        world = self.one("SELECT pid, sws[1], tms[1], hos, bs, pol[1], hea[1] FROM bench_w WHERE p = 0")
        partnership, worker, manager, head, support, police, health = world

        def case(where: str) -> tuple | None:
            return self.one(
                f"SELECT rid, i, surname, prefix || '-' || year || '-' || lpad(number::text, 5, '0') "
                f"FROM bench_r WHERE p = 0 AND {where} ORDER BY i LIMIT 1"
            )

        held = case("seed = 1000000007")
        awaiting = case("i = 1")
        closed = case("status = 'closed' AND disc = 'ended'")
        if held is None or awaiting is None or closed is None:
            raise RuntimeError("too few referrals for the personas: generate more")
        rid, i, surname, reference = held
        return {
            "partnership": partnership,
            "social_worker": worker,
            "team_manager": manager,
            "head_of_service": head,
            "business_support": support,
            "police_officer": police,
            "health_practitioner": health,
            "referral": rid,
            "discussion": self.params["sbase"] + i,
            "action": self.params["abase"] + (i - 1) * 3 + 1,
            "awaiting_referral": awaiting[0],
            "awaiting_discussion": self.params["sbase"] + awaiting[1],
            "closed_referral": closed[0],
            "surname": SURNAMES[surname - 1],
            "reference": reference,
        }


LOADED_TABLES = [
    "referrals_referral",
    "referrals_person",
    "referrals_deadline",
    "referrals_referral_concerns",
    "referrals_referralgroupobjectpermission",
    "referrals_caseview",
    "referrals_listlook",
    "referrals_listedcase",
    "strategy_discussion",
    "strategy_discussion_children",
    "strategy_invitation",
    "strategy_informationentry",
    "strategy_childdecision",
    "strategy_enquiryplanitem",
    "strategy_childrisk",
    "actions_action",
    "strategy_discussionaction",
    "actions_alert",
    "actions_notification",
    "referrals_historicalreferral",
    "referrals_historicalperson",
    "strategy_historicaldiscussion",
    "strategy_historicalinvitation",
    "strategy_historicalinformationentry",
    "strategy_historicalchilddecision",
    "strategy_historicalenquiryplanitem",
    "strategy_historicalchildrisk",
    "actions_historicalaction",
    "strategy_historicaldiscussionaction",
]


def _prefix(p: int) -> str:
    """A reference prefix of its own for each partnership: NAAA, NAAB, ..."""
    return "N" + "".join(chr(65 + (p // 26**n) % 26) for n in (2, 1, 0))


def main() -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Fill the database with invented cases (bench/generate.py).")
    parser.add_argument("referrals", type=int)
    parser.add_argument("--partnerships", type=int, default=150)
    parser.add_argument("--no-history", action="store_true", help="leave simple-history's tables empty")
    parser.add_argument(
        "--rebuild-indexes",
        choices=["auto", "yes", "no"],
        default="auto",
        help="drop the secondary indexes while loading and build them again (auto: from 200,000 referrals)",
    )
    args = parser.parse_args()
    print(f"generating {args.referrals:,} referrals in {args.partnerships} partnerships")
    rebuild = {"auto": None, "yes": True, "no": False}[args.rebuild_indexes]
    result = generate(
        args.referrals, args.partnerships, history=not args.no_history, rebuild_indexes=rebuild, log=print
    )
    print(json.dumps(result, indent=2, default=str))
    print(f"done in {result['seconds']} s")


if __name__ == "__main__":
    main()
