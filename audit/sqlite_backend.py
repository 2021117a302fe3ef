"""Tortoise's SQLite backend, with transactions that begin IMMEDIATE.

Tortoise starts a SQLite transaction with a plain (deferred) ``BEGIN``: it
takes no lock until the first statement, and a read lock until the first
write.  When another connection commits a write between the transaction's
first read and its first write, SQLite cannot upgrade the lock (what was read
is stale) and fails at once with "database is locked"; the busy timeout does
not apply to that case.  ``BEGIN IMMEDIATE`` takes the write lock at the
start, waiting up to the busy timeout for it, so a transaction that reads
before it writes (``audit user add``, ``audit location add``, a checklist
import, a migration) queues behind other writers instead of failing.  Every
transaction this service opens writes, so making them all IMMEDIATE costs
nothing: in WAL mode readers outside transactions are never blocked.

Tortoise loads this module as the connection's ``engine``.  Its name must
contain "sqlite": Tortoise's migration executor picks the schema editor by the
client class's module name.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import OperationalError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            # If the wait was cancelled, the BEGIN may still succeed in
            # aiosqlite's thread; the rollback queues behind it, so no
            # orphaned transaction keeps the write lock.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._connection.rollback())
            if isinstance(exc, sqlite3.OperationalError):
                # "database is locked" after the busy timeout: an operational
                # error like any other (Tortoise says TransactionManagementError).
                raise OperationalError(exc) from exc
            raise


class ImmediateTransactionContext(SqliteTransactionContext):
    async def __aenter__(self) -> TransactionalDBClient:
        # Tortoise's own __aenter__ keeps the connection lock when BEGIN
        # fails, which would stall every later query of this process.  With
        # IMMEDIATE, BEGIN can fail (busy timeout), so give everything back.
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection  # type: ignore[no-any-return]


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return ImmediateTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class: Any = ImmediateSqliteClient
