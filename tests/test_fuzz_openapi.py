"""Schemathesis against /openapi.json: every operation, as every role, on a real server.

The server is ``audit serve`` in a subprocess (the same code path as
production: uvicorn, the app's own lifespan) on a seeded SQLite database.
Each role runs every operation with a bounded number of generated examples;
every answer must be no 5xx and conform to the schema the app publishes
(status code documented, body valid against its response schema, declared
content type).  A 5xx shows the server's traceback from its log.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from audit.db import database
from audit.openapi import openapi_schema
from audit.settings import Settings
from tests.helpers import PASSWORD, seed
from tests.test_durability import FIXTURES, LiveServer, instance_env

ROLES = ("auditor", "owner", "hq", "anonymous")
EMAILS = {"auditor": "auditor@x.test", "owner": "owner@x.test", "hq": "hq@x.test"}
# Per operation and role: ~20 operations x 4 roles x this stays well inside 90 s
# on two cores, and every operation still sees invalid and valid inputs.
EXAMPLES = int(os.environ.get("AUDIT_FUZZ_EXAMPLES", "12"))
# HQ reaches every operation past its role check, so it gets the most: at
# least 30 an operation (issue 13's bar for "no 5xx").
HQ_EXAMPLES = max(30, EXAMPLES)
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@dataclass
class Live:
    server: LiveServer
    sessions: dict[str, requests.Session] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    var_dir = tmp_path_factory.mktemp("fuzz") / "var"
    env = instance_env(var_dir, AUDIT_REPORT_TIMEOUT="20")
    config = Settings(
        database_url=env["AUDIT_DATABASE_URL"],
        media_dir=Path(env["AUDIT_MEDIA_DIR"]),
        var_dir=var_dir,
        secret_key=env["AUDIT_SECRET_KEY"],
        checklists_dir=FIXTURES,
    )

    async def prepare() -> None:
        async with database(config):
            await seed()

    asyncio.run(prepare())
    server = LiveServer(env, var_dir.parent / "server.log")
    server.start()
    state = Live(server)
    try:
        for role, email in EMAILS.items():
            session = requests.Session()
            r = session.post(
                f"{server.url}/api/session", json={"email": email, "password": PASSWORD}, timeout=10
            )
            assert r.status_code == 200, r.text
            state.sessions[role] = session
            state.csrf[role] = r.json()["csrf_token"]
        state.sessions["anonymous"] = requests.Session()
        yield state
    finally:
        for session in state.sessions.values():
            session.close()
        server.stop()


# The schema the app serves (checked below to be what /openapi.json returns),
# loaded at collection so that every operation becomes a test of its own.
schema = schemathesis.openapi.from_dict(openapi_schema())


def test_the_served_schema_is_the_one_fuzzed(live: Live) -> None:
    served = requests.get(f"{live.server.url}/openapi.json", timeout=10)
    assert served.headers["content-type"].startswith("application/json")
    assert served.json() == openapi_schema()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "hq"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_every_role_without_5xx_and_as_documented(case, role, live):
    _call(case, role, live)


@schema.parametrize()
@settings(
    max_examples=HQ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_hq_without_5xx_in_30_examples_or_more(case, live):
    _call(case, "hq", live)


def _call(case: Any, role: str, live: Live) -> None:
    if case.path == "/api/session" and case.method == "DELETE":
        return  # signing the shared session out would make the rest of the run anonymous
    headers = {"X-CSRF-Token": live.csrf[role]} if role in live.csrf else {}
    try:
        case.call_and_validate(
            base_url=live.server.url, session=live.sessions[role], headers=headers, checks=CHECKS
        )
    except Exception:
        # Show the server's side of a failure (its traceback for a 5xx).
        print(live.server.log()[-4000:])
        raise
