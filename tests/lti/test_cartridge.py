"""The thin Common Cartridge 1.3: one LTI 1.3 link per published module, titled in the language
asked for, each with the custom parameter `module` and the tool's launch URL; `admin` only.

Every package is validated against IMS's official CC 1.3 schemas (vendored in `tests/lti/xsd`):
the manifest against ccv1p3_imscp_v1p2_v1p0.xsd and the LOM manifest profile's Schematron
rules, each link file against imslticc_v1p3.xsd; the checks below that add what no schema
says (the link a resource points at exists, titles and the custom parameter are the course's)."""

import io
import zipfile

import pytest
from lxml import etree

from tests.conftest import Tenant
from tests.lti.ccschema import link_schema, manifest_lom_rules, manifest_schema, problems
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


async def download(client: Client, tenant: Tenant, lang: str) -> dict[str, etree._Element]:
    response = await client.get(f"/api/v1/lti/cartridge?lang={lang}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert names[0] == "imsmanifest.xml"
        return {name: etree.fromstring(archive.read(name)) for name in names}


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_every_file_of_the_cartridge_is_valid_by_the_official_schemas(
    lti_client: Client, district_a: Tenant, lang: str
) -> None:
    files = await download(lti_client, district_a, lang)
    manifest = files.pop("imsmanifest.xml")
    assert problems(manifest_schema(), manifest) == []
    [lom] = manifest.findall("cp:metadata/lom:lom", NS)
    assert problems(manifest_lom_rules(), lom) == []
    assert files, "a cartridge with no link"
    for name, link in files.items():
        assert problems(link_schema(), link) == [], name


async def test_the_schemas_reject_what_the_cartridge_must_not_say(
    lti_client: Client, district_a: Tenant
) -> None:
    """The validation bites: each change below is one the official schemas forbid."""
    files = await download(lti_client, district_a, "en")
    manifest = files.pop("imsmanifest.xml")
    thin = etree.fromstring(etree.tostring(manifest))
    schema = thin.find("cp:metadata/cp:schema", NS)
    assert schema is not None
    schema.text = "IMS Thin Common Cartridge"  # what this cartridge said before it was validated
    assert any("IMS Common Cartridge" in p for p in problems(manifest_schema(), thin))
    twice = etree.fromstring(etree.tostring(manifest))
    general = twice.find("cp:metadata/lom:lom/lom:general", NS)
    assert general is not None
    general.append(etree.fromstring(etree.tostring(general[0])))  # a second title
    [lom] = twice.findall("cp:metadata/lom:lom", NS)
    assert any('"title"' in p for p in problems(manifest_lom_rules(), lom))
    link = next(iter(files.values()))
    vendor = link.find("blti:vendor", NS)
    assert vendor is not None
    link.remove(vendor)
    assert any("vendor" in p for p in problems(link_schema(), link))


async def test_the_cartridge_links_every_module(lti_client: Client, district_a: Tenant) -> None:
    files = await download(lti_client, district_a, "es")
    course = (await lti_client.get("/api/v1/course?lang=es", headers=district_a.headers)).json()
    modules = {m["id"]: m["title"] for m in course["modules"]}
    manifest = files.pop("imsmanifest.xml")
    links = files
    assert len(links) == len(modules)
    assert etree.QName(manifest).namespace == NS["cp"]
    assert manifest.findtext("cp:metadata/cp:schema", namespaces=NS) == "IMS Common Cartridge"
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
