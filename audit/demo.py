"""A realistic, reproducible synthetic data set (``audit demo``).

Each location has a quality level and each region a weak touchpoint (say, the
phone line in the North), so heat maps and league tables show real patterns.
Audits spread over the last 18 months, slowly improving; a few fail a critical
item.  Rows go in with bulk inserts: 2,000 locations and 100,000 audits take
minutes, not hours.
"""

from __future__ import annotations

import random
import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from audit.answers import Answer, condition_holds, visible_items
from audit.auth import hash_password
from audit.checklist import Checklist, Item
from audit.demo_actions import demo_actions
from audit.demo_appeals import demo_appeals
from audit.demo_photos import demo_photo, photo_kind
from audit.demo_reviews import review_demo_audits
from audit.demo_visits import (
    DEMO_HOURS,
    DEMO_TIMEZONE,
    QUEUE_PATTERNS,
    check_rows,
    demo_place,
    demo_visit,
)
from audit.demo_waves import demo_waves
from audit.models import (
    Assignment,
    Audit,
    Brand,
    ChecklistVersion,
    Location,
    LocationOwner,
    Photo,
    Region,
    User,
    UserBrand,
)
from audit.photos import photo_filenames, process_photo
from audit.scoring import Scorecard, item_points, score_answers
from audit.settings import Settings
from audit.store.checklists import import_checklists, parsed, read_checklist_dir
from audit.store.locations import default_brand
from audit.store.rollups import rebuild_rollups
from audit.store.sql import dialect_sql
from audit.submission import answers_json, content_hash
from audit.trust import Place, Rules

DEMO_PASSWORD = "demo-password"
DEMO_LOGINS = (
    ("hq@demo.test", "hq", "Hana Quist"),
    ("auditor@demo.test", "auditor", "Alex Auditor"),
    ("owner@demo.test", "owner", "Olivia Owner"),
)
# Brand tenancy (docs/brands.md): an HQ login limited to the demo's brand
# (it sees all the demo's data, as the agency's HQ does), and one of a second
# brand that has no locations yet (it sees none of it).
BRAND_LOGINS = (("brand@demo.test", "Bruno Brand"),)
SECOND_BRAND = "Harbour Outlets"
SECOND_BRAND_LOGIN = ("harbour@demo.test", "Hattie Harbour")
REGIONS = ("North", "South", "East", "West", "Central")
CITIES = (
    "Riverside",
    "Hillcrest",
    "Lakeview",
    "Oakmont",
    "Fairfield",
    "Brookside",
    "Maplewood",
    "Kingsport",
    "Westbury",
    "Easton",
    "Northgate",
    "Southpark",
    "Ashford",
    "Bayside",
    "Cedarville",
    "Dunmore",
    "Elmhurst",
    "Glenwood",
    "Harborview",
    "Ivydale",
)
PLACES = ("Mall", "High Street", "Retail Park", "Station", "Plaza", "Centre", "Market")
BATCH = 2_000
# Demos up to this size get every required evidence photo (files on disk);
# a larger one (100,000 audits) only those of its first audits.
PHOTO_AUDITS = 2_000
PHOTO_VARIANTS = 3


class DemoError(Exception):
    """Nothing to build the demo on: no checklist in the database or the checklists directory."""


@dataclass(frozen=True)
class DemoSize:
    locations: int = 12
    audits: int = 60


