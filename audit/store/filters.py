"""What HQ's filters offer and resolve: checklists and their versions, regions,
brands, locations, and the journey of touchpoints a comparison shows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from audit.compare import Place
from audit.models import Brand, ChecklistVersion, Location, Region
from audit.store.checklists import parsed
from audit.store.scope import Query


async def checklist_versions(slug: str) -> list[ChecklistVersion]:
    """All stored versions of a checklist, the current one first."""
    return await ChecklistVersion.filter(slug=slug).order_by("-is_current", "-version", "-id")


async def region_by_name(name: str) -> Region | None:
    return await Region.get_or_none(name=name)


async def brand_by_name(name: str) -> Brand | None:
    return await Brand.get_or_none(name=name)


async def region_names() -> list[str]:
    return list(await Region.all().order_by("name").values_list("name", flat=True))  # type: ignore[arg-type]


async def brand_names(brand_ids: Sequence[int] = ()) -> list[str]:
    """Every brand's name, or those of ``brand_ids`` (a brand-limited caller's)."""
    query = Brand.filter(id__in=brand_ids) if brand_ids else Brand.all()
    return list(await query.order_by("name").values_list("name", flat=True))  # type: ignore[arg-type]


async def location_place(code: str) -> tuple[int, Place, int | None, int | None] | None:
    """(id, place, region id, brand id) of a location by code."""
    rows = await Location.filter(code=code).values(
        "id", "code", "name", "region_id", "brand_id", region_name="region__name"
    )
    if not rows:
        return None
    r = rows[0]
    return r["id"], Place(r["code"], r["name"], r["region_name"]), r["region_id"], r["brand_id"]


async def places(location_ids: Iterable[int] | None = None) -> dict[int, Place]:
    """Location id → (code, name, region name); all locations when ids is None."""
    q = Query()
    sql = (
        "SELECT l.id, l.code, l.name, r.name AS region FROM location l "
        "LEFT JOIN region r ON r.id = l.region_id"
    )
    if location_ids is not None:
        ids = sorted(set(location_ids))
        if not ids:
            return {}
        if len(ids) <= 500:
            sql += f" WHERE l.id IN ({', '.join(q(i) for i in ids)})"
    return {r["id"]: Place(r["code"], r["name"], r["region"]) for r in await q.rows(sql)}


def journey(versions: Sequence[ChecklistVersion]) -> list[str]:
    """Touchpoints in journey order: the first version's, then any only older ones had."""
    order: dict[str, None] = {}
    for version in versions:
        order.update(dict.fromkeys(parsed(version).touchpoints()))
    return list(order)


def has_consistency_rules(versions: Sequence[ChecklistVersion]) -> bool:
    """Does any version have consistency rules (and so a consistency column)?"""
    return any(parsed(version).consistency for version in versions)


def shares_touchpoints(versions: Sequence[ChecklistVersion]) -> bool:
    """Does any version have two sections on one touchpoint?"""
    for version in versions:
        sections = parsed(version).sections
        if len({s.touchpoint for s in sections}) != len(sections):
            return True
    return False
