"""The JSON twin of the PDF: the figures one ReportData prints, as data.

``GET /api/audits/{uuid}/report.json`` serves :func:`report_document` of the
very ReportData the PDF is rendered from, so the two cannot disagree: the same
scores (unrounded here, rounded in print), the same things to fix in the same
order, the same benchmarks with their date. Like the PDF it holds nothing
about the auditor: ReportData has no field for it.
"""

from __future__ import annotations

from typing import Any

from audit.corrective import fix_rate
from audit.presentation import appeal_status_label, consistency_findings, touchpoint_label
from audit.report.data import Rank, ReportData
from audit.report.view import strongest_and_weakest


def report_document(data: ReportData) -> dict[str, Any]:
    """The report as JSON (CONTRACT.md, "Report data"), numbers unrounded as in the scorecard."""
    card = data.scorecard
    lang = data.language  # the labels' language; keys, ids and numbers never change with it
    touchpoint_of = {s.id: s.touchpoint for s in data.checklist.sections}
    touchpoints = data.checklist.touchpoints()
    _, weakest = strongest_and_weakest(data)
    bench = data.benchmarks
    as_of = data.generated_at.isoformat() if data.generated_at else None

    def benchmark(
        mean: float | None, audits: int, by_touchpoint: dict[str, float | None]
    ) -> dict[str, Any] | None:
        if not audits:
            return None
        return {
            "overall": mean,
            "audits": audits,
            "as_of": as_of,
            "touchpoints": {tp: by_touchpoint.get(tp) for tp in touchpoints},
        }

    doc: dict[str, Any] = {
        "uuid": data.reference,
        "location": data.location_code,
        "location_name": data.location_name,
        "region": data.region,
        "brand": data.brand,
        "checklist": data.checklist.id,
        "visited_at": data.visit_date.isoformat(),
        "overall": card.overall,
        "service": card.service,
        "experience": card.experience,
        "nps": card.nps,
        "critical_failures": list(card.critical_failures),
        "touchpoints": [
            {"id": tp, "label": touchpoint_label(tp, lang), "score": card.touchpoints.get(tp)}
            for tp in touchpoints
        ],
        "fixes": [
            {
                "item": r.item.id,
                "label": r.item.text,
                "touchpoint": touchpoint_of[r.section_id],
                "points": r.points,
                "critical": r.item.critical,
            }
            for r in weakest
        ],
        "benchmarks": {
            "region": benchmark(
                bench.region_avg, bench.region_count, dict(bench.region_touchpoints)
            ),
            "brand": benchmark(bench.brand_avg, bench.brand_count, dict(bench.brand_touchpoints)),
        },
        # Beyond the contract: frozen with the benchmarks, over the same audits.
        "rank": {
            "region": _rank(data.region_rank, data.region),
            "brand": _rank(data.brand_rank, data.brand),
        },
        "location_nps": None
        if data.location_nps is None
        else {
            "value": data.location_nps.value,
            "promoters": data.location_nps.promoters,
            "detractors": data.location_nps.detractors,
            "answers": data.location_nps.answers,
            "visits": data.location_nps.visits,
        },
        # Beyond the contract: the previous approved visit's failed and weak
        # items as this visit found them (audit.corrective), null without one.
        "since_last_visit": _since(data),
        "trend": [
            {
                "visited_at": p.visit_date.isoformat(),
                "overall": p.overall,
                # only where the visit was made for a wave: other reports keep their shape
                **({"wave": p.wave} if p.wave else {}),
            }
            for p in data.trend
        ],
        # Beyond the contract: the report's version, and HQ's decisions on the
        # owner's appeals that it includes (docs/programme.md, "Appeals").
        "version": data.version,
        "amended_at": data.amended_on.isoformat() if data.amended_on else None,
        "appeals": [
            {
                "item": a.item_id,
                "label": a.item_text,
                "touchpoint": a.touchpoint,
                "decision": a.decision,
                "decision_label": appeal_status_label(a.decision, lang),
                "before": a.before,
                "after": a.after,
                "note": a.note,
                "decided_at": a.decided_on.isoformat(),
            }
            for a in data.amendments
        ],
    }
    if card.consistency is not None:
        # Only for a checklist with consistency rules: others keep their exact document.
        doc["consistency"] = {
            "score": card.consistency.score,
            "rules": [
                f.to_dict() for f in consistency_findings(data.checklist, card.consistency, lang)
            ],
        }
    return doc


def _rank(rank: Rank | None, name: str | None) -> dict[str, Any] | None:
    if rank is None:
        return None
    return {"position": rank.position, "of": rank.of, "name": name}


def _since(data: ReportData) -> dict[str, Any] | None:
    since = data.since_last
    if since is None:
        return None
    rate = fix_rate(c.verdict for c in since.checks)
    return {
        "visited_at": since.visit_date.isoformat(),
        "fixed": rate.fixed,
        "verified": rate.verified,
        "items": [
            {
                "item": c.item_id,
                "label": c.text,
                "touchpoint": c.touchpoint,
                "before": c.before,
                "after": c.after,
                "shortfall": c.shortfall,
                "verdict": c.verdict,
                "action": None
                if c.action is None
                else {
                    "what": c.action.what,
                    "who": c.action.who,
                    "due": c.action.due.isoformat(),
                    "status": c.action.status,
                    "done_on": c.action.done_on.isoformat() if c.action.done_on else None,
                    "note": c.action.note,
                },
            }
            for c in since.checks
        ],
    }
