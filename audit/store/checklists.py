"""Checklist versions: import from YAML, the current ones, the pinned ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from audit.checklist import Checklist, ChecklistError, checklist_from_dict, load_checklist
from audit.models import Brand, ChecklistVersion
from audit.store import sql

# Parsed checklists by content hash.  A hash names immutable content, so this
# cache is correct in every worker without invalidation.
_parsed: dict[str, Checklist] = {}


def parsed(row: ChecklistVersion) -> Checklist:
    found = _parsed.get(row.content_hash)
    if found is None:
        found = checklist_from_dict(row.definition)
        _parsed[row.content_hash] = found
    return found


@dataclass(frozen=True)
class ImportResult:
    path: str
    slug: str
    version: int
    action: str  # "new" | "updated" | "unchanged" | "restored"


def read_checklist_dir(directory: Path) -> tuple[list[tuple[str, Checklist]], list[str]]:
    """Validate every *.yaml / *.yml file; return (checklists, problem lines)."""
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    good: list[tuple[str, Checklist]] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            checklist = load_checklist(path)
        except ChecklistError as exc:
            problems.extend(exc.lines())
            continue
        if checklist.id in seen:
            problems.append(
                f"{path}:1: checklist id {checklist.id!r} is also used by {seen[checklist.id]}"
            )
            continue
        seen[checklist.id] = str(path)
        good.append((str(path), checklist))
    return good, problems


async def import_checklists(checklists: list[tuple[str, Checklist]]) -> list[ImportResult]:
    """Store each checklist as a new current version where its content changed."""
    try:
        return await _import(checklists)
    except IntegrityError:
        # On PostgreSQL another import committed the same version meanwhile
        # (on SQLite imports queue behind each other); again, it is there.
        return await _import(checklists)


async def _import(checklists: list[tuple[str, Checklist]]) -> list[ImportResult]:
    results: list[ImportResult] = []
    async with in_transaction():
        for path, checklist in checklists:
            digest = checklist.content_hash
            current = await ChecklistVersion.filter(slug=checklist.id, is_current=True).first()
            if current is not None and current.content_hash == digest:
                results.append(ImportResult(path, checklist.id, checklist.version, "unchanged"))
                continue
            await ChecklistVersion.filter(slug=checklist.id).update(is_current=False)
            existing = await ChecklistVersion.get_or_none(slug=checklist.id, content_hash=digest)
            if existing is not None:
                existing.is_current = True
                await existing.save()
                action = "restored"
            else:
                brand = None
                if checklist.brand is not None:
                    brand, _ = await Brand.get_or_create(name=checklist.brand)
                await ChecklistVersion.create(
                    slug=checklist.id,
                    version=checklist.version,
                    title=checklist.title,
                    content_hash=digest,
                    definition=checklist.to_dict(),
                    is_current=True,
                    brand=brand,
                )
                action = "new" if current is None else "updated"
            results.append(ImportResult(path, checklist.id, checklist.version, action))
    return results


async def current_versions(brand_ids: Sequence[int] = ()) -> list[ChecklistVersion]:
    """The current version of every checklist; with ``brand_ids``, of those a user
    limited to these brands may use: the agency's and their brands' own."""
    query = ChecklistVersion.filter(is_current=True)
    if brand_ids:
        query = query.filter(Q(brand_id__isnull=True) | Q(brand_id__in=list(brand_ids)))
    return await query.order_by("title", "slug")


# Version rows by (id, content hash).  A version's content never changes, so
# each worker keeps the rows it has loaded (a few, each a checklist's JSON);
# the hash in the key keeps another database's rows (tests, a restore in the
# same process) apart.  ``is_current`` of a kept row may be stale: read it
# from a fresh query, never from here.
_versions: dict[tuple[int, str], ChecklistVersion] = {}


async def version_with_hash(version_id: int, digest: str) -> ChecklistVersion:
    found = _versions.get((version_id, digest))
    if found is None:
        found = await ChecklistVersion.get(id=version_id)
        _versions[(found.id, found.content_hash)] = found
    return found


_CURRENT_SQL = "SELECT id, content_hash FROM checklist_version WHERE slug = ? AND is_current"


async def current_version(slug: str) -> ChecklistVersion | None:
    # Every new audit asks: the id and hash only, the definition from the cache.
    rows = await sql.fetch(ChecklistVersion, _CURRENT_SQL, [slug])
    if not rows:
        return None
    return await version_with_hash(rows[0]["id"], rows[0]["content_hash"])


async def version_by_hash(slug: str, digest: str) -> ChecklistVersion | None:
    return await ChecklistVersion.get_or_none(slug=slug, content_hash=digest)


async def version_by_id(version_id: int) -> ChecklistVersion | None:
    return await ChecklistVersion.get_or_none(id=version_id)


async def versions_of(slug: str) -> list[ChecklistVersion]:
    """Every stored version of the checklist, oldest first."""
    return await ChecklistVersion.filter(slug=slug).order_by("version", "id")
