"""The thin Common Cartridge 1.3: one LTI 1.3 link per published module, titled in the language
asked for, each with the custom parameter `module` and the tool's launch URL; `admin` only.

Not validated against the official CC 1.3 XSDs (ccv1p3_imscp_v1p2_v1p0.xsd, imslticc_v1p3.xsd,
imsbasiclti_v1p0p1.xsd): no copy of them could be fetched for this work (see README, LTI 1.3).
The checks here are the profile's structure, namespaces and the element order of
imsbasiclti_v1p0, read with lxml."""

import io
import zipfile

import pytest
from lxml import etree

from tests.conftest import Tenant
from tests.lti.conftest import BASE, Client

pytestmark = pytest.mark.anyio
NS = {
    "cp": "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1",
    "lom": "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest",
    "lticc": "http://www.imsglobal.org/xsd/imslticc_v1p3",
    "blti": "http://www.imsglobal.org/xsd/imsbasiclti_v1p0",
    "lticm": "http://www.imsglobal.org/xsd/imslticm_v1p0",
    "lticp": "http://www.imsglobal.org/xsd/imslticp_v1p0",
}
BLTI_ORDER = [
    "title",
    "description",
    "custom",
    "extensions",
    "launch_url",
    "secure_launch_url",
    "icon",
    "vendor",
]


async def test_the_cartridge_links_every_module(lti_client: Client, district_a: Tenant) -> None:
    response = await lti_client.get("/api/v1/lti/cartridge?lang=es", headers=district_a.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    course = (await lti_client.get("/api/v1/course?lang=es", headers=district_a.headers)).json()
    modules = {m["id"]: m["title"] for m in course["modules"]}
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
        links = {name: etree.fromstring(archive.read(name)) for name in names if name.startswith("lti/")}
    assert names[0] == "imsmanifest.xml" and len(links) == len(modules)
    assert etree.QName(manifest).namespace == NS["cp"]
    assert manifest.findtext("cp:metadata/cp:schema", namespaces=NS) == "IMS Thin Common Cartridge"
    assert manifest.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "1.3.0"
    title = manifest.find("cp:metadata/lom:lom/lom:general/lom:title/lom:string", NS)
    assert title is not None and title.get("language") == "es" and title.text == course["title"]
    items = manifest.findall("cp:organizations/cp:organization/cp:item/cp:item", NS)
    resources = {r.get("identifier"): r for r in manifest.findall("cp:resources/cp:resource", NS)}
    assert [i.findtext("cp:title", namespaces=NS) for i in items] == list(modules.values())
    for item, module_id in zip(items, modules, strict=True):
        resource = resources[item.get("identifierref")]
        assert resource.get("type") == "imsbasiclti_xmlv1p3"
        [file] = resource.findall("cp:file", NS)
        link = links[file.get("href") or ""]
        assert etree.QName(link).localname == "cartridge_basiclti_link"
        assert etree.QName(link).namespace == NS["lticc"]
        tags = [etree.QName(child).localname for child in link]
        assert tags == sorted(tags, key=BLTI_ORDER.index)  # imsbasiclti_v1p0's sequence
        assert link.findtext("blti:title", namespaces=NS) == modules[module_id]
        [custom] = link.findall("blti:custom/lticm:property", NS)
        assert (custom.get("name"), custom.text) == ("module", module_id)
        assert link.findtext("blti:launch_url", namespaces=NS) == f"{BASE}/lti/launch"
        assert link.findtext("blti:secure_launch_url", namespaces=NS) == f"{BASE}/lti/launch"
        assert link.findtext("blti:vendor/lticp:code", namespaces=NS) == "frontoffice"


async def test_bad_cartridge_requests(lti_client: Client, district_a: Tenant) -> None:
    unknown = await lti_client.get("/api/v1/lti/cartridge?lang=fr", headers=district_a.headers)
    assert unknown.status_code == 422 and "en, es" in unknown.json()["detail"]
    assert (await lti_client.get("/api/v1/lti/cartridge")).status_code == 401
    token = await lti_client.post(
        "/api/v1/learner-tokens", json={"learner": {"external_id": "staff-1"}}, headers=district_a.headers
    )
    learner = {"Authorization": f"Bearer {token.json()['token']}"}
    assert (await lti_client.get("/api/v1/lti/cartridge", headers=learner)).status_code == 403
