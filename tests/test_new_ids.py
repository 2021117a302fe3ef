"""New audit and photo ids are random version-4 UUIDs only: no id that carries the time
or the device reaches an owner (issue 13, item 3)."""

from __future__ import annotations

import time
import uuid

import pytest

from audit.errors import Invalid
from audit.models import Audit, Photo
from audit.submission import check_new_uuid
from tests.helpers import audit_body, image_bytes, new_uuid, seed, sign_in

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def with_version(value: uuid.UUID, version: int) -> str:
    """``value`` with its version digit set (the variant stays RFC 4122)."""
    text = str(value)
    return text[:14] + format(version, "x") + text[15:]


def with_variant(value: str, digit: str) -> str:
    """``value`` with the digit that holds the variant bits replaced."""
    return value[:19] + digit + value[20:]


def uuid7() -> str:
    """A version-7 id as RFC 9562 makes it: the Unix time in milliseconds first."""
    millis = int(time.time() * 1000)
    rest = uuid.uuid4().int & ((1 << 80) - 1)
    value = (millis << 80) | rest
    value = (value & ~(0xF << 76)) | (7 << 76)  # version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant 10
    return str(uuid.UUID(int=value))


TIME_OR_DEVICE = {
    "v1": str(uuid.uuid1()),
    "v2": with_version(uuid.uuid1(), 2),
    "v3": str(uuid.uuid3(uuid.NAMESPACE_URL, "audit")),
    "v5": str(uuid.uuid5(uuid.NAMESPACE_URL, "audit")),
    "v6": with_version(uuid.uuid1(), 6),
    "v7": uuid7(),
    "v8": with_version(uuid.UUID(uuid7()), 8),
    "nil": "00000000-0000-0000-0000-000000000000",
    "max": "ffffffff-ffff-ffff-ffff-ffffffffffff",
    # A v1 id with its variant bits altered hides its version from a naive check.
    "v1-ncs-variant": with_variant(str(uuid.uuid1()), "3"),
    "v1-microsoft-variant": with_variant(str(uuid.uuid1()), "c"),
    "v4-ncs-variant": with_variant(new_uuid(), "0"),
    "v4-microsoft-variant": with_variant(new_uuid(), "d"),
    "v4-future-variant": with_variant(new_uuid(), "f"),
}


@pytest.mark.parametrize("value", TIME_OR_DEVICE.values(), ids=TIME_OR_DEVICE.keys())
def test_only_rfc_4122_version_4_ids_are_new_ids(value):
    with pytest.raises(Invalid) as refused:
        check_new_uuid(value, "photo_uuid")

    assert "random" in refused.value.fields["photo_uuid"]


def test_random_ids_are_taken_in_any_case():
    for _ in range(50):
        made = new_uuid()
        assert check_new_uuid(made) == made
        assert check_new_uuid(made.upper()) == made
    assert check_new_uuid(with_variant(new_uuid(), "b"))  # 8, 9, a and b are RFC 4122


async def test_a_version_7_audit_id_is_refused_with_422_naming_the_uuid(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    made = uuid7()

    put = await auditor.put(f"/api/audits/{made}", json=audit_body({}))
    submit = await auditor.post(f"/api/audits/{made}/submit", json=audit_body({}))

    for r in (put, submit):
        assert r.status_code == 422, r.text
        assert "random" in r.json()["fields"]["uuid"]
    assert await Audit.all().count() == 0


@pytest.mark.parametrize("name", ["v7", "v8", "v1-ncs-variant", "v4-microsoft-variant"])
async def test_a_photo_id_that_carries_time_is_refused_with_422(client, db, name):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=audit_body({}))).status_code == 201

    r = await auditor.put(
        f"/api/audits/{uid}/photos/{TIME_OR_DEVICE[name]}?item=clean",
        content=image_bytes("JPEG"),
        headers={"Content-Type": "image/jpeg"},
    )

    assert r.status_code == 422, r.text
    assert "random" in r.json()["fields"]["photo_uuid"]
    assert await Photo.all().count() == 0
