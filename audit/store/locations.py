"""Brands, regions and locations."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from audit.auth import Principal
from audit.models import Brand, Location, Region
from audit.store import sql
from audit.store.accounts import owned_location_ids

DEFAULT_BRAND = "Audit"


async def default_brand(name: str | None = None) -> Brand:
    brand = await Brand.all().order_by("id").first()
    if brand is None:
        brand, _ = await Brand.get_or_create(name=name or DEFAULT_BRAND)
    return brand


async def region_named(name: str) -> Region:
    region, _ = await Region.get_or_create(name=name)
    return region


@dataclass(frozen=True)
class BrandLine:
    name: str
    locations: int
    users: int  # HQ users and auditors limited to it


async def brand_lines() -> list[BrandLine]:
    """Every brand by name, with how many locations and limited users it has."""
    brands = (
        await Brand.all()
        .order_by("name")
        .annotate(
            n_locations=Count("locations", distinct=True), n_users=Count("users", distinct=True)
        )
        .values("name", "n_locations", "n_users")
    )
    return [BrandLine(str(b["name"]), int(b["n_locations"]), int(b["n_users"])) for b in brands]


async def add_brand(name: str) -> bool:
    """Make the brand; False when it is there already."""
    _, created = await Brand.get_or_create(name=name)
    return bool(created)


async def brand_named(name: str) -> Brand:
    """The brand of that name, made when new."""
    brand, _ = await Brand.get_or_create(name=name)
    return brand


async def add_location(
    code: str,
    name: str,
    region: str | None = None,
    address: str | None = None,
    brand: str | None = None,
) -> tuple[Location, bool]:
    """Create the location, or update the given fields of an existing one.

    ``brand`` names its brand (made when new); None: a new location is the
    first brand's and an existing one keeps its own.
    """
    async with in_transaction():
        named = await brand_named(brand) if brand else None
        region_row = await region_named(region) if region else None
        location = await Location.get_or_none(code=code)
        if location is None:
            location = await Location.create(
                code=code,
                name=name,
                brand=named or await default_brand(),
                region=region_row,
                address=address or "",
            )
            return location, True
        location.name = name
        if named is not None:
            location.brand = named
        if region_row is not None:
            location.region = region_row
        if address is not None:
            location.address = address
        await location.save()
        return location, False


@functools.cache
def _by_code_sql() -> str:
    return f"SELECT {sql.columns(Location, 'l')} FROM location l WHERE l.code = ?"


async def location_by_code(code: str) -> Location | None:
    # Every new audit looks its location up: hand-written (audit.store.sql).
    rows = await sql.fetch(Location, _by_code_sql(), [code])
    return sql.model_from_row(Location, rows[0], "l") if rows else None


async def visible_location_ids(who: Principal) -> list[int] | None:
    """The ids of the locations the caller may see; None: every one.

    The one place where whose locations are whose is decided: an owner's
    are those they own, a brand-limited user's (HQ or auditor) those of
    their brands (docs/brands.md), the agency's staff see them all.
    """
    if who.is_owner:
        return list(await owned_location_ids(who.user_id))
    if who.brand_limited:
        rows = await Location.filter(brand_id__in=list(who.brand_ids)).values("id")
        return [int(r["id"]) for r in rows]
    return None


def fits_brand(checklist_brand_id: int | None, location_brand_id: int | None) -> bool:
    """Whether a checklist of the first brand may be used at a location of the second."""
    return checklist_brand_id is None or checklist_brand_id == location_brand_id


async def other_brand_codes(brand_id: int | None, location_ids: Sequence[int]) -> list[str]:
    """The codes of those locations a checklist of ``brand_id`` may not be used at:
    a brand's checklist is for its own locations only; the agency's (None), for all."""
    if brand_id is None or not location_ids:
        return []
    other = Q(brand_id__isnull=True) | ~Q(brand_id=brand_id)
    rows = await Location.filter(other, id__in=list(location_ids)).order_by("code").values("code")
    return [str(r["code"]) for r in rows]


def other_brand_problem(codes: Sequence[str]) -> str:
    """The 422 message of a draft, assignment or wave using a brand's checklist elsewhere."""
    shown = ", ".join(repr(c) for c in codes[:10])
    more = f" and {len(codes) - 10} more" if len(codes) > 10 else ""
    return f"the checklist is another brand's than location {shown}{more}"


async def visible_locations(who: Principal) -> list[dict[str, Any]]:
    query = Location.all()
    location_ids = await visible_location_ids(who)
    if location_ids is not None:
        query = query.filter(id__in=location_ids)
    rows = await query.order_by("name", "code").values(
        "code", "name", "address", region_name="region__name"
    )
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "region": r["region_name"],
            "address": r["address"],
        }
        for r in rows
    ]
