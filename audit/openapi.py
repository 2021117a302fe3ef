"""The OpenAPI 3.1 description served at /openapi.json (as JSON, not YAML)."""

from __future__ import annotations

from functools import cache
from typing import Any

from audit import __version__
from audit.i18n import LANGUAGES
from audit.models import APPEAL_STATUSES, STATUSES

_UUID = {"type": "string", "format": "uuid"}
_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "missing": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["error", "fields"],
}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_ANSWER = {
    "type": "object",
    "properties": {
        "value": {
            "description": "true/false, a number, text or an option's value; time_range:"
            ' {"from": "09:00", "to": "17:30"}; money: {"amount": "12.99", "currency": "EUR"}',
            "oneOf": [
                {"type": ["boolean", "number", "string", "null"]},
                {
                    "type": "object",
                    "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
                    "required": ["from", "to"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {
                        "amount": {"type": ["string", "number"]},
                        "currency": {"type": "string"},
                    },
                    "required": ["amount"],
                    "additionalProperties": False,
                },
            ],
        },
        "na": {"type": "boolean"},
        "comment": {"type": ["string", "null"], "maxLength": 4000},
        "photos": {"type": ["array", "null"], "items": {"type": "string"}},
    },
    "additionalProperties": False,
}
_AUDIT_IN = {
    "type": "object",
    "properties": {
        "checklist": {"type": "string", "minLength": 1},
        "checklist_hash": {"type": "string", "minLength": 64, "maxLength": 64},
        "location": {"type": "string", "minLength": 1},
        "visited_at": {"type": ["string", "null"], "format": "date-time"},
        "started_at": {"type": ["string", "null"], "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
        "answers": {"type": "object", "additionalProperties": _ANSWER},
        "touchpoint_dates": {
            "type": ["object", "null"],
            "description": "section id → the day of that touchpoint (not in the future)",
            "additionalProperties": {"type": "string", "format": "date"},
        },
        "assignment": {
            "type": ["integer", "null"],
            "description": "the assignment the audit is started from (the auditor's, or open)",
        },
    },
    "required": ["checklist", "location", "answers"],
    "additionalProperties": False,
}
_SCORECARD = {
    "type": ["object", "null"],
    "properties": {
        "overall": _NULLABLE_NUMBER,
        "service": _NULLABLE_NUMBER,
        "experience": _NULLABLE_NUMBER,
        "sections": {"type": "object"},
        "touchpoints": {"type": "object"},
        "critical_failures": {"type": "array", "items": {"type": "string"}},
        "nps": {"type": ["integer", "null"]},
        "missing": {"type": "array", "items": {"type": "string"}},
        "consistency": {
            "type": "object",
            "description": "only for a checklist with consistency rules (docs/scoring.md)",
            "properties": {
                "score": _NULLABLE_NUMBER,
                "earned": {"type": "number"},
                "possible": {"type": "number"},
                "rules": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {
                            "result": {
                                "type": "string",
                                "enum": ["agree", "disagree", "not_checked"],
                            },
                            "values": {"type": "object"},
                        },
                    },
                },
                "critical_failures": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}
_AUDIT_OUT = {
    "type": "object",
    "properties": {
        "uuid": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "revision": {
            "type": "integer",
            "minimum": 1,
            "description": 'also the ETag ("r<revision>"); not in owners\' views',
        },
        "location": {"type": "string"},
        "location_name": {"type": "string"},
        "checklist": {"type": "string"},
        "checklist_title": {"type": "string"},
        "checklist_version": {"type": "integer"},
        "checklist_hash": {"type": "string"},
        "visited_at": {"type": ["string", "null"]},
        "answers": {"type": "object"},
        "touchpoint_dates": {"type": "object", "additionalProperties": {"type": "string"}},
        "photos": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"uuid": {"type": "string"}, "item": {"type": "string"}},
            },
        },
        "scorecard": _SCORECARD,
        "display": {
            "type": "object",
            "description": "the scorecard's figures and labels as every output prints them",
        },
        "overall": _NULLABLE_NUMBER,
        "review_note": {"type": "string", "description": "HQ's note; not in owners' views"},
        "item_notes": {
            "type": "object",
            "description": "HQ's notes per item of a returned audit; not in owners' views",
            "additionalProperties": {"type": "string"},
        },
        "grade": {
            "type": ["integer", "null"],
            "description": "HQ's 1-5 grade of the report; not in owners' views",
        },
        "grade_note": {"type": "string", "description": "not in owners' views"},
        "visit": {
            "type": "object",
            "description": "proof of visit (GET; never in owners' views): check_in and"
            " check_out as the phone sent them, and for HQ the trust score with its reasons",
            "properties": {
                "check_in": {"type": ["object", "null"]},
                "check_out": {"type": ["object", "null"]},
                "trust": {"type": ["object", "null"]},
            },
        },
    },
    "required": ["uuid", "status", "location", "checklist", "answers", "scorecard"],
}
_SHOPPER = {
    "type": "object",
    "description": "an auditor's record with HQ (HQ only); rates are shares of the"
    " visits HQ decided on",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "email": {"type": "string"},
        "active": {"type": "boolean"},
        "visits": {"type": "integer"},
        "reviewed": {"type": "integer"},
        "returned": {"type": "integer"},
        "rejected": {"type": "integer"},
        "graded": {"type": "integer"},
        "grade": _NULLABLE_NUMBER,
        "return_rate": _NULLABLE_NUMBER,
        "rejection_rate": _NULLABLE_NUMBER,
        "trust": _NULLABLE_NUMBER,
        "trusted": {"type": "integer"},
        "low_trust": {"type": "integer"},
        "last_visit": {"type": ["string", "null"], "format": "date"},
        "audits": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["id", "visits", "grade", "return_rate", "rejection_rate"],
}
_READING_IN = {
    "type": "object",
    "description": "the phone's Geolocation reading, or why there is none",
    "properties": {
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "accuracy": {"type": "number", "minimum": 0, "maximum": 1_000_000},
        "time": {"type": "string", "format": "date-time", "description": "the phone's clock"},
        "permission": {
            "type": "string",
            "enum": ["denied", "unavailable"],
            "description": "the shopper refused, or no position was found (then no position)",
        },
    },
    "additionalProperties": False,
}
_CHECK_OUT = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["check_in", "check_out"]},
        "permission": {"type": "string", "enum": ["granted", "denied", "unavailable"]},
        "latitude": _NULLABLE_NUMBER,
        "longitude": _NULLABLE_NUMBER,
        "accuracy": _NULLABLE_NUMBER,
        "time": {"type": "string", "format": "date-time"},
        "received_at": {"type": "string", "format": "date-time"},
    },
    "required": ["kind", "permission", "time", "received_at"],
}
_PLACE = {
    "type": "object",
    "properties": {
        "latitude": _NULLABLE_NUMBER,
        "longitude": _NULLABLE_NUMBER,
        "hours": {
            "type": ["object", "null"],
            "description": 'weekday (mon..sun) → [["HH:MM", "HH:MM"], ...]; a day left out is'
            " closed",
            "additionalProperties": {"type": "array"},
        },
        "timezone": {"type": ["string", "null"], "description": "IANA name, like Europe/Paris"},
    },
}
_OWNER_TEXT = {
    "type": "object",
    "description": "one free text: the auditor's words, the owner's copy, what is flagged",
    "properties": {
        "item": {"type": "string"},
        "field": {"type": "string", "enum": ["value", "comment"]},
        "original": {"type": "string"},
        "text": {"type": "string", "description": "the owner's copy"},
        "edited": {"type": "boolean"},
        "cleared": {"type": "boolean"},
        "flags": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ["time", "email", "phone", "name"]},
                    "text": {"type": "string"},
                    "start": {"type": "integer"},
                    "end": {"type": "integer"},
                },
            },
        },
        "released": {"type": "boolean", "description": "owners read the copy"},
    },
    "required": ["item", "field", "original", "text", "cleared", "flags", "released"],
}
_AUDIT_OUT["properties"]["owner_text"] = {  # type: ignore[index]
    "type": "array",
    "items": _OWNER_TEXT,
    "description": "HQ only: every free text with its owner's copy",
}
_AUDIT_ROW = {
    "type": "object",
    "properties": {
        "uuid": {"type": "string"},
        "status": {"type": "string"},
        "location": {"type": "string"},
        "checklist": {"type": "string"},
        "visited_at": {"type": ["string", "null"]},
        "overall": _NULLABLE_NUMBER,
    },
    "required": ["uuid", "status", "location", "checklist", "visited_at", "overall"],
}
_SESSION = {
    "type": "object",
    "properties": {
        "role": {"type": "string", "enum": ["auditor", "owner", "hq"]},
        "csrf_token": {"type": "string"},
        "name": {"type": "string"},
        "email": {"type": "string"},
        "language": {
            "type": ["string", "null"],
            "enum": [*LANGUAGES, None],
            "description": "the language the user chose; null when none",
        },
        "languages": {
            "type": "array",
            "items": {"type": "string", "enum": list(LANGUAGES)},
            "description": "the languages the service speaks",
        },
    },
    "required": ["role", "csrf_token"],
}
_COMPARE_ROW = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "region": {"type": ["string", "null"]},
        "audits": {"type": "integer"},
        "overall": _NULLABLE_NUMBER,
        "service": _NULLABLE_NUMBER,
        "experience": _NULLABLE_NUMBER,
        "nps": _NULLABLE_NUMBER,
        "touchpoints": {"type": "object", "additionalProperties": _NULLABLE_NUMBER},
        "rank": {
            "type": ["integer", "null"],
            "description": "1 = best overall; null when not ranked",
        },
        "ranked": {
            "type": "boolean",
            "description": "false: fewer approved audits than AUDIT_MIN_VISITS (not enough visits)",
        },
        "critical_failures": {
            "type": "integer",
            "description": "audits with a failed critical item (their overall is capped)",
        },
        "n": {
            "type": "object",
            "description": "audits behind each mean (nps: NPS answers)",
            "properties": {
                k: {"type": "integer"} for k in ("overall", "service", "experience", "nps")
            },
        },
        "previous_overall": _NULLABLE_NUMBER,
        "change": _NULLABLE_NUMBER,
    },
    "required": [
        "code",
        "name",
        "region",
        "audits",
        "overall",
        "service",
        "experience",
        "nps",
        "touchpoints",
    ],
}
_BENCHMARK = {
    "type": ["object", "null"],
    "description": "means of other locations' approved audits of the checklist visited on"
    " or before this visit, within a year; null when there are none",
    "properties": {
        "overall": _NULLABLE_NUMBER,
        "audits": {"type": "integer", "minimum": 1},
        "as_of": {"type": ["string", "null"], "format": "date"},
        "touchpoints": {"type": "object", "additionalProperties": _NULLABLE_NUMBER},
    },
    "required": ["overall", "audits", "as_of"],
}
_REPORT_DATA = {
    "type": "object",
    "description": "the figures the experience report (PDF) prints, unrounded",
    "properties": {
        "uuid": _UUID,
        "location": {"type": "string"},
        "location_name": {"type": "string"},
        "region": {"type": ["string", "null"]},
        "brand": {"type": "string"},
        "checklist": {"type": "string"},
        "visited_at": {"type": "string", "format": "date"},
        "overall": _NULLABLE_NUMBER,
        "service": _NULLABLE_NUMBER,
        "experience": _NULLABLE_NUMBER,
        "nps": {"type": ["integer", "null"]},
        "critical_failures": {"type": "array", "items": {"type": "string"}},
        "touchpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "label": {"type": "string"},
                    "score": _NULLABLE_NUMBER,
                },
                "required": ["id", "label", "score"],
            },
        },
        "fixes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "item": {"type": "string"},
                    "label": {"type": "string"},
                    "touchpoint": {"type": "string"},
                    "points": {"type": "number", "minimum": 0, "maximum": 1},
                    "critical": {"type": "boolean"},
                },
                "required": ["item", "touchpoint", "points"],
            },
        },
        "benchmarks": {
            "type": "object",
            "properties": {"region": _BENCHMARK, "brand": _BENCHMARK},
            "required": ["region", "brand"],
        },
        "trend": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "visited_at": {"type": "string", "format": "date"},
                    "overall": _NULLABLE_NUMBER,
                    "wave": {
                        "type": "string",
                        "description": "the wave the visit was made for, only where it was",
                    },
                },
            },
        },
        "version": {"type": "integer", "minimum": 1},
        "amended_at": {"type": ["string", "null"], "format": "date"},
        "appeals": {
            "type": "array",
            "description": "HQ's decisions on the owner's appeals this version includes",
            "items": {
                "type": "object",
                "properties": {
                    "item": {"type": "string"},
                    "label": {"type": "string"},
                    "touchpoint": {"type": "string"},
                    "decision": {"type": "string", "enum": list(APPEAL_STATUSES[1:])},
                    "decision_label": {"type": "string"},
                    "before": {"type": "string"},
                    "after": {"type": "string"},
                    "note": {"type": "string"},
                    "decided_at": {"type": "string", "format": "date"},
                },
                "required": ["item", "decision", "before", "after", "note", "decided_at"],
            },
        },
    },
    "required": [
        "uuid",
        "location",
        "visited_at",
        "overall",
        "service",
        "experience",
        "nps",
        "critical_failures",
        "touchpoints",
        "fixes",
        "benchmarks",
    ],
}


