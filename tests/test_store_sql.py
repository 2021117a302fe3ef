"""The hand-written hot-path SQL gives what the ORM gives, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from audit.models import Audit, ChecklistVersion, ItemScore, SectionScore, Session
from audit.store import audits as audit_store
from audit.store import sql
from audit.store.accounts import add_user, open_session, session_principal
from audit.store.checklists import current_version
from audit.submission import parse_payload
from audit.workflow import audits as workflow
from tests.helpers import new_uuid, seed
from tests.test_api_submit import ANSWERS
from tests.test_store_reports import person


def fields_of(model: object) -> dict[str, object]:
    meta = model._meta  # type: ignore[attr-defined]
    return {name: getattr(model, name) for name in meta.fields_db_projection}


def test_placeholders_are_numbered_for_postgres_only() -> None:
    query = "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"
    assert sql.dialect_sql(query, "sqlite") == query
    assert sql.dialect_sql(query, "postgres") == "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"


async def submitted_audit() -> tuple[str, object]:
    await seed()
    auditor = await person("sql-auditor@x.test", "Sam", "auditor")
    uid = new_uuid()
    body = {
        "checklist": "shop",
        "location": "S1",
        "visited_at": "2026-11-20T14:30:00Z",
        "answers": ANSWERS,
    }
    await workflow.save_draft(auditor, uid, parse_payload(body))
    await workflow.submit(auditor, uid, None)
    return uid, auditor


async def test_the_audit_finder_loads_what_select_related_loads(db) -> None:
    uid, _ = await submitted_audit()

    found = await audit_store.find_audit(uid)
    orm = await Audit.get(uuid=uid).select_related("location", "checklist")

    assert found is not None
    assert fields_of(found) == fields_of(orm)
    assert fields_of(found.location) == fields_of(orm.location)
    # The version comes from the per-worker cache, keyed by id and content
    # hash: the content is the same, the row may be another database's twin.
    cached, loaded = fields_of(found.checklist), fields_of(orm.checklist)
    for volatile in ("created_at", "is_current"):
        del cached[volatile], loaded[volatile]
    assert cached == loaded
    # Types survive the hand-written path: JSON as dicts, times as aware datetimes.
    assert isinstance(found.answers, dict) and isinstance(found.scorecard, dict)
    assert found.submitted_at is not None and found.submitted_at.tzinfo is not None
    assert await audit_store.find_audit(new_uuid()) is None


async def test_the_finder_follows_a_new_checklist_version_and_keeps_the_audits_own(db) -> None:
    uid, _ = await submitted_audit()
    old = await current_version("shop")
    assert old is not None
    await ChecklistVersion.filter(id=old.id).update(is_current=False)
    new = await ChecklistVersion.create(
        slug="shop",
        version=old.version + 1,
        title="Shop, revised",
        content_hash="f" * 64,
        definition=old.definition,
        is_current=True,
    )

    found = await audit_store.find_audit(uid)
    now_current = await current_version("shop")

    assert found is not None and found.checklist.id == old.id
    assert now_current is not None and now_current.id == new.id
    assert now_current.title == "Shop, revised"


async def test_submitted_scores_are_written_as_rows(db) -> None:
    uid, _ = await submitted_audit()
    audit = await Audit.get(uuid=uid)

    sections = await SectionScore.filter(audit_id=audit.id).values("section_id", "score")
    items = await ItemScore.filter(audit_id=audit.id).values("item_id", "points")

    card = audit.scorecard
    assert card is not None
    assert {r["section_id"]: r["score"] for r in sections} == {
        key: value["score"] for key, value in card["sections"].items()
    }
    scored = {"answered", "rings", "needed_restroom", "restroom", "clean"}
    assert {r["item_id"] for r in items} <= scored
    assert len(items) == len([k for k in ANSWERS if k in scored and "value" in ANSWERS[k]])


async def test_a_session_resolves_until_it_expires_or_its_user_is_disabled(db) -> None:
    user, _ = await add_user("s@x.test", "hq", "pw-long-enough", "Sue")
    token, csrf = await open_session(user)

    who = await session_principal(token)
    assert who is not None
    assert (who.user_id, who.email, who.name, who.role, who.csrf_token) == (
        user.id,
        "s@x.test",
        "Sue",
        "hq",
        csrf,
    )
    assert await session_principal(token + "x") is None

    await Session.filter(user_id=user.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert await session_principal(token) is None

    await Session.filter(user_id=user.id).update(expires_at=datetime.now(UTC) + timedelta(days=1))
    assert await session_principal(token) is not None
    user.active = False
    await user.save()
    assert await session_principal(token) is None
