"""Pages of a list by keyset: "next" and "previous" from the last row shown, never an OFFSET.

A page of a list sorted by (a, b, id) is the rows after the last one shown:
``WHERE (a, b, id) > (last a, last b, last id) ORDER BY a, b, id LIMIT 26``. With an index on
the filter columns followed by (a, b, id), the database reads 26 index entries whether the list
is the first page of 200 rows or the 5,000th of 2 million. An OFFSET would read and throw away
every row before the page. The count shown above a list is capped for the same reason: counting
stops at ``COUNT_CAP`` + 1 rows and the page says "more than 1,000".

The cursor in the address is the sort key of the row the page starts after (or ends before),
as text; a cursor that does not parse starts the list again rather than failing.
"""

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Field, Model, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.http import QueryDict

PAGE_SIZE = 25
COUNT_CAP = 1000
AFTER, BEFORE = "after", "before"


@dataclass
class KeysetPage:
    """One page of rows, with the links to the pages either side and the (capped) number of rows in the list."""

    rows: list
    count: int
    count_capped: bool
    previous_query: str | None = None
    next_query: str | None = None
    first_query: str | None = None
    extra: dict = field(default_factory=dict)

    def __iter__(self) -> Iterator:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.previous_query or self.next_query)

    @property
    def has_previous(self) -> bool:
        return self.previous_query is not None

    @property
    def has_next(self) -> bool:
        return self.next_query is not None

    @property
    def object_list(self) -> list:
        return self.rows


def count_capped(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows the list has, counting no further than `cap` + 1 (`SELECT COUNT(*) FROM (... LIMIT cap+1)`)."""
    counted = queryset.order_by()[: cap + 1].count()
    return min(counted, cap), counted > cap


class _CursorEncoder(DjangoJSONEncoder):
    """Moments to the microsecond (DjangoJSONEncoder keeps milliseconds: two rows a few microseconds apart would
    share a cursor and a page would repeat or skip rows)."""

    def default(self, o):
        if isinstance(o, dt.datetime):
            return o.isoformat()
        return super().default(o)


def encode_cursor(values: Sequence) -> str:
    text = json.dumps(list(values), cls=_CursorEncoder, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(model: type[Model], keys: Sequence[str], cursor: str) -> tuple | None:
    """The sort key a cursor holds, each value checked by its model field; None if it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    parsed = []
    for key, value in zip(keys, values, strict=True):
        if value is None or isinstance(value, (dict, list)):
            return None
        try:
            python = _field(model, key).to_python(value)
        except (ValidationError, TypeError, ValueError):
            return None
        if isinstance(python, dt.datetime) and python.tzinfo is None:
            return None
        parsed.append(python)
    return tuple(parsed)


def keyset_page(
    queryset: QuerySet,
    *,
    keys: Sequence[str],
    params: QueryDict,
    descending: bool = False,
    size: int = PAGE_SIZE,
    cap: int = COUNT_CAP,
    decorate: Callable[[Any], QuerySet] | None = None,
) -> KeysetPage:
    """The page of `queryset` that `params` asks for ("after" or "before" a cursor), sorted by `keys`.

    `keys` are model fields, never null, ending with a unique one (the id), all sorted the same
    way (`descending` for newest first). The queryset must not be sliced or ordered already.
    Costs two queries: the page (`size` + 1 rows, to know whether there is a next one) and the
    capped count; `decorate` adds joins and prefetches to the page's query only, not to the count.
    """
    model = queryset.model
    columns = Tuple(*[F(key) for key in keys])
    forward = [f"-{key}" if descending else key for key in keys]
    backward = [key if descending else f"-{key}" for key in keys]
    after = decode_cursor(model, keys, params.get(AFTER, "")) if params.get(AFTER) else None
    before = decode_cursor(model, keys, params.get(BEFORE, "")) if params.get(BEFORE) and after is None else None
    count, capped = count_capped(queryset, cap)
    read = decorate(queryset) if decorate else queryset
    if before is not None:
        later = TupleGreaterThan if descending else TupleLessThan
        rows = list(read.filter(later(columns, before)).order_by(*backward)[: size + 1])
        has_previous, has_next = len(rows) > size, True
        rows = rows[:size][::-1]
    else:
        if after is not None:
            later = TupleLessThan if descending else TupleGreaterThan
            read = read.filter(later(columns, after))
        rows = list(read.order_by(*forward)[: size + 1])
        has_previous, has_next = after is not None, len(rows) > size
        rows = rows[:size]
    base = params.copy()
    for name in (AFTER, BEFORE, "page"):
        base.pop(name, None)

    def link(direction: str, row) -> str:
        query = base.copy()
        query[direction] = encode_cursor([getattr(row, _attname(model, key)) for key in keys])
        return query.urlencode()

    return KeysetPage(
        rows=rows,
        count=count,
        count_capped=capped,
        previous_query=link(BEFORE, rows[0]) if has_previous and rows else (base.urlencode() if has_previous else None),
        next_query=link(AFTER, rows[-1]) if has_next and rows else None,
        first_query=base.urlencode(),
    )


def _field(model: type[Model], key: str) -> Field:
    field = model._meta.get_field(key)
    if not isinstance(field, Field):
        raise TypeError(f"{key} is not a column of {model.__name__}")
    return field


def _attname(model: type[Model], key: str) -> str:
    return _field(model, key).attname
