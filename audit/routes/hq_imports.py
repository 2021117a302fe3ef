"""HQ's import page: upload a file, preview what it changes row by row, apply it.

The upload (``POST /hq/import?kind=K&name=FILE``, the file as the body) is
kept on the server under its SHA-256 (:mod:`audit.workflow.onboarding` reads
it back), and the preview page is ``/hq/import/{kind}/{digest}``.  Applying
names both the file's digest and the previewed plan's digest: what is applied
is exactly the file that was previewed, and if the database changed so that
the file would now do something else, nothing is applied (409) and the page
asks for a new look.  Same-origin JSON posts with the CSRF header
(``static/hq/import.js``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal, require_role
from audit.errors import Invalid, NotFound
from audit.onboarding import KINDS, MAX_FILE_BYTES
from audit.routes.common import json_response, read_body, read_json, settings_of
from audit.routes.hq_templates import render
from audit.workflow import onboarding

# How many rows the preview lists; the counts cover all of them.
PREVIEW_ROWS = 2_000
DIGEST = re.compile(r"^[0-9a-f]{64}$")
KIND_LABELS = {"locations": "Locations", "owners": "Owners", "auditors": "Auditors"}


def _kind(value: object) -> str:
    if value not in KINDS:
        raise Invalid("unknown kind of file", {"kind": f"must be one of {', '.join(KINDS)}"})
    assert isinstance(value, str)
    return value


def _name(request: Request) -> str:
    name = onboarding.upload_name(request.query_params.get("name", ""))
    return name or "upload.csv"


async def import_page(request: Request, who: Principal) -> Response:
    return await render(
        request, who, "hq/import.html", {"nav": "users", "kinds": KIND_LABELS, "plan": None}
    )


async def upload(request: Request) -> Response:
    require_role(request, "hq")
    kind = _kind(request.query_params.get("kind"))
    name = _name(request)
    data = await read_body(request, MAX_FILE_BYTES)
    if not data:
        raise Invalid("the file is empty", {"file": "is empty"})
    digest = await onboarding.keep_upload(settings_of(request), name, data)
    return json_response(
        {"url": f"/hq/import/{kind}/{digest}?name={quote(name)}", "digest": digest}, status=201
    )


async def _stored(request: Request) -> tuple[str, str, str, bytes]:
    kind = str(request.path_params["kind"])
    digest = str(request.path_params["digest"])
    if kind not in KINDS or not DIGEST.match(digest):
        raise NotFound("no such upload")
    name = _name(request)
    data = await onboarding.read_upload(settings_of(request), digest)
    if data is None:
        raise NotFound("no such upload; upload the file again")
    return kind, digest, name, data


async def preview_page(request: Request, who: Principal) -> Response:
    kind, digest, name, data = await _stored(request)
    plan = await onboarding.preview(kind, name, data, who)
    return await render(
        request,
        who,
        "hq/import.html",
        {
            "nav": "users",
            "kinds": KIND_LABELS,
            "kind": kind,
            "name": name,
            "digest": digest,
            "plan": plan,
            "rows": plan.rows[:PREVIEW_ROWS],
            "hidden_rows": max(0, len(plan.rows) - PREVIEW_ROWS),
            "counts": {a: plan.count(a) for a in ("added", "changed", "unchanged")},
        },
    )


async def apply(request: Request) -> Response:
    who = require_role(request, "hq")
    kind, _, name, data = await _stored(request)
    body = await read_json(request)
    expected = body.get("plan") if isinstance(body, Mapping) else None
    if not isinstance(expected, str) or not DIGEST.match(expected):
        raise Invalid("name the previewed plan", {"plan": "the digest shown with the preview"})
    applied = await onboarding.apply(
        kind, name, data, expected=expected, settings=settings_of(request), who=who
    )
    if not applied.written:
        raise Invalid(
            "nothing imported: the file has problems",
            {"file": f"{len(applied.plan.problems)} problems"},
            extra={"problems": applied.plan.problem_lines()},
        )
    if applied.invited:
        request.app.state.account_mailer.wake()
    return json_response(
        {
            "summary": applied.plan.summary(),
            "added": applied.plan.count("added"),
            "changed": applied.plan.count("changed"),
            "unchanged": applied.plan.count("unchanged"),
            "invited": applied.invited,
        }
    )