_BINARY = {"type": "string", "format": "binary"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_ACTION_CHECK = {
    "type": ["object", "null"],
    "description": "what the next approved visit of the checklist found (null: none yet)",
    "properties": {
        "verdict": {"type": "string", "enum": ["fixed", "still_failing", "not_checked"]},
        "label": {"type": "string"},
        "visited_at": {"type": "string", "format": "date"},
    },
}
_ACTION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "audit": {"type": "string"},
        "item": {"type": "string"},
        "item_text": {"type": "string"},
        "touchpoint": {"type": "string"},
        "touchpoint_label": {"type": "string"},
        "what": {"type": "string"},
        "who": {"type": "string", "description": "a name or role in the owner's team"},
        "due": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": ["open", "done"]},
        "overdue": {"type": "boolean"},
        "done_at": _NULLABLE_TEXT,
        "note": {"type": "string"},
        "created_at": _NULLABLE_TEXT,
        "updated_at": _NULLABLE_TEXT,
        "check": _ACTION_CHECK,
        "location": {"type": "string"},
        "location_name": {"type": "string"},
        "region": _NULLABLE_TEXT,
        "checklist": {"type": "string"},
        "visited_at": _NULLABLE_TEXT,
    },
    "required": ["id", "audit", "item", "what", "who", "due", "status", "overdue", "check"],
}
_ACTION_IN = {
    "type": "object",
    "properties": {
        "what": {"type": "string", "minLength": 1, "maxLength": 2000},
        "who": {"type": "string", "minLength": 1, "maxLength": 200},
        "due": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": ["open", "done"]},
        "note": {"type": "string", "maxLength": 2000},
    },
    "additionalProperties": False,
}
_ACTION_LIST = {
    "type": "object",
    "properties": {
        "total": {"type": "integer"},
        "actions": {"type": "array", "items": _ACTION},
        "fix_rates": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "region": _NULLABLE_TEXT,
                    "fixed": {"type": "integer"},
                    "verified": {"type": "integer"},
                    "rate": _NULLABLE_NUMBER,
                },
            },
        },
    },
    "required": ["total", "actions", "fix_rates"],
}
_AUDIT_ACTIONS = {
    "type": "object",
    "properties": {
        "audit": {"type": "string"},
        "location": {"type": "string"},
        "location_name": {"type": "string"},
        "checklist": {"type": "string"},
        "visited_at": _NULLABLE_TEXT,
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "item": {"type": "string"},
                    "text": {"type": "string"},
                    "touchpoint": {"type": "string"},
                    "points": _NULLABLE_NUMBER,
                    "shortfall": {"type": ["string", "null"], "enum": ["failed", "weak", None]},
                    "answer": _NULLABLE_TEXT,
                    "action": {"oneOf": [_ACTION, {"type": "null"}]},
                },
            },
        },
    },
    "required": ["audit", "items"],
}
_CHOSEN_ANSWER = {
    "type": ["object", "null"],
    "description": '{"value": ...} (checked against the item) or {"na": true}',
    "properties": {
        "value": {"type": ["boolean", "number", "string"]},
        "na": {"type": "boolean"},
    },
    "additionalProperties": False,
}
_APPEAL = {
    "type": "object",
    "properties": {
        "uuid": _UUID,
        "audit": _UUID,
        "location": {"type": "string"},
        "location_name": {"type": "string"},
        "checklist": {"type": "string"},
        "visited_at": {"type": ["string", "null"], "format": "date"},
        "item": {"type": "string"},
        "item_text": {"type": "string"},
        "touchpoint": {"type": ["string", "null"]},
        "reason": {"type": "string"},
        "proposed": _CHOSEN_ANSWER,
        "proposed_text": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": list(APPEAL_STATUSES)},
        "status_label": {"type": "string"},
        "opened_at": {"type": "string", "format": "date-time"},
        "due_at": {"type": "string", "format": "date-time"},
        "overdue": {"type": "boolean"},
        "photo": {"type": "boolean"},
        "answer_text": {"type": ["string", "null"]},
        "decision": {"type": ["object", "null"]},
    },
    "required": ["uuid", "audit", "item", "status", "due_at", "decision"],
}
_APPEAL_ROW = {
    "type": "object",
    "properties": {
        "uuid": _UUID,
        "audit": _UUID,
        "location": {"type": "string"},
        "item": {"type": "string"},
        "item_text": {"type": "string"},
        "status": {"type": "string", "enum": list(APPEAL_STATUSES)},
        "due_at": {"type": "string", "format": "date-time"},
        "overdue": {"type": "boolean"},
    },
    "required": ["uuid", "audit", "item", "status", "due_at", "overdue"],
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error() -> dict[str, Any]:
    return {"description": "error", "content": _json(_ERROR)}


def _errors(codes: tuple[int, ...]) -> dict[str, Any]:
    return {str(code): _error() for code in codes}


def _responses(ok: int, schema: dict[str, Any] | None, *errors: int) -> dict[str, Any]:
    body: dict[str, Any] = {"description": "OK"}
    if schema is not None:
        body["content"] = _json(schema)
    return {str(ok): body, **_errors(errors)}


def _file(
    media_type: str,
    *errors: int,
    description: str = "a file download",
    schema: dict[str, Any] = _BINARY,
) -> dict[str, Any]:
    """A 200 whose body is a file of ``media_type`` (not JSON), and JSON errors."""
    return {
        "200": {"description": description, "content": {media_type: {"schema": schema}}},
        **_errors(errors),
    }


def _check_operation(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": "201 stored; 200 the same reading again (the outbox re-sending);"
            " 409 a different one, or the audit is submitted",
            "parameters": [_path_param("uuid"), _CSRF],
            "requestBody": {"required": True, "content": _json(_READING_IN)},
            "responses": {
                **_responses(201, _CHECK_OUT, 400, 401, 403, 404, 409, 422),
                "200": {"description": "already stored", "content": _json(_CHECK_OUT)},
            },
        }
    }


