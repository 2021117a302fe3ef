"""The experience report of one audit: the PDF and its JSON twin, for the same readers.

HQ once the audit is submitted, the location's owner once it is approved;
everyone else gets 404 (audit.workflow.reports.readable_report).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import require_role
from audit.routes.common import PRIVATE_NO_STORE, explicit_language, json_response, settings_of
from audit.submission import check_uuid
from audit.workflow import reports

READERS = ("hq", "owner")


def _uuid(request: Request) -> str:
    return check_uuid(str(request.path_params["uuid"]), "uuid")


async def report_pdf(request: Request) -> Response:
    who = require_role(request, *READERS)
    report = await reports.report_pdf(
        who, _uuid(request), settings_of(request), explicit_language(request)
    )
    if request.headers.get("if-none-match") == report.etag:
        return Response(status_code=304, headers={"ETag": report.etag})
    return Response(
        report.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{report.filename}"',
            "ETag": report.etag,
            "Cache-Control": PRIVATE_NO_STORE,
        },
    )


async def report_json(request: Request) -> Response:
    who = require_role(request, *READERS)
    document = await reports.report_json(
        who, _uuid(request), settings_of(request), explicit_language(request)
    )
    return json_response(document)
