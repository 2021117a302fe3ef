"""`audit location add --brand`, `audit user add|invite --brand`, `audit brand list|add`
and a checklist's `brand:` on import (docs/brands.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from audit.db import tortoise_config
from audit.models import ChecklistVersion, Location, UserBrand
from tests.test_user_commands import cli  # noqa: F401  (the fixture)

CHECKLIST = """\
id: acme-visit
title: Acme visit
brand: Acme
sections:
  - id: phone
    title: Phone
    touchpoint: phone
    items:
      - id: answered
        text: Answered
        type: yes_no
"""


async def _read(settings, query):
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        return await query()
    finally:
        await connections.close_all()


def test_location_and_user_brands_from_the_command_line(cli, settings):  # noqa: F811
    assert cli("location", "add", "A1", "--name", "Acme One", "--brand", "Acme")[0] == 0
    assert cli("location", "add", "Z1", "--name", "Zeta One", "--brand", "Zeta")[0] == 0
    # Without --brand: a new location is the first brand's, as before.
    assert cli("location", "add", "A2", "--name", "Acme Two")[0] == 0
    code, out, _ = cli("user", "add", "au@x.test", "--role", "auditor", "--brand", "Acme")
    assert code == 0, out
    code, out, _ = cli(
        "user", "invite", "hq@x.test", "--role", "hq", "--brand", "Acme", "--brand", "Zeta"
    )
    assert code == 0, out
    code, _, err = cli("user", "add", "o@x.test", "--role", "owner", "--brand", "Acme")
    assert code == 1 and "--brand" in err
    code, _, err = cli("user", "add", "n@x.test", "--role", "hq", "--brand", "Nope")
    assert code == 1 and "unknown brand 'Nope'" in err
    assert cli("brand", "add", "Empty")[0] == 0
    code, out, _ = cli("brand", "list")
    assert code == 0
    assert out.splitlines() == [
        "Acme\t2 locations\t2 users",
        "Empty\t0 locations\t0 users",
        "Zeta\t1 locations\t1 users",
    ]

    async def rows():
        brands = await Location.all().order_by("code").values_list("code", "brand__name")
        limits = (
            await UserBrand.all()
            .order_by("user__email", "brand__name")
            .values_list("user__email", "brand__name")
        )
        return list(brands), list(limits)

    brands, limits = asyncio.run(_read(settings, rows))
    assert brands == [("A1", "Acme"), ("A2", "Acme"), ("Z1", "Zeta")]
    assert limits == [("au@x.test", "Acme"), ("hq@x.test", "Acme"), ("hq@x.test", "Zeta")]


def test_a_checklists_brand_is_stored_on_its_version(cli, settings, tmp_path: Path):  # noqa: F811
    (tmp_path / "acme.yaml").write_text(CHECKLIST)
    code, out, err = cli("checklist", "import", str(tmp_path))
    assert code == 0, (out, err)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "bad.yaml").write_text(CHECKLIST.replace("brand: Acme", "brand: [Acme]"))
    code, out, err = cli("checklist", "validate", str(bad / "bad.yaml"))
    assert code == 1 and f"{bad / 'bad.yaml'}:3:" in out + err

    async def brand():
        return await ChecklistVersion.filter(slug="acme-visit").values_list(
            "brand__name", flat=True
        )

    assert list(asyncio.run(_read(settings, brand))) == ["Acme"]
