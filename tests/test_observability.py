"""/healthz, /readyz, /metrics, request ids and JSON request logs (docs/deploy.md)."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from tortoise import connections
from tortoise.migrations.recorder import MigrationRecorder

from audit.app import create_app
from audit.db import package_migrations
from audit.models import Audit, Delivery
from audit.observability import configure_logging
from audit.settings import Settings
from tests.conftest import make_client
from tests.helpers import new_uuid, seed
from tests.test_api_roles import payload

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")
TOKEN = "scrape-me-0123456789"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_healthz_answers_without_a_database(tmp_path: Path) -> None:
    app = create_app(Settings(database_url="sqlite://:memory:", var_dir=tmp_path, secret_key="k"))
    async with make_client(app) as client:  # no lifespan: Tortoise never started
        r = await client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"ok": True})


async def test_readyz_is_ok_on_a_migrated_database_with_a_writable_media_dir(client) -> None:
    r = await client.get("/readyz")
    assert (r.status_code, r.json()) == (200, {"ok": True})
    assert r.headers["cache-control"] == "no-store"


async def test_readyz_is_503_naming_the_database_when_none_is_connected(tmp_path: Path) -> None:
    settings = Settings(
        database_url="sqlite://:memory:", var_dir=tmp_path, media_dir=tmp_path, secret_key="k"
    )
    app = create_app(settings)
    async with make_client(app) as client:
        r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["failed"].keys() == {"database"}
    assert r.json()["error"] == "not ready: database"


async def test_readyz_is_503_naming_a_migration_the_database_lacks(client) -> None:
    last = package_migrations()[-1]
    recorder = MigrationRecorder(connections.get("default"))
    await recorder.record_unapplied("models", last)
    try:
        r = await client.get("/readyz")
    finally:
        # The PostgreSQL test database is shared by the session's tests.
        await recorder.record_applied("models", last)
    assert r.status_code == 503
    assert r.json()["failed"] == {"migrations": f"not applied: {last}"}


async def test_readyz_is_503_naming_a_media_dir_it_cannot_write(db: Settings, tmp_path) -> None:
    # A file where the directory's parent should be: root ignores permission bits, not this.
    (tmp_path / "blocked").write_text("")
    app = create_app(replace(db, media_dir=tmp_path / "blocked" / "media"), manage_database=False)
    async with make_client(app) as client:
        r = await client.get("/readyz")
    assert r.status_code == 503
    failed = r.json()["failed"]
    assert failed.keys() == {"media"}
    assert failed["media"].startswith(f"{tmp_path / 'blocked' / 'media'} is not writable")


async def test_a_request_id_is_made_or_kept_and_echoed(client) -> None:
    made = (await client.get("/healthz")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    kept = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert kept.headers["x-request-id"] == "lb-7f3a.42"
    bad = await client.get("/healthz", headers={"X-Request-ID": "a\tb; drop"})
    assert re.fullmatch(r"[0-9a-f]{32}", bad.headers["x-request-id"])


async def test_metrics_are_404_without_the_token_or_an_hq_session(db, login) -> None:
    await seed()
    app = create_app(replace(db, metrics_token=TOKEN), manage_database=False)
    async with make_client(app) as client:
        assert (await client.get("/metrics")).status_code == 404
        wrong = {"Authorization": "Bearer not-the-token"}
        assert (await client.get("/metrics", headers=wrong)).status_code == 404
        ok = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert ok.headers["content-type"].startswith("text/plain; version=0.0.4")
    auditor = await login("auditor@x.test")
    assert (await auditor.get("/metrics")).status_code == 404
    hq = await login("hq@x.test")
    assert (await hq.get("/metrics")).status_code == 200


async def test_metrics_count_requests_by_route_template_and_status(db) -> None:
    app = create_app(replace(db, metrics_token=TOKEN), manage_database=False)
    route = "/api/audits/{uuid}"
    before = sample("audit_http_requests_total", route=route, method="GET", status="401")
    uuids = [new_uuid() for _ in range(3)]
    async with make_client(app) as client:
        for uid in uuids:
            assert (await client.get(f"/api/audits/{uid}")).status_code == 401
        text = (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
    after = sample("audit_http_requests_total", route=route, method="GET", status="401")
    assert after - before == 3
    assert 'audit_http_requests_total{method="GET",route="/api/audits/{uuid}",status="401"}' in text
    assert (
        'audit_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/audits/{uuid}"}'
        in text
    )
    assert not any(uid in text for uid in uuids)


async def test_metrics_count_submissions_by_outcome(login) -> None:
    await seed()
    auditor = await login("auditor@x.test")
    ok_before = sample("audit_submissions_total", outcome="ok")
    invalid_before = sample("audit_submissions_total", outcome="invalid")
    incomplete = {**payload(), "answers": {}}
    r = await auditor.post(f"/api/audits/{new_uuid()}/submit", json=incomplete)
    assert r.status_code == 422
    r = await auditor.post(f"/api/audits/{new_uuid()}/submit", json=payload())
    assert r.status_code == 200, r.text
    assert sample("audit_submissions_total", outcome="ok") - ok_before == 1
    assert sample("audit_submissions_total", outcome="invalid") - invalid_before == 1


async def test_metrics_count_and_time_report_pdfs(login) -> None:
    await seed()
    auditor = await login("auditor@x.test")
    uid = new_uuid()
    assert (await auditor.post(f"/api/audits/{uid}/submit", json=payload())).status_code == 200
    hq = await login("hq@x.test")
    before = sample("audit_report_pdfs_total", outcome="ok")
    timed_before = sample("audit_report_pdf_duration_seconds_count")
    r = await hq.get(f"/api/audits/{uid}/report.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert sample("audit_report_pdfs_total", outcome="ok") - before == 1
    assert sample("audit_report_pdf_duration_seconds_count") - timed_before == 1


async def test_metrics_show_the_delivery_queue_by_status_at_scrape_time(login) -> None:
    await seed()
    auditor = await login("auditor@x.test")
    uid = new_uuid()
    assert (await auditor.post(f"/api/audits/{uid}/submit", json=payload())).status_code == 200
    audit = await Audit.get(uuid=uid)
    await Delivery.create(audit=audit, recipient="a@x.test", status="pending")
    await Delivery.create(audit=audit, recipient="b@x.test", status="failed", attempts=2)
    await Delivery.create(audit=audit, recipient="c@x.test", status="failed", attempts=1)
    await Delivery.create(audit=audit, recipient="d@x.test", status="sent", attempts=1)
    hq = await login("hq@x.test")
    text = (await hq.get("/metrics")).text
    assert 'audit_delivery_queue{status="pending"} 1.0' in text
    assert 'audit_delivery_queue{status="failed"} 2.0' in text
    assert 'audit_delivery_queue{status="abandoned"} 0.0' in text
    assert 'status="sent"' not in text.split("audit_delivery_queue", 1)[1]


@pytest.fixture
def json_logs(db: Settings):
    settings = replace(db, log_format="json")
    yield settings
    configure_logging(replace(db, log_format="text"))  # as the other tests expect
    assert logging.getLogger("audit").propagate


async def test_json_logs_print_one_line_per_request_with_its_id_route_and_status(
    json_logs: Settings, capsys
) -> None:
    app = create_app(json_logs, manage_database=False)
    uid = new_uuid()
    async with make_client(app) as client:
        r = await client.get(f"/api/audits/{uid}", headers={"X-Request-ID": "req-1"})
    assert r.status_code == 401
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "req-1"
    assert (line["method"], line["route"], line["path"], line["status"]) == (
        "GET",
        "/api/audits/{uuid}",
        f"/api/audits/{uid}",
        401,
    )
    assert line["duration_ms"] >= 0 and line["logger"] == "audit.access"


def test_the_log_format_setting_is_json_or_text(monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_LOG_FORMAT", "JSON")
    assert Settings.from_env().log_format == "json"
    monkeypatch.setenv("AUDIT_LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="AUDIT_LOG_FORMAT must be text or json"):
        Settings.from_env()
