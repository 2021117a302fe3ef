"""HQ's import page (issue 16, part 1): upload, a preview of every row, and applying
exactly the previewed file, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from openpyxl import Workbook

from audit.models import Location, User
from audit.store.locations import add_location
from tests.conftest import make_client
from tests.helpers import seed, sign_in

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

STORES = "code,name,region\nN1,New One,North\nN2,New Two,South\nS1,Riverside Mall,North\n"


@pytest.fixture
async def hq(app: Any) -> Any:
    await seed()
    async with make_client(app) as client:
        yield await sign_in(client, "hq@x.test")


async def upload(hq: Any, kind: str, name: str, data: bytes) -> str:
    r = await hq.post(f"/hq/import?kind={kind}&name={name}", content=data)
    assert r.status_code == 201, r.text
    return str(r.json()["url"])


def apply_button(page: str) -> tuple[str, str]:
    found = re.search(r'id="apply-import" data-url="([^"]+)" data-plan="([0-9a-f]{64})"', page)
    assert found, "no Apply button"
    return html.unescape(found.group(1)), found.group(2)


async def test_an_upload_is_previewed_row_by_row_then_applied_as_previewed(hq: Any) -> None:
    url = await upload(hq, "locations", "stores.csv", STORES.encode())
    page = await hq.get(url)

    assert page.status_code == 200
    assert (
        "<strong>2</strong> to add, <strong>0</strong> to change, <strong>1</strong> unchanged"
        in page.text
    )
    assert re.search(
        r"<td class=\"num\">2</td>\s*<th scope=\"row\">N1</th>\s*<td><span[^>]*>added", page.text
    )
    assert not await Location.exists(code="N1")  # a preview writes nothing

    action, plan = apply_button(page.text)
    r = await hq.post(action, json={"plan": plan})

    assert r.status_code == 200, r.text
    assert r.json()["summary"] == "2 added, 0 changed, 1 unchanged"
    assert (await Location.get(code="N2")).name == "New Two"
    again = await hq.get(url)
    assert "there is nothing to apply" in again.text
    assert 'id="apply-import"' not in again.text


async def test_a_file_with_problems_lists_them_and_applies_nothing(hq: Any) -> None:
    url = await upload(
        hq, "owners", "owners.csv", b"email,location codes\nok@x.test,S1\nbad,S1\nnew@x.test,S9\n"
    )
    page = await hq.get(url)

    assert "owners.csv:3: &#39;bad&#39; is not an e-mail address" in page.text
    assert "owners.csv:4: unknown location &#39;S9&#39; (import the locations first)" in page.text
    assert 'id="apply-import"' not in page.text
    digest = url.split("/")[4].split("?")[0]
    r = await hq.post(f"/hq/import/owners/{digest}/apply?name=owners.csv", json={"plan": "0" * 64})
    assert r.status_code == 422
    assert r.json()["problems"][0] == "owners.csv:3: 'bad' is not an e-mail address"
    assert not await User.exists(email="ok@x.test")


async def test_a_preview_made_stale_by_a_change_meanwhile_is_refused(hq: Any) -> None:
    url = await upload(hq, "locations", "stores.csv", STORES.encode())
    action, plan = apply_button((await hq.get(url)).text)
    await add_location("N1", "Opened meanwhile", "North")

    r = await hq.post(action, json={"plan": plan})

    assert r.status_code == 409
    assert "preview it again" in r.json()["error"]
    assert not await Location.exists(code="N2")


async def test_an_xlsx_upload_previews_like_a_csv(hq: Any) -> None:
    book = Workbook()
    book.active.append(["email", "name"])
    book.active.append(["new.shopper@x.test", "New Shopper"])
    buffer = io.BytesIO()
    book.save(buffer)

    url = await upload(hq, "auditors", "shoppers.xlsx", buffer.getvalue())
    action, plan = apply_button((await hq.get(url)).text)
    r = await hq.post(action, json={"plan": plan})

    assert r.status_code == 200, r.text
    assert (await User.get(email="new.shopper@x.test")).role == "auditor"


async def test_only_hq_uploads_and_with_the_csrf_header(app: Any, hq: Any, login: Any) -> None:
    auditor = await login("auditor@x.test")
    assert (
        await auditor.post("/hq/import?kind=locations", content=b"code,name\n")
    ).status_code == 404
    no_csrf = await hq.client.post("/hq/import?kind=locations", content=STORES.encode())
    assert no_csrf.status_code == 403
    bad_kind = await hq.post("/hq/import?kind=brands", content=STORES.encode())
    assert bad_kind.status_code == 422
    assert (await hq.get("/hq/import/locations/" + "a" * 64)).status_code == 404
    assert (await hq.get("/hq/import")).status_code == 200
