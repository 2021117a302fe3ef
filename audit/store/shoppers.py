"""Each shopper's record with HQ: visits, how their reports were graded, returned, rejected.

HQ-only figures (the auditor's identity never reaches owners).  Per auditor,
over their audits submitted at least once:

- ``visits``: those audits;
- ``reviewed``: those HQ decided on at least once (approved, rejected, or
  returned at least once, whatever happened after);
- ``returned``: those returned at least once; ``rejected``: those rejected;
- ``grade_sum`` / ``graded``: HQ's latest grade of each graded report;
- ``trust_sum`` / ``trusted``: the visit trust scores (audit.trust) of those
  made since proof of visit, and ``low_trust`` how many are under the bound
  the caller gives (HQ's "low trust").

The rates are shares of ``reviewed``; the mean grade is ``grade_sum /
graded``.  One statement for every auditor (or one), both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from audit.store.scope import Query, brand_locations_sql, brand_users_sql


@dataclass(frozen=True)
class ShopperRecord:
    id: int
    name: str
    email: str
    active: bool
    visits: int
    reviewed: int
    returned: int
    rejected: int
    graded: int
    grade_sum: int
    trusted: int
    trust_sum: int
    low_trust: int
    last_visit: date | None

    @property
    def trust(self) -> float | None:
        return self.trust_sum / self.trusted if self.trusted else None

    @property
    def grade(self) -> float | None:
        return self.grade_sum / self.graded if self.graded else None

    @property
    def return_rate(self) -> float | None:
        return self.returned / self.reviewed if self.reviewed else None

    @property
    def rejection_rate(self) -> float | None:
        return self.rejected / self.reviewed if self.reviewed else None


# Returns are found per audit through review_event's audit index, and only the
# audits of the auditors asked for are read (the review queue asks for the
# few on its page).
_RECORDS = """
SELECT u.id, u.name, u.email, u.active,
       COUNT(a.id) AS visits,
       COUNT(CASE WHEN a.status IN ('approved', 'rejected') OR a.was_returned = 1
             THEN 1 END) AS reviewed,
       COUNT(CASE WHEN a.was_returned = 1 THEN 1 END) AS returned,
       COUNT(CASE WHEN a.status = 'rejected' THEN 1 END) AS rejected,
       COUNT(a.grade) AS graded,
       COALESCE(SUM(a.grade), 0) AS grade_sum,
       COUNT(a.trust_score) AS trusted,
       COALESCE(SUM(a.trust_score), 0) AS trust_sum,
       COUNT(CASE WHEN a.trust_score < {low} THEN 1 END) AS low_trust,
       MAX(a.visit_date) AS last_visit
FROM "user" u
LEFT JOIN (
  SELECT a.id, a.auditor_id, a.status, a.grade, a.trust_score, a.visit_date,
         CASE WHEN EXISTS (SELECT 1 FROM review_event e
                           WHERE e.audit_id = a.id AND e.action = 'return')
              THEN 1 ELSE 0 END AS was_returned
  FROM audit a WHERE a.submitted_at IS NOT NULL {audits_of}
) a ON a.auditor_id = u.id
WHERE u.role = 'auditor' {only}
GROUP BY u.id, u.name, u.email, u.active
ORDER BY u.name, u.email
"""


async def shopper_records(
    low_trust_below: int, user_ids: Sequence[int] | None = None, brand_ids: Sequence[int] = ()
) -> list[ShopperRecord]:
    """Every auditor's record (or those of ``user_ids``), by name.

    ``brand_ids``: only the auditors of those brands, their figures counted
    over the audits of those brands' locations (a brand-limited HQ user's view).
    """
    if user_ids is not None and not user_ids:
        return []
    q = Query()
    low = q(low_trust_below)  # parameters in the order of the text
    audits_of = only = ""
    if user_ids is not None:
        audits_of = f"AND a.auditor_id IN ({', '.join(q(i) for i in user_ids)})"
    if brand_ids:
        audits_of += f" AND a.location_id IN ({brand_locations_sql(brand_ids, q)})"
    if user_ids is not None:
        only = f"AND u.id IN ({', '.join(q(i) for i in user_ids)})"
    if brand_ids:
        only += f" AND u.id IN ({brand_users_sql(brand_ids, q)})"
    sql = _RECORDS.format(low=low, audits_of=audits_of, only=only)
    return [_record(r) for r in await q.rows(sql)]


async def auditor_names(brand_ids: Sequence[int] = ()) -> list[tuple[int, str]]:
    """Every auditor's id and name (or e-mail), for choosing one; by name (``brand_ids``:
    those of these brands only)."""
    q = Query()
    only = f" AND id IN ({brand_users_sql(brand_ids, q)})" if brand_ids else ""
    rows = await q.rows(
        f"SELECT id, name, email FROM \"user\" WHERE role = 'auditor'{only} ORDER BY name, email"
    )
    return [(int(r["id"]), str(r["name"] or r["email"])) for r in rows]


def _record(r: dict[str, Any]) -> ShopperRecord:
    last = r["last_visit"]
    if isinstance(last, str):  # SQLite keeps dates as ISO text
        last = date.fromisoformat(last[:10])
    elif isinstance(last, datetime):
        last = last.date()
    return ShopperRecord(
        id=int(r["id"]),
        name=str(r["name"] or ""),
        email=str(r["email"]),
        active=bool(r["active"]),
        visits=int(r["visits"]),
        reviewed=int(r["reviewed"]),
        returned=int(r["returned"]),
        rejected=int(r["rejected"]),
        graded=int(r["graded"]),
        grade_sum=int(r["grade_sum"]),
        trusted=int(r["trusted"]),
        trust_sum=int(r["trust_sum"]),
        low_trust=int(r["low_trust"]),
        last_visit=last,
    )


_AUDITS = """
SELECT a.uuid, a.status, a.visit_date, a.overall, a.grade, a.grade_note, a.review_note,
       a.submitted_at, a.trust_score, l.code AS location, l.name AS location_name,
       cv.title AS checklist_title,
       (SELECT COUNT(*) FROM review_event e WHERE e.audit_id = a.id AND e.action = 'return')
         AS returns
FROM audit a JOIN location l ON l.id = a.location_id
JOIN checklist_version cv ON cv.id = a.checklist_id
WHERE a.auditor_id = {auditor} AND a.submitted_at IS NOT NULL {brands}
ORDER BY a.visit_date DESC, a.id DESC
LIMIT {limit}
"""


async def shopper_audits(
    user_id: int, limit: int, brand_ids: Sequence[int] = ()
) -> list[dict[str, Any]]:
    """The auditor's audits submitted at least once, newest visit first (``brand_ids``:
    at those brands' locations only)."""
    q = Query()
    auditor = q(user_id)
    brands = f"AND a.location_id IN ({brand_locations_sql(brand_ids, q)})" if brand_ids else ""
    sql = _AUDITS.format(auditor=auditor, brands=brands, limit=q(limit))
    return await q.rows(sql)