def _path_param(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or _UUID}


def _query(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


_ID = {"type": "string", "pattern": "^[0-9]+$"}
# ?lang= picks the language of an answer's texts (docs/api.md, "Languages").
_LANG = _query("lang", {"type": "string", "enum": list(LANGUAGES)})
_ASSIGNMENT_FILTERS = (
    "open",
    "started",
    "submitted",
    "approved",
    "returned",
    "unassigned",
    "overdue",
)
_ASSIGNMENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "location": {"type": "string"},
        "location_name": {"type": "string"},
        "address": {"type": "string"},
        "assigned": {"type": "string", "format": "date"},
        "checklist": {"type": "string"},
        "checklist_title": {"type": "string"},
        "due": {"type": ["string", "null"], "format": "date"},
        "notes": {"type": "string"},
        "audit": {"type": ["string", "null"]},
        "state": {"type": "string"},
        "wave": {"type": ["string", "null"]},
        "coverage": {"type": "string"},
        "claimed": {"type": "boolean"},
        "overdue": {"type": "boolean"},
        "release_by": {"type": ["string", "null"], "format": "date"},
        "mine": {"type": "boolean", "description": "auditors: the visit is theirs"},
        "can_release": {"type": "boolean", "description": "auditors: it may be given back now"},
        "auditor": {"type": ["string", "null"], "description": "HQ: who has it"},
        "auditor_name": {"type": ["string", "null"]},
    },
    "required": ["id", "location", "checklist", "due", "state", "wave", "overdue"],
}
_PROGRESS = {
    "type": "object",
    "properties": {
        name: {"type": "integer", "minimum": 0}
        for name in ("planned", "claimed", "started", "submitted", "approved", "overdue")
    },
}
_COVERAGE = {
    "type": "object",
    "properties": {
        "days": {"type": "array", "items": {"type": "string", "enum": ["weekday", "weekend"]}},
        "dayparts": {
            "type": "array",
            "items": {"type": "string", "enum": ["morning", "lunch", "afternoon", "evening"]},
        },
    },
    "additionalProperties": False,
}
_WAVE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "checklist": {"type": "string"},
        "checklist_title": {"type": "string"},
        "version": {"type": "integer"},
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "visits": {"type": "integer"},
        "coverage": _COVERAGE,
        "allow_repeat": {"type": "boolean"},
        "release_days": {"type": "integer"},
        "progress": _PROGRESS,
        "regions": {"type": "array", "items": _PROGRESS},
    },
    "required": ["id", "name", "checklist", "version", "from", "to", "progress"],
}
_WAVE_IN = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "checklist": {"type": "string"},
        "version": {"type": ["integer", "null"]},
        "locations": {
            "description": '"all", or a list of location codes',
            "oneOf": [
                {"type": "string", "enum": ["all"]},
                {"type": "array", "items": {"type": "string"}},
            ],
        },
        "region": {"type": "string"},
        "locations_csv": {"type": "string", "description": "a CSV of codes (column code)"},
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "visits": {"type": "integer", "minimum": 1, "maximum": 12},
        "coverage": _COVERAGE,
        "allow_repeat": {"type": "boolean"},
        "release_days": {"type": "integer", "minimum": 0, "maximum": 60},
        "notes": {"type": "string", "maxLength": 2000},
    },
    "required": ["name", "checklist", "from", "to"],
    "additionalProperties": False,
}
_CSV = "text/csv"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


