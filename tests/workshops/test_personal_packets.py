"""Personal packets of a live workshop, on SQLite and PostgreSQL: one packet per participant in
the order they joined, its cover with their name, school and own QR code, read back with pypdf;
each code is the link printed under it (re-encoded and compared module by module) and opens the
player as its person. Bad input: another district's workshop, a participant's token, a language
or paper size it does not print, a workshop no one has joined: each a 4xx."""

import io
import re
from urllib.parse import parse_qsl

import pypdf
import pytest
import segno
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.conftest import Tenant
from tests.workshops.test_workshops_api import WORKSHOPS, bearer, join, open_workshop

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
LINK = re.compile(r"http://.*?/player/#token=.*?view=learner")


def printed_link(text: str) -> str:
    """The cover's link, whole: the PDF wraps it wherever its line ends (even inside a word)."""
    found = LINK.search(re.sub(r"\s", "", text))
    assert found, text
    return found.group(0)


def qr_pixels(image: Image.Image) -> tuple[tuple[int, int], bytes]:
    grey = image.convert("L")
    return grey.size, grey.tobytes()


async def test_each_participant_gets_a_packet_with_their_own_qr(
    client: Client, district_a: Tenant, district_b: Tenant
) -> None:
    workshop = await open_workshop(client, district_a, title="Front desk, morning")
    url = f"{WORKSHOPS}/{workshop['id']}/packets.pdf"
    people = [await join(client, workshop["code"], name) for name in ("Ana Ruiz", "José Núñez")]
    response = await client.get(url, params={"lang": "es", "paper": "a4"}, headers=district_a.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-language"] == "es"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    covers = [page for page in reader.pages if "Nombre:" in page.extract_text()]
    assert len(covers) == len(people)
    # Each packet is the same length, numbered from its own cover.
    assert len(reader.pages) % len(people) == 0
    for cover, person in zip(covers, people, strict=True):
        text = cover.extract_text()
        assert f"Nombre: {person['learner']['name']}" in text and "Lincoln" in text
        assert "Página 1" in text and f"{person['learner']['name']} · Página 1" in text
        link = printed_link(text)
        drawn = io.BytesIO()
        segno.make(link, error="m").save(drawn, kind="png", scale=4, border=4)
        [image] = cover.images
        assert qr_pixels(image.image) == qr_pixels(Image.open(drawn))
        opened = dict(parse_qsl(link.partition("#")[2]))
        me = (await client.get("/api/v1/me", headers=bearer(opened["token"]))).json()
        assert me["id"] == person["learner"]["id"]

    empty = await open_workshop(client, district_a)
    for path, params, headers, status in (
        (url, {}, district_b.headers, 404),
        (url, {}, bearer(people[0]["token"]), 403),
        (url, {"lang": "fr"}, district_a.headers, 400),
        (url, {"paper": "b5"}, district_a.headers, 400),
        (f"{WORKSHOPS}/{empty['id']}/packets.pdf", {}, district_a.headers, 409),
    ):
        refused = await client.get(path, params=params, headers=headers)
        assert refused.status_code == status, (path, params, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["detail"]


async def test_people_listed_ahead_get_packets_before_anyone_joins(
    client: Client, district_a: Tenant, district_b: Tenant
) -> None:
    workshop = await open_workshop(client, district_a)
    url = f"{WORKSHOPS}/{workshop['id']}"
    listed = await client.post(
        f"{url}/participants", json={"name": " Rosa Díaz ", "school": "Lincoln"}, headers=district_a.headers
    )
    assert listed.status_code == 201, listed.text
    rosa = listed.json()
    assert rosa["name"] == "Rosa Díaz" and rosa["attended"] is False
    people = (await client.get(f"{url}/participants", headers=district_a.headers)).json()
    assert [p["learner_id"] for p in people] == [rosa["learner_id"]]
    printed = await client.get(f"{url}/packets.pdf", headers=district_a.headers)
    assert printed.status_code == 200, printed.text
    [cover] = [p for p in pypdf.PdfReader(io.BytesIO(printed.content)).pages if "Name:" in p.extract_text()]
    # Her packet's code is her way in: the player opens as the learner listed, in the room.
    token = dict(parse_qsl(printed_link(cover.extract_text()).partition("#")[2]))["token"]
    me = (await client.get("/api/v1/me", headers=bearer(token))).json()
    assert me["id"] == rosa["learner_id"] and me["school"] == "Lincoln"
    rooms = (await client.get("/api/v1/me/workshops", headers=bearer(token))).json()
    assert [r["workshop_id"] for r in rooms] == [workshop["id"]]

    closed = await open_workshop(client, district_a)
    await client.patch(
        f"{WORKSHOPS}/{closed['id']}/state", json={"status": "closed"}, headers=district_a.headers
    )
    for path, body, headers, status in (
        (url, {"name": "   ", "school": "Lincoln"}, district_a.headers, 422),
        (url, {"name": "Al"}, district_a.headers, 400),
        (url, {"name": "Al", "school": "Lincoln", "code": "X"}, district_a.headers, 400),
        (url, {"name": "Al", "school": "Lincoln"}, district_b.headers, 404),
        (f"{WORKSHOPS}/{closed['id']}", {"name": "Al", "school": "Lincoln"}, district_a.headers, 409),
    ):
        refused = await client.post(f"{path}/participants", json=body, headers=headers)
        assert refused.status_code == status, (path, body, refused.text)
        assert refused.json()["detail"]
    people = (await client.get(f"{url}/participants", headers=district_a.headers)).json()
    assert len(people) == 1  # nothing written by the refused ones