def _answer_for(item: Item, quality: float, rng: random.Random) -> Answer | None:
    """A plausible answer: better locations answer better, with noise."""
    if item.type == "photo":
        return None
    if item.na and rng.random() < 0.06:
        return Answer(na=True)
    good = min(0.98, max(0.02, quality + rng.gauss(0, 0.18)))
    if item.type == "yes_no":
        return Answer(value=rng.random() < good)
    if item.type == "scale":
        assert item.min is not None and item.max is not None
        span = item.max - item.min
        return Answer(value=round(item.min + span * min(1, max(0, rng.gauss(good, 0.15)))))
    if item.type == "choice":
        ranked = sorted(item.options, key=lambda o: -o.points)
        index = 0 if rng.random() < good else rng.randrange(len(ranked))
        return Answer(value=ranked[index].value)
    if item.type == "number":
        if item.bands:
            bounded = [b.max for b in item.bands if b.max is not None]
            top = (bounded[-1] if bounded else 10) * 1.6
            lo = item.min if item.min is not None else 0
            best_first = item.bands[0].points >= item.bands[-1].points
            frac = (1 - good) if best_first else good
            value = lo + (top - lo) * min(1, max(0, rng.gauss(frac, 0.2)))
            if item.max is not None:
                value = min(value, item.max)
            if item.integer:
                return Answer(value=round(value))  # counts are whole: no 1.2 models
            return Answer(value=round(value, 1) if value % 1 else int(value))
        return Answer(value=rng.randint(0, 10))
    if item.type == "nps":
        return Answer(value=min(10, max(0, round(rng.gauss(good * 10 + 0.5, 1.6)))))
    if item.type == "text":
        if rng.random() < 0.5 and not item.required:
            return None
        return Answer(value=rng.choice(_NOTES_GOOD if good > 0.6 else _NOTES_BAD))
    if item.type in ("time_range", "money"):  # a fact no rule compares
        return Answer(value=_fact_truth(item, item.id, str(rng.random())))
    return None


_NOTES_GOOD = (
    "Staff were friendly and the store was easy to find.",
    "Quick, knowledgeable help; I would come back.",
    "Clean, calm and well signed. A pleasant visit.",
)
_NOTES_BAD = (
    "The phone rang out twice before anyone answered.",
    "Hard to find inside the centre; no signs from the car park.",
    "Restroom was out of order and nobody offered an alternative.",
    "Long queue at the till with one cashier for ten customers.",
)


def critical_failure_rate(quality: float) -> float:
    """The chance that a visit fails a critical item: 2 % at the best stores, 12 % at the worst.

    Real chains see a critical failure in about one visit in twenty; more and
    the brand average is a count of failures, not of quality.
    """
    return min(0.12, max(0.02, 0.02 + 0.12 * (1 - quality)))


def _critical_answer(item: Item, quality: float, fail: bool, rng: random.Random) -> Answer:
    """An answer to a critical item that fails it (zero points) or passes it."""
    answer = Answer()
    for _ in range(40):
        candidate = _answer_for(item, 0.02 if fail else max(quality, 0.8), rng)
        if candidate is None or candidate.na:
            continue
        answer = candidate
        if (item_points(item, answer.value) == 0) == fail:
            break
    return answer


# The truth each demo location tells its customers, by consistency rule:
# every touchpoint says it, unless that touchpoint is out of step.
DEMO_OPENS = ("08:00", "09:00", "09:30", "10:00")
DEMO_CLOSES = ("17:30", "18:00", "20:00", "21:00")
DEMO_PRICES = {
    "jersey_price": ("44.99", "49.99", "54.99"),
    "tv_price": ("999.00", "1099.99", "1149.00", "1199.00"),
    "project_price": ("38500.00", "42900.00", "46750.00", "51200.00"),
}
DEMO_AREA_CODES = ("312", "415", "617", "704", "713", "919")


def _fact_truth(item: Item, rule_id: str, place: str) -> Any:
    """The value a location tells every customer for one rule (the same on every visit)."""
    truth = random.Random(f"{place}/{rule_id}")
    if item.type == "time_range":
        return {"from": truth.choice(DEMO_OPENS), "to": truth.choice(DEMO_CLOSES)}
    if item.type == "money":
        amount = truth.choice(DEMO_PRICES.get(rule_id, ("19.99", "24.99", "29.99")))
        return {"amount": amount, "currency": item.currency}
    if item.type == "text":
        return f"{truth.choice(DEMO_AREA_CODES)}555{truth.randrange(100, 10_000):04d}"
    if item.type == "number":
        return truth.randrange(6, 13)
    if item.type == "choice":
        return truth.choice(item.options).value
    return True


