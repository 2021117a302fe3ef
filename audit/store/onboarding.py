"""Bulk onboarding's reads and writes: many locations and users at once.

Reads fetch the records an import names in chunks of ``CHUNK`` keys (SQLite
limits the parameters of one statement); writes insert new rows with
``bulk_create`` and update changed ones field by field.  The caller holds
the transaction (:mod:`audit.workflow.onboarding`), so an import is applied
whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from audit.models import Brand, Location, LocationOwner, Region, User, UserBrand
from audit.store.accounts import set_user_brands
from audit.store.locations import default_brand

CHUNK = 500

Progress = Callable[[int], None]  # called with how many more rows are written

T = TypeVar("T")


def _chunks(values: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


@dataclass(frozen=True)
class LocationState:
    id: int
    code: str
    name: str
    address: str
    region: str | None
    brand: str | None
    place: dict[str, Any]  # latitude, longitude, opening_hours, timezone


PLACE_FIELDS = ("latitude", "longitude", "opening_hours", "timezone")


async def locations_by_code(codes: Sequence[str]) -> dict[str, LocationState]:
    found: dict[str, LocationState] = {}
    for chunk in _chunks(list(dict.fromkeys(codes))):
        rows = await Location.filter(code__in=chunk).values(
            "id",
            "code",
            "name",
            "address",
            *PLACE_FIELDS,
            region_name="region__name",
            brand_name="brand__name",
        )
        for r in rows:
            found[r["code"]] = LocationState(
                r["id"],
                r["code"],
                r["name"],
                r["address"],
                r["region_name"],
                r["brand_name"],
                {name: r[name] for name in PLACE_FIELDS},
            )
    return found


async def location_ids(codes: Sequence[str], brands: Sequence[str] = ()) -> dict[str, int]:
    """Code → id of the known locations among ``codes`` (of the brands named, when given)."""
    found: dict[str, int] = {}
    for chunk in _chunks(list(dict.fromkeys(codes))):
        query = Location.filter(code__in=chunk)
        if brands:
            query = query.filter(brand__name__in=list(brands))
        for r in await query.values("id", "code"):
            found[r["code"]] = int(r["id"])
    return found


async def default_brand_name() -> str | None:
    brand = await Brand.all().order_by("id").first()
    return brand.name if brand else None


@dataclass(frozen=True)
class LocationWrite:
    """The fields to set; None leaves one alone (``region=""`` clears it, ``brand=""``
    is the default brand)."""

    code: str
    name: str
    address: str | None
    region: str | None
    brand: str | None
    place: tuple[tuple[str, Any], ...] = ()  # of PLACE_FIELDS, only those to set


async def _ids_by_name(model: Any, names: set[str]) -> dict[str, int]:
    """Region or Brand ids by name, creating the missing ones."""
    found: dict[str, int] = {}
    wanted = sorted(names)
    for chunk in _chunks(wanted):
        for r in await model.filter(name__in=chunk).values("id", "name"):
            found[r["name"]] = int(r["id"])
    missing = [n for n in wanted if n not in found]
    if missing:
        await model.bulk_create([model(name=n) for n in missing])
        for chunk in _chunks(missing):
            for r in await model.filter(name__in=chunk).values("id", "name"):
                found[r["name"]] = int(r["id"])
    return found


async def write_locations(
    added: Sequence[LocationWrite],
    changed: Sequence[tuple[int, LocationWrite]],
    progress: Progress,
) -> None:
    writes = [*added, *(w for _, w in changed)]
    regions = await _ids_by_name(Region, {w.region for w in writes if w.region})
    brands = await _ids_by_name(Brand, {w.brand for w in writes if w.brand})
    default = (await default_brand()).id

    def fields(write: LocationWrite, new: bool) -> dict[str, Any]:
        values: dict[str, Any] = {"name": write.name}
        if write.address is not None or new:
            values["address"] = write.address or ""
        if write.region is not None:
            values["region_id"] = regions[write.region] if write.region else None
        if write.brand is not None or new:
            values["brand_id"] = brands[write.brand] if write.brand else default
        values.update(write.place)
        return values

    for chunk in _chunks(list(added)):
        await Location.bulk_create([Location(code=w.code, **fields(w, True)) for w in chunk])
        progress(len(chunk))
    for location_id, write in changed:
        await Location.filter(id=location_id).update(**fields(write, False))
        progress(1)


@dataclass(frozen=True)
class UserState:
    id: int
    email: str
    name: str
    role: str
    active: bool
    has_password: bool
    location_codes: frozenset[str]
    brands: frozenset[str] = frozenset()


async def users_by_email(emails: Sequence[str]) -> dict[str, UserState]:
    users: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(dict.fromkeys(emails))):
        for r in await User.filter(email__in=chunk).values(
            "id", "email", "name", "role", "active", "password_hash"
        ):
            users[r["email"]] = r
    owned: dict[int, set[str]] = {}
    ids = [int(r["id"]) for r in users.values()]
    for id_chunk in _chunks(ids):
        for r in await LocationOwner.filter(user_id__in=id_chunk).values(
            "user_id", code="location__code"
        ):
            owned.setdefault(int(r["user_id"]), set()).add(r["code"])
    brands: dict[int, set[str]] = {}
    for id_chunk in _chunks(ids):
        for r in await UserBrand.filter(user_id__in=id_chunk).values("user_id", name="brand__name"):
            brands.setdefault(int(r["user_id"]), set()).add(r["name"])
    return {
        email: UserState(
            int(r["id"]),
            email,
            r["name"],
            r["role"],
            bool(r["active"]),
            bool(r["password_hash"]),
            frozenset(owned.get(int(r["id"]), ())),
            frozenset(brands.get(int(r["id"]), ())),
        )
        for email, r in users.items()
    }


@dataclass(frozen=True)
class UserWrite:
    email: str
    role: str
    name: str | None  # None leaves it alone
    location_codes: tuple[str, ...] | None  # the owner's locations, exactly; None leaves them
    brands: tuple[str, ...] | None = None  # an auditor's brands, exactly; None leaves them


async def write_users(
    added: Sequence[UserWrite],
    changed: Sequence[tuple[UserState, UserWrite]],
    progress: Progress,
) -> dict[str, int]:
    """Insert and update; the ids of the added users by e-mail.  Added users have no
    password (they set one from their invitation)."""
    codes = {c for w in [*added, *(w for _, w in changed)] for c in w.location_codes or ()}
    location_id = await location_ids(sorted(codes))
    brand_id = await _ids_by_name(
        Brand, {b for w in [*added, *(w for _, w in changed)] for b in w.brands or ()}
    )
    added_ids: dict[str, int] = {}
    for chunk in _chunks(list(added)):
        await User.bulk_create(
            [User(email=w.email, role=w.role, name=w.name or "", password_hash="") for w in chunk]
        )
        for r in await User.filter(email__in=[w.email for w in chunk]).values("id", "email"):
            added_ids[r["email"]] = int(r["id"])
        owners = [
            LocationOwner(user_id=added_ids[w.email], location_id=location_id[code])
            for w in chunk
            for code in w.location_codes or ()
        ]
        if owners:
            await LocationOwner.bulk_create(owners)
        limits = [
            UserBrand(user_id=added_ids[w.email], brand_id=brand_id[b])
            for w in chunk
            for b in w.brands or ()
        ]
        if limits:
            await UserBrand.bulk_create(limits)
        progress(len(chunk))
    for state, write in changed:
        if write.name is not None and write.name != state.name:
            await User.filter(id=state.id).update(name=write.name)
        if write.location_codes is not None:
            wanted = set(write.location_codes)
            gone = sorted(state.location_codes - wanted)
            if gone:
                gone_ids = list((await location_ids(gone)).values())
                await LocationOwner.filter(user_id=state.id, location_id__in=gone_ids).delete()
            new = sorted(wanted - state.location_codes)
            if new:
                await LocationOwner.bulk_create(
                    [LocationOwner(user_id=state.id, location_id=location_id[c]) for c in new]
                )
        if write.brands is not None and set(write.brands) != state.brands:
            await set_user_brands(state.id, [brand_id[b] for b in write.brands])
        progress(1)
    return added_ids
