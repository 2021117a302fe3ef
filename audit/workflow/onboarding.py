"""Bulk onboarding: what an import file changes, previewed, then applied whole.

An import is checked in full before anything is written: every row on its
own (:mod:`audit.onboarding`), then against the database (an owner's
locations must exist, an e-mail keeps its role).  Any problem and nothing is
applied.  Otherwise the plan (each row added, changed or unchanged) is
computed again inside one transaction and written there, so a second import
of the same file finds every row unchanged and writes nothing.

Records are matched by location code and by e-mail address (in lower case).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from audit.auth import Principal
from audit.errors import Conflict
from audit.onboarding import LocationRow, Parsed, Problem, UserRow, hours_text, parse
from audit.settings import Settings
from audit.store import onboarding as store
from audit.store.accounts import brand_names_by_id
from audit.store.onboarding import LocationWrite, UserState, UserWrite
from audit.workflow import invitations

ADDED, CHANGED, UNCHANGED = "added", "changed", "unchanged"
# HQ's uploads wait this long for someone to apply them, then are deleted.
UPLOAD_KEPT = timedelta(days=7)
_UPLOAD_NAME = re.compile(r"[^\w .,()+-]")
ROLE_OF = {"owners": "owner", "auditors": "auditor"}


@dataclass(frozen=True)
class RowChange:
    line: int
    key: str  # the location code or the e-mail address
    action: str  # added | changed | unchanged
    changes: tuple[tuple[str, str, str], ...] = ()  # (field, before, after) when changed


@dataclass(frozen=True)
class Plan:
    kind: str
    filename: str
    rows: tuple[RowChange, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def summary(self) -> str:
        return (
            f"{self.count(ADDED)} added, {self.count(CHANGED)} changed,"
            f" {self.count(UNCHANGED)} unchanged"
        )

    def problem_lines(self) -> list[str]:
        return [p.format(self.filename) for p in self.problems]

    def digest(self) -> str:
        """Names this plan: applying checks that the database still gives the same one."""
        text = repr((self.kind, self.rows, self.problems))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Writes:
    locations_added: list[LocationWrite] = field(default_factory=list)
    locations_changed: list[tuple[int, LocationWrite]] = field(default_factory=list)
    users_added: list[UserWrite] = field(default_factory=list)
    users_changed: list[tuple[UserState, UserWrite]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return (
            len(self.locations_added)
            + len(self.locations_changed)
            + len(self.users_added)
            + len(self.users_changed)
        )


def _shown(value: str | None) -> str:
    return value if value else "(none)"


async def _plan_locations(
    parsed: Parsed,
    plan_rows: list[RowChange],
    writes: _Writes,
    problems: list[Problem],
    limit: tuple[str, ...],
) -> None:
    """``limit``: the names of the importing HQ user's brands (empty: the agency's,
    every brand): they add and change only their brands' locations."""
    existing = await store.locations_by_code([r.code for r in parsed.locations])
    default = await store.default_brand_name()
    for row in parsed.locations:
        state = existing.get(row.code)
        brand = row.brand
        if limit:
            if state is not None and state.brand not in limit:
                problems.append(Problem(row.line, f"code {row.code!r} is already used"))
                continue
            if brand and brand not in limit:
                problems.append(Problem(row.line, _not_your_brand(brand, limit)))
                continue
            if not brand and state is None:
                if len(limit) > 1:
                    problems.append(
                        Problem(row.line, f"brand is required: one of {', '.join(limit)}")
                    )
                    continue
                brand = limit[0]
        write = LocationWrite(row.code, row.name, row.address, row.region, brand, row.place)
        if state is None:
            writes.locations_added.append(write)
            plan_rows.append(RowChange(row.line, row.code, ADDED))
            continue
        changes = _location_changes(replace(row, brand=brand), state, default)
        if changes:
            writes.locations_changed.append((state.id, write))
            plan_rows.append(RowChange(row.line, row.code, CHANGED, changes))
        else:
            plan_rows.append(RowChange(row.line, row.code, UNCHANGED))