_CSRF = {"name": "X-CSRF-Token", "in": "header", "required": False, "schema": {"type": "string"}}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'the audit\'s ETag ("r<revision>") the write is based on, or *; '
    "412 with the server's audit when it is stale",
    "schema": {"type": "string"},
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "304 when the audit still has this ETag",
    "schema": {"type": "string"},
}
_ETAG = {"ETag": {"description": '"r<revision>"', "schema": {"type": "string"}}}
_STALE = {
    "412": {
        "description": "If-Match names an older revision: the body holds the server's audit",
        "headers": _ETAG,
        "content": _json(
            {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "fields": {"type": "object"},
                    "revision": {"type": "integer"},
                    "audit": _AUDIT_OUT,
                },
                "required": ["error", "fields"],
            }
        ),
    }
}


def _with_etag(responses: dict[str, Any], *codes: str) -> dict[str, Any]:
    for code in codes:
        responses[code] = {**responses[code], "headers": _ETAG}
    return responses


def _document_common_errors(paths: dict[str, Any]) -> None:
    """Errors any API call can get: a malformed URL (400, e.g. a NUL byte), and for
    cookie writes a missing CSRF token or a foreign Origin (403)."""
    for path, item in paths.items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            responses = operation["responses"]
            responses.setdefault("400", _error())
            if method in ("post", "put", "patch", "delete"):
                responses.setdefault("403", _error())


