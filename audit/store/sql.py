"""Hand-written SQL for the statements every phone runs on every request or submission.

Tortoise builds each query through pypika and each row into a model; on the
submission path that was most of the server's CPU (``bench/submit.py``).  The
few statements here are written out once, in SQL that SQLite and PostgreSQL
both accept, and run on the connection Tortoise gives the current context, so
inside ``in_transaction()`` they join the transaction.  Parameters are what
the ORM would send (:func:`db_values`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

Row = dict[str, Any]
MODEL = TypeVar("MODEL", bound=Model)


def connection(model: type[Model]) -> BaseDBAsyncClient:
    db: BaseDBAsyncClient = model._meta.db
    return db


# Room for the hot statements of sql.py and the many shapes of the HQ aggregates.
@functools.lru_cache(maxsize=256)
def dialect_sql(sql: str, dialect: str) -> str:
    """``?`` placeholders as the dialect wants them (``$1, $2, …`` for asyncpg).

    The one translation of placeholders: every hand-written statement of the
    package is written with ``?`` and goes through here.
    """
    if dialect != "postgres":
        return sql
    count = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


async def fetch(model: type[Model], sql: str, values: Sequence[Any]) -> list[Row]:
    db = connection(model)
    rows: list[Row] = await db.execute_query_dict(
        dialect_sql(sql, db.capabilities.dialect), list(values)
    )
    return rows


async def execute_many(model: type[Model], sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    db = connection(model)
    await db.execute_many(dialect_sql(sql, db.capabilities.dialect), [list(r) for r in rows])


def columns(model: type[Model], alias: str) -> str:
    """The select list of all of a model's columns, named ``alias__column``."""
    return ", ".join(
        f'{alias}."{column}" AS "{alias}__{column}"'
        for column in model._meta.fields_db_projection.values()
    )


def model_from_row(model: type[MODEL], row: Row, alias: str) -> MODEL:
    """The model instance the ORM would make of the ``alias__``-named columns of ``row``.

    Tortoise's own loader, as its select_related uses it: each field converts
    its value (JSON text, SQLite's text timestamps) exactly as in an ORM query.
    tests/test_store_sql.py compares the two.
    """
    prefix = alias + "__"
    values = {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}
    return model._init_from_db(**values)


async def execute(model: type[Model], sql: str, values: Sequence[Any]) -> int:
    """Run a write; the number of rows it changed."""
    db = connection(model)
    changed, _ = await db.execute_query(dialect_sql(sql, db.capabilities.dialect), list(values))
    return int(changed)


def db_values(model: type[Model], values: Mapping[str, Any]) -> list[Any]:
    """Field values as the ORM would write them (JSON as text; dates and times
    the drivers take as they are: Tortoise registers SQLite's adapters)."""
    fields = model._meta.fields_map
    return [fields[name].to_db_value(value, model) for name, value in values.items()]