def _location_changes(
    row: LocationRow, state: store.LocationState, default_brand: str | None
) -> tuple[tuple[str, str, str], ...]:
    changes: list[tuple[str, str, str]] = []
    if row.name != state.name:
        changes.append(("name", state.name, row.name))
    if row.address is not None and row.address != state.address:
        changes.append(("address", _shown(state.address), _shown(row.address)))
    if row.region is not None and (row.region or None) != state.region:
        changes.append(("region", _shown(state.region), _shown(row.region)))
    if row.brand is not None:
        brand = row.brand or default_brand
        if brand != state.brand:
            changes.append(("brand", _shown(state.brand), _shown(brand)))
    for name, value in row.place:
        before = state.place.get(name)
        if value != before:
            changes.append((name.replace("_", " "), _shown_value(before), _shown_value(value)))
    return tuple(changes)


def _shown_value(value: object) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, dict):
        return hours_text(value)
    return str(value)


def _not_your_brand(brand: str, limit: tuple[str, ...]) -> str:
    return f"brand {brand!r} is not one of yours ({', '.join(limit)})"


async def _plan_users(
    parsed: Parsed,
    plan_rows: list[RowChange],
    writes: _Writes,
    problems: list[Problem],
    limit: tuple[str, ...],
) -> None:
    role = ROLE_OF[parsed.kind]
    existing = await store.users_by_email([r.email for r in parsed.users])
    codes = sorted({c for r in parsed.users for c in r.location_codes or ()})
    known = set(await store.location_ids(codes, limit))
    owned = sorted({c for u in existing.values() for c in u.location_codes})
    theirs = set(await store.location_ids(owned, limit)) if limit else set()
    for row in parsed.users:
        state = existing.get(row.email)
        if (
            limit
            and state is not None
            and not (state.brands & set(limit) or state.location_codes & theirs)
        ):
            # Someone else's (another brand's or the agency's): not said whose.
            problems.append(Problem(row.line, f"{row.email} is already a user"))
            continue
        brands = row.brands
        if limit and brands and any(b not in limit for b in brands):
            bad = next(b for b in brands if b not in limit)
            problems.append(Problem(row.line, _not_your_brand(bad, limit)))
            continue
        if limit and role != "owner" and not brands and (state is None or brands is not None):
            brands = limit  # a brand-limited HQ user's auditors are of their brands
        row = replace(row, brands=brands)
        unknown = [c for c in row.location_codes or () if c not in known]
        if unknown:
            problems.append(
                Problem(
                    row.line,
                    f"unknown location {unknown[0]!r} (import the locations first)"
                    + (f", and {len(unknown) - 1} more" if len(unknown) > 1 else ""),
                )
            )
        if state is not None and state.role != role:
            problems.append(
                Problem(
                    row.line,
                    f"{row.email} is already a user with the role {state.role}"
                    f" (an e-mail address has one role)",
                )
            )
        if unknown or (state is not None and state.role != role):
            continue
        write = UserWrite(row.email, role, row.name, row.location_codes, row.brands)
        if state is None:
            writes.users_added.append(write)
            plan_rows.append(RowChange(row.line, row.email, ADDED))
            continue
        changes = _user_changes(row, state)
        if changes:
            writes.users_changed.append((state, write))
            plan_rows.append(RowChange(row.line, row.email, CHANGED, changes))
        else:
            plan_rows.append(RowChange(row.line, row.email, UNCHANGED))


def _user_changes(row: UserRow, state: UserState) -> tuple[tuple[str, str, str], ...]:
    changes: list[tuple[str, str, str]] = []
    if row.name is not None and row.name != state.name:
        changes.append(("name", _shown(state.name), _shown(row.name)))
    if row.location_codes is not None and set(row.location_codes) != state.location_codes:
        before = ", ".join(sorted(state.location_codes))
        after = ", ".join(sorted(row.location_codes))
        changes.append(("locations", _shown(before), _shown(after)))
    if row.brands is not None and set(row.brands) != state.brands:
        before = "; ".join(sorted(state.brands))
        changes.append(("brands", before or "(all)", "; ".join(sorted(row.brands)) or "(all)"))
    return tuple(changes)