@cache
def openapi_schema() -> dict[str, Any]:
    compare_params = [
        _query("checklist", {"type": "string", "minLength": 1}, required=True),
        _query("region", {"type": "string"}),
        _query("from", {"type": "string", "format": "date"}),
        _query("to", {"type": "string", "format": "date"}),
        _query("version", {"type": "integer"}),
    ]
    export_params = [
        _query("status", {"type": "string", "enum": ["all", *STATUSES], "default": "approved"}),
        *(dict(p, required=False) for p in compare_params),
    ]
    answer_params = [
        *export_params,
        _query("location", {"type": "string"}),
        _query("raw", {"type": "string", "enum": ["", "0", "1", "true"]}),
    ]
    paths: dict[str, Any] = {
        "/api/session": {
            "post": {
                "summary": "Sign in",
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {
                                "email": {"type": "string"},
                                "password": {"type": "string"},
                            },
                            "required": ["email", "password"],
                        }
                    ),
                },
                "responses": _responses(200, _SESSION, 400, 401, 403, 422, 429),
            },
            "get": {"summary": "The current session", "responses": _responses(200, _SESSION, 401)},
            "patch": {
                "summary": "Choose the signed-in user's language (null: none chosen)",
                "parameters": [_CSRF],
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {
                                "language": {"type": ["string", "null"], "enum": [*LANGUAGES, None]}
                            },
                            "required": ["language"],
                            "additionalProperties": False,
                        }
                    ),
                },
                "responses": _responses(200, _SESSION, 400, 401, 403, 422),
            },
            "delete": {
                "summary": "Sign out",
                "parameters": [_CSRF],
                "responses": _responses(204, None, 401, 403),
            },
        },
        "/api/password-reset": {
            "post": {
                "summary": "E-mail a link to choose a new password (one answer for any address)",
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {"email": {"type": "string", "maxLength": 254}},
                            "required": ["email"],
                        }
                    ),
                },
                "responses": _responses(
                    202,
                    {
                        "type": "object",
                        "properties": {"message": {"type": "string"}},
                        "required": ["message"],
                    },
                    400,
                    403,
                    422,
                    429,
                ),
            },
        },
        "/api/password-link": {
            "post": {
                "summary": "Whom an invitation or reset link is for; 404 once it no longer works",
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {"token": {"type": "string", "maxLength": 200}},
                            "required": ["token"],
                        }
                    ),
                },
                "responses": _responses(
                    200,
                    {
                        "type": "object",
                        "properties": {
                            "purpose": {"type": "string", "enum": ["invite", "reset"]},
                            "email": {"type": "string"},
                            "name": {"type": "string"},
                            "expires_at": {"type": "string", "format": "date-time"},
                        },
                        "required": ["purpose", "email", "name", "expires_at"],
                    },
                    400,
                    403,
                    404,
                    422,
                    429,
                ),
            },
        },
        "/api/password": {
            "post": {
                "summary": "Choose a password from a link: ends every other session, signs in",
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {
                                "token": {"type": "string", "maxLength": 200},
                                "password": {"type": "string", "maxLength": 1024},
                            },
                            "required": ["token", "password"],
                        }
                    ),
                },
                "responses": _responses(200, _SESSION, 400, 403, 404, 422, 429),
            },
        },
        "/api/locations": {
            "get": {
                "summary": "Locations the caller may see",
                "responses": _responses(
                    200,
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "name": {"type": "string"},
                                "region": {"type": ["string", "null"]},
                            },
                            "required": ["code", "name", "region"],
                        },
                    },
                    401,
                ),
            }
        },
        "/api/checklists": {
            "get": {
                "summary": "Current checklists",
                "responses": _responses(
                    200,
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "string"},
                                "title": {"type": "string"},
                                "version": {"type": "integer"},
                            },
                            "required": ["id", "title", "version"],
                        },
                    },
                    401,
                    422,
                ),
                "parameters": [_LANG],
            }
        },
        "/api/checklists/{checklist_id}": {
            "get": {
                "summary": "One checklist in full (YAML shape), its texts in one language",
                "parameters": [
                    _path_param("checklist_id", {"type": "string"}),
                    _query("hash", {"type": "string"}),
                    _LANG,
                ],
                "responses": _responses(
                    200,
                    {
                        "type": "object",
                        "properties": {
                            "language": {
                                "type": "string",
                                "enum": list(LANGUAGES),
                                "description": "the language of its texts: the one asked"
                                " for when the checklist has it, else its own",
                            },
                            "languages": {
                                "type": "array",
                                "items": {"type": "string", "enum": list(LANGUAGES)},
                                "description": "its own language, then those it has"
                                " (some or all) texts in",
                            },
                        },
                        "required": ["language", "languages"],
                    },
                    401,
                    404,
                    422,
                ),
            }
        },
        "/api/assignments": {
            "get": {
                "summary": "Visits: an auditor's own and the job board's open ones; HQ's all",
                "parameters": [
                    _query("state", {"type": "string", "enum": list(_ASSIGNMENT_FILTERS)}),
                    _query("wave", {"type": "string", "pattern": "^[0-9]+$"}),
                ],
                "responses": _responses(
                    200, {"type": "array", "items": _ASSIGNMENT}, 401, 404, 422
                ),
            },
            "post": {
                "summary": "Assign a visit (HQ)",
                "parameters": [_CSRF],
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {
                                "location": {"type": "string"},
                                "checklist": {"type": "string"},
                                "auditor": {"type": ["string", "null"]},
                                "due": {"type": ["string", "null"], "format": "date"},
                                "notes": {"type": "string"},
                            },
                            "required": ["location", "checklist"],
                            "additionalProperties": False,
                        }
                    ),
                },
                "responses": _responses(201, {"type": "object"}, 400, 401, 403, 404, 422),
            },
        },
        "/api/assignments/{assignment_id}/claim": {
            "post": {
                "summary": "Claim an open visit from the job board (auditor)",
                "parameters": [_path_param("assignment_id", _ID), _CSRF],
                "responses": _responses(200, _ASSIGNMENT, 401, 403, 404, 409),
            }
        },
        "/api/assignments/{assignment_id}/release": {
            "post": {
                "summary": "Give a claimed visit back to the job board (auditor)",
                "parameters": [_path_param("assignment_id", _ID), _CSRF],
                "responses": _responses(200, _ASSIGNMENT, 401, 403, 404, 409),
            }
        },
        "/api/assignments/{assignment_id}/assign": {
            "post": {
                "summary": "Give a visit to an auditor, or back to the job board (HQ)",
                "parameters": [_path_param("assignment_id", _ID), _CSRF],
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {"auditor": {"type": ["string", "null"]}},
                            "required": ["auditor"],
                            "additionalProperties": False,
                        }
                    ),
                },
                "responses": _responses(200, _ASSIGNMENT, 400, 401, 403, 404, 409, 422),
            }
        },
        "/api/waves": {
            "get": {
                "summary": "Waves, the latest first, with their progress (HQ)",
                "responses": _responses(200, {"type": "array", "items": _WAVE}, 401, 404),
            },
            "post": {
                "summary": "Create a wave and its assignments (HQ)",
                "parameters": [_CSRF],
                "requestBody": {"required": True, "content": _json(_WAVE_IN)},
                "responses": _responses(201, _WAVE, 400, 401, 403, 404, 422),
            },
        },
        "/api/waves/{wave_id}": {
            "get": {
                "summary": "One wave's progress per region (HQ); by id or name",
                "parameters": [_path_param("wave_id", {"type": "string"})],
                "responses": _responses(200, _WAVE, 401, 404),
            }
        },
        "/api/audits": {
            "get": {
                "summary": "Audits the caller may see, newest first",
                "parameters": [
                    _query("status", {"type": "string", "enum": list(STATUSES)}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 10000}),
                    _query("offset", {"type": "integer", "minimum": 0}),
                ],
                "responses": _responses(200, {"type": "array", "items": _AUDIT_ROW}, 401, 422),
            }
        },
        "/api/audits/{uuid}": {
            "get": {
                "summary": "One audit with its scorecard",
                "parameters": [_path_param("uuid"), _IF_NONE_MATCH],
                "responses": {
                    **_with_etag(_responses(200, _AUDIT_OUT, 401, 404, 422), "200"),
                    "304": {"description": "not modified", "headers": _ETAG},
                },
            },
            "put": {
                "summary": "Save a draft (idempotent)",
                "parameters": [_path_param("uuid"), _CSRF, _IF_MATCH],
                "requestBody": {"required": True, "content": _json(_AUDIT_IN)},
                "responses": {
                    **_with_etag(
                        _responses(200, _AUDIT_OUT, 400, 401, 403, 404, 409, 413, 422), "200"
                    ),
                    "201": {
                        "description": "created",
                        "content": _json(_AUDIT_OUT),
                        "headers": _ETAG,
                    },
                    **_STALE,
                },
            },
            "delete": {
                "summary": "Discard the caller's own draft (never submitted) and its photos",
                "parameters": [_path_param("uuid"), _CSRF, _IF_MATCH],
                "responses": {**_responses(204, None, 400, 401, 403, 404, 409, 422), **_STALE},
            },
        },
        "/api/audits/{uuid}/submit": {
            "post": {
                "summary": "Submit (idempotent; 409 for a different payload)",
                "parameters": [_path_param("uuid"), _CSRF, _IF_MATCH],
                "requestBody": {"required": False, "content": _json(_AUDIT_IN)},
                "responses": {
                    **_with_etag(
                        _responses(200, _AUDIT_OUT, 400, 401, 403, 404, 409, 413, 422), "200"
                    ),
                    **_STALE,
                },
            }
        },
        "/api/audits/{uuid}/review": {
            "post": {
                "summary": "Approve, return or reject a submitted audit, grading the report (HQ)",
                "parameters": [_path_param("uuid"), _CSRF],
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {
                                "decision": {
                                    "type": "string",
                                    "enum": ["approve", "return", "reject"],
                                },
                                "note": {
                                    "type": ["string", "null"],
                                    "maxLength": 4000,
                                    "description": "to the auditor; required to return"
                                    " (or item_notes) and to reject (the reason)",
                                },
                                "grade": {
                                    "type": ["integer", "null"],
                                    "minimum": 1,
                                    "maximum": 5,
                                    "description": "the report's quality; not with reject",
                                },
                                "grade_note": {"type": ["string", "null"], "maxLength": 4000},
                                "item_notes": {
                                    "type": ["object", "null"],
                                    "description": "item id → note to the auditor (return only)",
                                    "additionalProperties": {"type": "string", "maxLength": 4000},
                                },
                            },
                            "required": ["decision"],
                            "additionalProperties": False,
                        }
                    ),
                },
                "responses": _with_etag(
                    _responses(200, _AUDIT_OUT, 400, 401, 403, 404, 409, 422), "200"
                ),
            }
        },
        "/api/audits/{uuid}/check-in": _check_operation("Check in on arrival (its auditor)"),
        "/api/audits/{uuid}/check-out": _check_operation("Check out when leaving (its auditor)"),
        "/api/locations/{code}/place": {
            "get": {
                "summary": "A location's coordinates, opening hours and time zone (HQ)",
                "parameters": [_path_param("code", {"type": "string"})],
                "responses": _responses(200, _PLACE, 401, 404),
            },
            "put": {
                "summary": "Set a location's coordinates, opening hours and time zone (HQ)",
                "parameters": [_path_param("code", {"type": "string"}), _CSRF],
                "requestBody": {
                    "required": True,
                    "content": _json({**_PLACE, "additionalProperties": False}),
                },
                "responses": _responses(200, _PLACE, 400, 401, 403, 404, 422),
            },
        },
        "/api/audits/{uuid}/owner-text/{item}": {
            "put": {
                "summary": "Edit or clear the owner's copy of a comment or text answer (HQ)",
                "parameters": [
                    _path_param("uuid"),
                    _path_param("item", {"type": "string", "minLength": 1}),
                    _CSRF,
                ],
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {
                                "text": {"type": ["string", "null"], "maxLength": 10_000},
                                "cleared": {"type": "boolean"},
                                "field": {"type": "string", "enum": ["value", "comment"]},
                            },
                            "additionalProperties": False,
                        }
                    ),
                },
                "responses": _responses(200, _OWNER_TEXT, 400, 401, 403, 404, 409, 422),
            }
        },
        "/api/audits/{uuid}/photos/{photo_uuid}": {
            "put": {
                "summary": "Upload an evidence photo (JPEG, PNG or WebP body)",
                "parameters": [
                    _path_param("uuid"),
                    _path_param("photo_uuid"),
                    _query("item", {"type": "string", "minLength": 1}, required=True),
                    _CSRF,
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        media_type: {"schema": _BINARY}
                        for media_type in ("image/jpeg", "image/png", "image/webp")
                    },
                },
                "responses": {
                    # 429 / 503: no decode slot freed in time (audit.decoding); send it again.
                    **_responses(
                        200, {"type": "object"}, 400, 401, 403, 404, 409, 413, 415, 422, 429, 503
                    ),
                    "201": {"description": "stored", "content": _json({"type": "object"})},
                },
            },
            "get": {
                "summary": "An evidence photo (JPEG)",
                "parameters": [
                    _path_param("uuid"),
                    _path_param("photo_uuid"),
                    _query("size", {"type": "string", "enum": ["thumb", "full"]}),
                ],
                "responses": _file("image/jpeg", 401, 404, 422, description="the photo"),
            },
            "delete": {
                "summary": "Remove a photo from a draft",
                "parameters": [_path_param("uuid"), _path_param("photo_uuid"), _CSRF, _IF_MATCH],
                "responses": {**_responses(204, None, 400, 401, 403, 404, 409, 422), **_STALE},
            },
        },
        "/api/audits/{uuid}/report.pdf": {
            "get": {
                "summary": "The experience report (PDF)",
                "parameters": [_path_param("uuid")],
                "responses": _file("application/pdf", 401, 404, 422, 503, description="PDF"),
            }
        },
        "/api/audits/{uuid}/report.json": {
            "get": {
                "summary": "The experience report's data (the JSON twin of the PDF)",
                "parameters": [_path_param("uuid")],
                "responses": _responses(200, _REPORT_DATA, 401, 404, 422),
            }
        },
        "/api/actions": {
            "get": {
                "summary": "Corrective actions, overdue first, with the fix rate by region"
                " (owners: their locations; HQ: all)",
                "parameters": [
                    _query("location", {"type": "string"}),
                    _query("region", {"type": "string"}),
                    _query("status", {"type": "string", "enum": ["open", "done", "overdue"]}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
                    _query("offset", {"type": "integer", "minimum": 0}),
                ],
                "responses": _responses(200, _ACTION_LIST, 401, 404, 422),
            }
        },
        "/api/audits/{uuid}/actions": {
            "get": {
                "summary": "An approved audit's failed and weak items, each with its action",
                "parameters": [_path_param("uuid")],
                "responses": _responses(200, _AUDIT_ACTIONS, 401, 404, 422),
            }
        },
        "/api/audits/{uuid}/actions/{item}": {
            "put": {
                "summary": "Record or change the corrective action of one item (the owner)",
                "parameters": [
                    _path_param("uuid"),
                    _path_param("item", {"type": "string", "minLength": 1}),
                    _CSRF,
                ],
                "requestBody": {"required": True, "content": _json(_ACTION_IN)},
                "responses": {
                    "201": {"description": "created", "content": _json(_ACTION)},
                    **_responses(200, _ACTION, 401, 403, 404, 413, 422, 503),
                },
            }
        },
        "/api/audits/{uuid}/appeals": {
            "get": {
                "summary": "An approved audit's appeals and the owner's window to open more",
                "parameters": [_path_param("uuid")],
                "responses": _responses(
                    200,
                    {
                        "type": "object",
                        "properties": {
                            "audit": _UUID,
                            "report_version": {"type": "integer"},
                            "window_closes_at": {"type": ["string", "null"]},
                            "window_open": {"type": "boolean"},
                            "appealable": {"type": "array", "items": {"type": "string"}},
                            "appeals": {"type": "array", "items": _APPEAL},
                        },
                        "required": ["window_open", "appealable", "appeals"],
                    },
                    401,
                    404,
                    422,
                ),
            },
            "post": {
                "summary": "Dispute one item of the report (the location's owner)",
                "parameters": [_path_param("uuid"), _CSRF],
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {
                                "item": {"type": "string", "minLength": 1},
                                "reason": {"type": "string", "maxLength": 4000},
                                "proposed": _CHOSEN_ANSWER,
                            },
                            "required": ["item", "reason"],
                            "additionalProperties": False,
                        }
                    ),
                },
                "responses": {
                    **_responses(201, _APPEAL, 400, 401, 403, 404, 409, 413, 422),
                },
            },
        },
        "/api/appeals": {
            "get": {
                "summary": "Appeals: an owner's own; for HQ the queue, open ones by due time",
                "parameters": [
                    _query("status", {"type": "string", "enum": ["", *APPEAL_STATUSES]}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
                    _query("offset", {"type": "integer", "minimum": 0}),
                ],
                "responses": _responses(
                    200,
                    {
                        "type": "object",
                        "properties": {
                            "total": {"type": "integer"},
                            "appeals": {"type": "array", "items": _APPEAL_ROW},
                        },
                        "required": ["total", "appeals"],
                    },
                    401,
                    404,
                    422,
                ),
            }
        },
        "/api/appeals/{uuid}": {
            "get": {
                "summary": "One appeal and HQ's decision",
                "parameters": [_path_param("uuid")],
                "responses": _responses(200, _APPEAL, 401, 404, 422),
            }
        },
        "/api/appeals/{uuid}/photo": {
            "put": {
                "summary": "The owner's evidence photo of an open appeal (JPEG, PNG or WebP body)",
                "parameters": [_path_param("uuid"), _CSRF],
                "requestBody": {
                    "required": True,
                    "content": {
                        media_type: {"schema": _BINARY}
                        for media_type in ("image/jpeg", "image/png", "image/webp")
                    },
                },
                "responses": _responses(
                    200, _APPEAL, 400, 401, 403, 404, 409, 413, 415, 422, 429, 503
                ),
            },
            "get": {
                "summary": "An appeal's evidence photo (JPEG)",
                "parameters": [
                    _path_param("uuid"),
                    _query("size", {"type": "string", "enum": ["thumb", "full"]}),
                ],
                "responses": _file("image/jpeg", 401, 404, 422, description="the photo"),
            },
        },
        "/api/appeals/{uuid}/decision": {
            "post": {
                "summary": "Decide an open appeal (HQ): upheld and partly upheld re-score",
                "parameters": [_path_param("uuid"), _CSRF, _IF_MATCH],
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "properties": {
                                "decision": {
                                    "type": "string",
                                    "enum": ["upheld", "partly_upheld", "rejected"],
                                },
                                "answer": _CHOSEN_ANSWER,
                                "note": {"type": "string", "maxLength": 4000},
                            },
                            "required": ["decision", "note"],
                            "additionalProperties": False,
                        }
                    ),
                },
                "responses": {
                    **_responses(200, _APPEAL, 400, 401, 403, 404, 409, 413, 422),
                    **_STALE,
                },
            }
        },
        "/api/compare": {
            "get": {
                "summary": "One row per location (HQ)",
                "parameters": [
                    *compare_params,
                    _query(
                        "q", {"type": "string", "description": "location name or code contains"}
                    ),
                ],
                "responses": _responses(
                    200, {"type": "array", "items": _COMPARE_ROW}, 401, 404, 422
                ),
            }
        },
        "/api/compare.csv": {
            "get": {
                "summary": "The comparison as CSV (HQ)",
                "parameters": compare_params,
                "responses": _file(
                    _CSV, 401, 404, 422, description="CSV", schema={"type": "string"}
                ),
            }
        },
        "/api/compare.xlsx": {
            "get": {
                "summary": "The comparison as an Excel workbook (HQ)",
                "parameters": compare_params,
                "responses": _file(_XLSX, 401, 404, 422),
            }
        },
        "/api/heatmap": {
            "get": {
                "summary": "Touchpoint scores per location or region (HQ)",
                "parameters": [
                    *compare_params,
                    _query("group", {"type": "string", "enum": ["location", "region"]}),
                ],
                "responses": _responses(200, {"type": "object"}, 401, 404, 422),
            }
        },
        "/api/trends": {
            "get": {
                "summary": "Scores month by month for the chain, a region, brand or location (HQ)",
                "parameters": [
                    *compare_params,
                    _query("location", {"type": "string"}),
                    _query("brand", {"type": "string"}),
                ],
                "responses": _responses(200, {"type": "object"}, 401, 404, 422),
            }
        },
        "/api/weakest-items": {
            "get": {
                "summary": "The items failed most often (HQ)",
                "parameters": [
                    *compare_params,
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
                ],
                "responses": _responses(200, {"type": "array"}, 401, 404, 422),
            }
        },
        "/api/review-queue": {
            "get": {
                "summary": "Submitted audits awaiting review (HQ), of some shoppers only",
                "parameters": [
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                    _query("offset", {"type": "integer", "minimum": 0}),
                    _query("shopper", {"type": "integer", "minimum": 0}),
                    _query(
                        "grade_below",
                        {"type": "number", "exclusiveMinimum": 1, "maximum": 5},
                    ),
                    _query("return_rate", {"type": "integer", "minimum": 0, "maximum": 100}),
                    _query("trust", {"type": "string", "enum": ["low"]}),
                ],
                "responses": _responses(200, {"type": "object"}, 401, 404, 422),
            }
        },
        "/api/shoppers": {
            "get": {
                "summary": "Every auditor's record: visits, grades, returns and rejections (HQ)",
                "responses": _responses(200, {"type": "array", "items": _SHOPPER}, 401, 404, 422),
            }
        },
        "/api/shoppers/{user_id}": {
            "get": {
                "summary": "One auditor's record and visits (HQ)",
                "parameters": [
                    _path_param("user_id", {"type": "integer", "minimum": 0}),
                ],
                "responses": _responses(200, _SHOPPER, 401, 404, 422),
            }
        },
        "/api/audits.csv": {
            "get": {
                "summary": "Audits with their scores as CSV (HQ)",
                "parameters": export_params,
                "responses": _file(_CSV, 401, 404, 422),
            }
        },
        "/api/audits.xlsx": {
            "get": {
                "summary": "Audits with their scores as an Excel workbook (HQ)",
                "parameters": export_params,
                "responses": _file(_XLSX, 401, 404, 422),
            }
        },
        "/api/answers.csv": {
            "get": {
                "summary": "One row per audit and item: answer, value, points, N/A, comment,"
                " photo links (HQ); readable headers and one-decimal figures, raw=1 for"
                " machines",
                "parameters": answer_params,
                "responses": _file(_CSV, 401, 404, 422),
            }
        },
        "/api/answers.xlsx": {
            "get": {
                "summary": "The per-answer export as an Excel workbook (HQ)",
                "parameters": answer_params,
                "responses": _file(_XLSX, 401, 404, 422),
            }
        },
    }
    _document_common_errors(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "audit",
            "version": __version__,
            "description": "Mystery-shopper and customer-experience audits. See docs/api.md.",
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "audit_session"},
                # An HQ user's personal API token (docs/integrations.md): not for /api/session.
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a personal API token of an HQ user (audit_…), taken"
                    " instead of the session on every /api operation but /api/session and"
                    " /api/password*; read-only tokens get 403 on writes"
                    " (docs/integrations.md)",
                },
            }
        },
        # The token scheme is described, not required: fuzzers would send made-up
        # tokens and meet the unknown-token throttle (429) on every operation.
        "security": [{"session": []}],
        "paths": paths,
    }