def _told(item: Item, truth: Any, out_of_step: bool, rng: random.Random) -> Any:
    """What one touchpoint said: the truth, written its own way, or something else."""
    if item.type == "time_range":
        if not out_of_step:
            return dict(truth)
        closes = DEMO_CLOSES[(DEMO_CLOSES.index(truth["to"]) + rng.choice((1, -1))) % 4]
        return {"from": truth["from"], "to": closes}
    if item.type == "money":
        if not out_of_step:
            return dict(truth)
        cents = round(float(truth["amount"]) * 100)
        changed = cents + rng.choice((-1, 1)) * max(500, cents // 20)
        return {"amount": f"{changed // 100}.{changed % 100:02d}", "currency": truth["currency"]}
    if item.type == "text":
        digits = truth if not out_of_step else truth[:-2] + f"{rng.randrange(100):02d}"
        area, exchange, line = digits[:3], digits[3:6], digits[6:]
        return rng.choice(
            (
                f"({area}) {exchange}-{line}",
                f"{area}-{exchange}-{line}",
                f"+1 {area} {exchange} {line}",
            )
        )
    if item.type == "number":
        return truth + (rng.choice((-4, -3, 3, 4)) if out_of_step else rng.choice((0, 0, 1)))
    if item.type == "choice" and out_of_step:
        others = [o.value for o in item.options if o.value != truth]
        return rng.choice(others) if others else truth
    if item.type == "yes_no" and out_of_step:
        return not truth
    return truth


def _fact_answers(
    checklist: Checklist, place: str, quality: float, rng: random.Random
) -> dict[str, Answer]:
    """Answers to the items that record facts: one truth per location and rule, and
    now and then a touchpoint out of step with it (more often at weaker locations)."""
    out: dict[str, Answer] = {}
    facts = checklist.fact_items()
    for rule in checklist.consistency:
        truth = _fact_truth(facts[rule.facts[0]], rule.id, place)
        for n, fact in enumerate(rule.facts):
            item = facts[fact]
            if item.id in out:
                continue
            if item.na and rng.random() < 0.08:
                out[item.id] = Answer(na=True)
                continue
            # The first touchpoint sets the truth; each later one may contradict it.
            out_of_step = n > 0 and rng.random() < 0.02 + 0.12 * (1 - quality)
            out[item.id] = Answer(value=_told(item, truth, out_of_step, rng))
    return out


def _answers(
    checklist: Checklist, quality: float, weak: str, rng: random.Random, place: str = ""
) -> dict[str, Answer]:
    facts = _fact_answers(checklist, place, quality, rng)
    answers: dict[str, Answer] = {}
    values: dict[str, Any] = {}
    pending = rng.random() < critical_failure_rate(quality)
    criticals_left = sum(1 for item in checklist.items() if item.critical)
    nps_items: list[Item] = []
    for section in checklist.sections:
        q = quality - (0.28 if section.touchpoint == weak else 0.0)
        for item in section.items:
            if item.critical:
                criticals_left -= 1
            if item.show_if is not None and not condition_holds(item.show_if, values):
                continue
            if item.type == "nps":
                nps_items.append(item)  # answered below, from how the visit went
                continue
            if item.id in facts:
                answers[item.id] = facts[item.id]
                continue
            if item.critical:
                # One failure at most, on any of the critical items with equal chance.
                fail = pending and rng.random() < 1 / (criticals_left + 1)
                pending = pending and not fail
                answer: Answer | None = _critical_answer(item, q, fail, rng)
            else:
                answer = _answer_for(item, q, rng)
            if answer is None:
                continue
            answers[item.id] = answer
            if not answer.na and answer.value is not None:
                values[item.id] = answer.value
    if nps_items:
        # Loyalty follows the visit: a good one makes promoters, with noise.
        overall = score_answers(checklist, answers).overall
        mean = 1.5 + 8.5 * (overall if overall is not None else 50) / 100
        for item in nps_items:
            answers[item.id] = Answer(value=min(10, max(0, round(rng.gauss(mean, 1.3)))))
    return answers


async def _ensure_checklists(settings: Settings) -> list[ChecklistVersion]:
    rows = await ChecklistVersion.filter(is_current=True).order_by("slug")
    if rows:
        return rows
    found, problems = read_checklist_dir(settings.checklists_dir)
    if problems:
        raise DemoError("; ".join(problems))
    if not found:
        raise DemoError(
            f"no checklists in the database or in {settings.checklists_dir}/: "
            "run `audit checklist import DIR` first"
        )
    await import_checklists(found)
    return await ChecklistVersion.filter(is_current=True).order_by("slug")


async def _next_id(table: str) -> int:
    conn = connections.get("default")
    rows = await conn.execute_query_dict(f'SELECT MAX(id) AS m FROM "{table}"')
    return int(rows[0]["m"] or 0) + 1


async def _fix_sequences(tables: list[str]) -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return
    for table in tables:
        await conn.execute_script(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )
    await conn.execute_script("ANALYZE")


async def _tenancy_logins(brand: Brand, pw_hash: str) -> None:
    """The brand-limited HQ logins (no random draws: the rest of the demo is unchanged)."""
    second, _ = await Brand.get_or_create(name=SECOND_BRAND)
    logins = [(login, brand) for login in BRAND_LOGINS] + [(SECOND_BRAND_LOGIN, second)]
    for (email, name), limit in logins:
        user = await User.get_or_none(email=email)
        if user is None:
            user = await User.create(email=email, role="hq", name=name, password_hash=pw_hash)
        await UserBrand.get_or_create(user=user, brand=limit)


async def fill_demo(
    settings: Settings, size: DemoSize, seed: int = 1, only_if_empty: bool = False
) -> str:
    if only_if_empty and await Audit.exists():
        return "demo: the database already holds audits; nothing added"
    rng = random.Random(seed)
    versions = await _ensure_checklists(settings)
    checklists = [(v, parsed(v)) for v in versions]
    brand = await default_brand(settings.brand_name)
    regions = [(await Region.get_or_create(name=name))[0] for name in REGIONS]
    pw_hash = hash_password(DEMO_PASSWORD)

    users: dict[str, User] = {}
    for email, role, name in DEMO_LOGINS:
        user = await User.get_or_none(email=email)
        if user is None:
            user = await User.create(email=email, role=role, name=name, password_hash=pw_hash)
        users[role] = user
    auditors = [users["auditor"]]
    for n in range(max(2, size.locations // 25)):
        email = f"auditor{n + 2}@demo.test"
        user = await User.get_or_none(email=email)
        if user is None:
            user = await User.create(
                email=email, role="auditor", name=f"Auditor {n + 2}", password_hash=pw_hash
            )
        auditors.append(user)
    await _tenancy_logins(brand, pw_hash)

    # Locations, each with a quality; regions each have one weak touchpoint.
    existing = {loc.code for loc in await Location.all().only("code")}
    start_id = await _next_id("location")
    new_locations: list[Location] = []
    for n in range(size.locations):
        code = f"L{n + 1:04d}"
        if code in existing:
            continue
        city = CITIES[n % len(CITIES)]
        place = PLACES[(n // len(CITIES)) % len(PLACES)]
        suffix = (
            f" {n // (len(CITIES) * len(PLACES)) + 1}" if n >= len(CITIES) * len(PLACES) else ""
        )
        # Proof of visit: a pin near its city, opening hours, the time zone.
        latitude, longitude = demo_place(n, rng)
        new_locations.append(
            Location(
                id=start_id + len(new_locations),
                code=code,
                name=f"{city} {place}{suffix}",
                address=f"{rng.randrange(1, 300)} {place} Road, {city}",
                brand_id=brand.id,
                region_id=regions[n % len(regions)].id,
                latitude=latitude,
                longitude=longitude,
                opening_hours=DEMO_HOURS,
                timezone=DEMO_TIMEZONE,
            )
        )
    for chunk in range(0, len(new_locations), BATCH):
        await Location.bulk_create(new_locations[chunk : chunk + BATCH])
    locations = await Location.all().order_by("id")
    owned = {
        row["location_id"]
        for row in await LocationOwner.filter(user=users["owner"]).values("location_id")
    }
    for loc in locations[:3]:
        if loc.id not in owned:
            await LocationOwner.create(user=users["owner"], location=loc)

    quality = {loc.id: min(0.95, max(0.35, rng.gauss(0.72, 0.12))) for loc in locations}
    touchpoints = sorted({tp for _, c in checklists for tp in c.touchpoints()})
    weak = {r.id: rng.choice(touchpoints) for r in regions}
    region_of = {loc.id: loc.region_id for loc in locations}  # type: ignore[attr-defined]

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    audit_id = await _next_id("audit")
    first_id = audit_id
    audits: list[Audit] = []
    sections: list[tuple[Any, ...]] = []
    items: list[tuple[Any, ...]] = []
    photo_jobs: list[tuple[str, str, str]] = []
    checks: list[tuple[Any, ...]] = []
    rules = Rules(
        radius_m=float(settings.visit_radius_m),
        min_minutes=settings.min_visit_minutes,
        timezone=settings.timezone,
    )
    places = {
        loc.id: Place(
            loc.latitude,
            loc.longitude,
            loc.opening_hours,  # type: ignore[arg-type]
            loc.timezone or settings.timezone,
        )
        for loc in locations
    }
    for n in range(size.audits):
        version, checklist = checklists[n % len(checklists)]
        loc = (
            locations[rng.randrange(len(locations))]
            if n >= len(locations)
            else locations[n % len(locations)]
        )
        if n < 6:
            loc = locations[n % min(3, len(locations))]  # the demo owner's locations get audits
        days_ago = rng.randrange(0, 548)
        # The last visits are a few days old and wait in HQ's review queue,
        # some with a suspicious proof of visit (audit.demo_visits).
        queue_slot = n - (size.audits - len(QUEUE_PATTERNS))
        recent = queue_slot >= 0 and n >= 6
        if recent:
            days_ago = rng.randrange(1, 4)
        visited = today - timedelta(days=days_ago) + timedelta(hours=rng.randrange(9, 19))
        trend = 0.08 * (1 - days_ago / 548)  # chains get better over time
        answers = _answers(
            checklist, quality[loc.id] + trend, weak.get(region_of[loc.id], ""), rng, loc.code
        )
        card = score_answers(checklist, answers)
        status = "approved"
        roll = rng.random()
        if days_ago < 30 and roll < 0.25:
            status = "submitted"
        if recent:
            status = "submitted"
        if card.missing:
            status = "draft"
        auditor = auditors[n % len(auditors)]
        uid = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
        digest = content_hash(checklist.id, loc.code, visited, answers)
        stored = card.to_dict() if status != "draft" else None
        visit = None
        if stored:
            pattern = QUEUE_PATTERNS[queue_slot] if recent else None
            if checklist.min_visit_minutes is not None:
                visit_rules = Rules(rules.radius_m, checklist.min_visit_minutes, rules.timezone)
            else:
                visit_rules = rules
            visit = demo_visit(places[loc.id], visited, visit_rules, rng, pattern)
            checks.extend(check_rows(audit_id, visit))
        audits.append(
            Audit(
                id=audit_id,
                uuid=uid,
                auditor_id=auditor.id,
                location_id=loc.id,
                checklist_id=version.id,
                checklist_slug=checklist.id,
                status=status,
                visited_at=visited,
                visit_date=visited.date(),
                started_at=visited - timedelta(minutes=rng.randrange(30, 90)),
                finished_at=visited,
                answers=answers_json(answers),
                draft_hash=digest,
                submit_hash=digest if status != "draft" else None,
                submitted_at=visited + timedelta(hours=2) if status != "draft" else None,
                approved_at=visited + timedelta(days=2) if status == "approved" else None,
                overall=card.overall if stored else None,
                service=card.service if stored else None,
                experience=card.experience if stored else None,
                nps=card.nps if stored else None,
                critical_failed=card.critical_failed if stored else False,
                consistency=card.consistency_score if stored else None,
                scorecard=stored,
                trust_score=visit.trust.score if visit else None,
                trust=visit.trust.to_dict() if visit else None,
            )
        )
        if stored:
            _score_rows(audit_id, card, sections, items)
        if (status != "draft" and size.audits <= PHOTO_AUDITS) or n < 12:
            photo_jobs.extend(_photo_targets(uid, checklist, answers, rng))
        audit_id += 1
        if len(audits) >= BATCH:
            await _flush(audits, sections, items, checks)
    await _flush(audits, sections, items, checks)
    await _store_demo_photos(settings, photo_jobs, brand.name, rng)
    # HQ's grades, returns and rejections, before the rollups count anything.
    await review_demo_audits(
        first_id,
        users["hq"],
        users["auditor"],
        {c.id: c for _, c in checklists},
        random.Random(seed * 7919 + 1),
    )
    # Bulk inserts bypass the approval that counts an audit in the rollups.
    await rebuild_rollups()
    await _fix_sequences(["location", "audit", "section_score", "item_score"])
    await _demo_assignments(locations, checklists, users["auditor"])
    await demo_waves(versions, locations, auditors, users["hq"], ASSIGNMENT_NOTES, rng)
    # The owner's corrective actions on their locations' weak items.
    await demo_actions(users["owner"], random.Random(seed * 31 + 5))
    # Their appeals: one upheld (its report is version 2), one rejected, two waiting.
    await demo_appeals(users["owner"], users["hq"], settings, random.Random(seed * 37 + 3))
    made = audit_id - first_id
    return (
        f"demo: {len(new_locations)} new locations ({len(locations)} in all), "
        f"{made} audits, {len(auditors)} auditors; sign in with "
        + ", ".join(f"{email}" for email, _, _ in DEMO_LOGINS)
        + f" / {DEMO_PASSWORD} (HQ of one brand only: "
        + ", ".join(email for email, _ in (*BRAND_LOGINS, SECOND_BRAND_LOGIN))
        + ")"
    )


def _score_rows(
    audit_id: int, card: Scorecard, sections: list[tuple[Any, ...]], items: list[tuple[Any, ...]]
) -> None:
    touchpoint_of = {}
    for s in card.sections:
        touchpoint_of[s.id] = s.touchpoint
        sections.append((audit_id, s.id, s.touchpoint, s.weight, s.score))
    for r in card.items:
        if r.points is not None:
            items.append((audit_id, r.item.id, touchpoint_of[r.section_id], r.points))


_SECTION_SCORE_SQL = (
    "INSERT INTO section_score (audit_id, section_id, touchpoint, weight, score) "
    "VALUES (?, ?, ?, ?, ?)"
)
_ITEM_SCORE_SQL = (
    "INSERT INTO item_score (audit_id, item_id, touchpoint, points) VALUES (?, ?, ?, ?)"
)


_VISIT_CHECK_SQL = (
    "INSERT INTO visit_check (audit_id, kind, permission, latitude, longitude, accuracy,"
    " device_time, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


async def _flush(
    audits: list[Audit],
    sections: list[tuple[Any, ...]],
    items: list[tuple[Any, ...]],
    checks: list[tuple[Any, ...]],
) -> None:
    if not audits:
        return
    async with in_transaction() as tx:
        dialect = tx.capabilities.dialect
        await Audit.bulk_create(audits, using_db=tx)
        if sections:
            await tx.execute_many(
                dialect_sql(_SECTION_SCORE_SQL, dialect), [list(row) for row in sections]
            )
        if items:
            await tx.execute_many(
                dialect_sql(_ITEM_SCORE_SQL, dialect), [list(row) for row in items]
            )
        if checks:
            await tx.execute_many(
                dialect_sql(_VISIT_CHECK_SQL, dialect), [list(row) for row in checks]
            )
    checks.clear()
    audits.clear()
    sections.clear()
    items.clear()


def _photo_targets(
    uid: str, checklist: Checklist, answers: dict[str, Answer], rng: random.Random
) -> list[tuple[str, str, str]]:
    """(audit uuid, item id, photo kind): every required photo of a shown, answered
    item, the storefront, and some optional ones; never one for an N/A item."""
    targets = []
    for item in visible_items(checklist, answers):
        answer = answers.get(item.id)
        if answer is not None and answer.na:
            continue
        kind = photo_kind(item.id, item.text)
        if item.type == "photo":
            wanted = item.required or kind == "storefront" or rng.random() < 0.3
        elif item.photo == "required":
            wanted = answer is not None
        else:
            wanted = item.photo == "optional" and answer is not None and rng.random() < 0.3
        if wanted:
            targets.append((uid, item.id, kind))
    return targets


async def _store_demo_photos(
    settings: Settings, jobs: list[tuple[str, str, str]], brand_name: str, rng: random.Random
) -> None:
    ids = {
        row["uuid"]: row["id"]
        for row in await Audit.filter(uuid__in=list({job[0] for job in jobs})).values("uuid", "id")
    }
    # A few drawings of each kind, shared: drawing and re-encoding is the slow part.
    made: dict[tuple[str, int], Any] = {}
    for audit_uuid, item_id, kind in jobs:
        variant = rng.randrange(PHOTO_VARIANTS)
        if (kind, variant) not in made:
            made[kind, variant] = process_photo(demo_photo(kind, brand_name, rng))
        processed = made[kind, variant]
        photo_uuid = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
        names = photo_filenames(audit_uuid, photo_uuid)
        for name, data in zip(names, (processed.image, processed.thumbnail), strict=True):
            path = settings.media_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        await Photo.create(
            uuid=photo_uuid,
            audit_id=ids[audit_uuid],
            item_id=item_id,
            path=names[0],
            thumb_path=names[1],
            sha256=processed.sha256,
            width=processed.width,
            height=processed.height,
            size=len(processed.image),
        )


# What each shipped checklist's scenario leaves to "your assignment": the
# auditor reads it on the assignment card and beside the scenario.
ASSIGNMENT_NOTES = {
    "sporting-goods": (
        "Team: the Riverside Rovers (home jersey, size M, and the navy cap). "
        "Spend at most $50. Visit on a weekday afternoon and keep the receipt."
    ),
    "electronics-store": (
        "Ask about the 55-inch and 65-inch models on the front display; buy the 55-inch "
        "with delivery and wall-mounting. Ask which model suits a bright room and what the "
        "installation includes. Follow-up question: how to adjust the wall-mount tilt."
    ),
    "home-improvement": (
        "Project: a 3 x 4 m backyard home office with power and insulation. Questions: permit, "
        "foundation, heating, lead time, warranty. Site checklist: access, ground level, "
        "drainage, power supply, trees, dimensions. Pay only the deposit. Chase: the missing "
        "exterior light."
    ),
}
DEFAULT_ASSIGNMENT_NOTES = (
    "Visit on a weekday afternoon; buy one item under $50 and keep the receipt."
)


async def _demo_assignments(
    locations: list[Location], checklists: list[tuple[ChecklistVersion, Checklist]], auditor: User
) -> None:
    if await Assignment.exists():
        return
    today = date.today()
    for n, loc in enumerate(locations[:3]):
        _, checklist = checklists[n % len(checklists)]
        await Assignment.create(
            location=loc,
            checklist_slug=checklist.id,
            auditor=auditor,
            due=today + timedelta(days=7 + n * 3),
            notes=ASSIGNMENT_NOTES.get(checklist.id, DEFAULT_ASSIGNMENT_NOTES),
        )