async def _plan(parsed: Parsed, filename: str, limit: tuple[str, ...] = ()) -> tuple[Plan, _Writes]:
    problems = list(parsed.problems)
    plan_rows: list[RowChange] = []
    writes = _Writes()
    # A file with problems of its own is still checked against the database,
    # so that one run lists every problem.
    if parsed.kind == "locations":
        await _plan_locations(parsed, plan_rows, writes, problems, limit)
    elif parsed.users:
        await _plan_users(parsed, plan_rows, writes, problems, limit)
    problems.sort(key=lambda p: p.line)
    return Plan(parsed.kind, filename, tuple(plan_rows), tuple(problems)), writes


async def brand_limit(who: Principal | None) -> tuple[str, ...]:
    """The names of the brands an import by ``who`` is limited to (None: the command line)."""
    if who is None or not who.brand_limited:
        return ()
    return tuple(sorted((await brand_names_by_id(who.brand_ids)).values()))


async def preview(kind: str, filename: str, data: bytes, who: Principal | None = None) -> Plan:
    """What importing the file would change, or its problems; nothing is written."""
    return (await _plan(parse(kind, filename, data), filename, await brand_limit(who)))[0]


@dataclass(frozen=True)
class Applied:
    plan: Plan
    written: bool  # False when the plan had problems (nothing was written)
    invited: int = 0  # invitations queued for the users added


Progress = Callable[[int, int], None]  # (rows written so far, rows to write)


async def apply(
    kind: str,
    filename: str,
    data: bytes,
    *,
    expected: str | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    who: Principal | None = None,
) -> Applied:
    """Check the whole file, then write every change in one transaction (or nothing).

    ``expected`` is the digest of a previewed plan: when the database has
    changed since, so that the file would now do something else, nothing is
    written and :class:`Conflict` says to preview again.  With ``settings`` and a mail
    server, every user added gets an invitation, queued in the same transaction.
    """
    parsed = parse(kind, filename, data)
    limit = await brand_limit(who)
    try:
        async with in_transaction():
            plan, writes = await _plan(parsed, filename, limit)
            if not plan.ok:
                return Applied(plan, False)
            if expected is not None and plan.digest() != expected:
                raise Conflict(
                    "the data changed since this file was previewed; preview it again",
                    {"file": "preview again"},
                )
            total, done = writes.rows, 0

            def step(count: int) -> None:
                nonlocal done
                done += count
                if progress is not None:
                    progress(done, total)

            if progress is not None:
                progress(0, total)
            await store.write_locations(writes.locations_added, writes.locations_changed, step)
            added = await store.write_users(writes.users_added, writes.users_changed, step)
            invited = 0
            if settings is not None:
                invited = await invitations.invite_added(settings, sorted(added.values()))
    except IntegrityError:
        # Another import (or HQ) added one of these records meanwhile.
        raise Conflict(
            "some of these records were added meanwhile; nothing was imported, run it again",
            {"file": "run it again"},
        ) from None
    return Applied(plan, True, invited)


def upload_name(raw: str) -> str:
    """A file name fit to print in ``FILE:LINE`` messages (no folders, no odd characters)."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    return _UPLOAD_NAME.sub("_", base).strip()[:120]


def _uploads(settings: Settings) -> Path:
    return settings.var_dir / "imports"


def _keep(folder: Path, digest: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_KEPT.total_seconds()
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    target = folder / digest
    if target.exists():
        os.utime(target)
        return
    partial = folder / f".{digest}.{os.getpid()}.part"
    partial.write_bytes(data)
    partial.replace(target)  # atomic: a reader sees the whole file or none


async def keep_upload(settings: Settings, name: str, data: bytes) -> str:
    """Keep HQ's uploaded file under its SHA-256 (for the preview and the apply); its digest."""
    digest = hashlib.sha256(data).hexdigest()
    await asyncio.to_thread(_keep, _uploads(settings), digest, data)
    return digest


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


async def read_upload(settings: Settings, digest: str) -> bytes | None:
    data = await asyncio.to_thread(_read, _uploads(settings) / digest)
    # The name is the content's digest: a file changed on disk is not the one previewed.
    if data is None or hashlib.sha256(data).hexdigest() != digest:
        return None
    return data
