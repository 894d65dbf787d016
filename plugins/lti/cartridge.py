"""The thin Common Cartridge 1.3: one LTI 1.3 resource link per module (custom parameter
`module`), so an LMS course is set up by one import instead of a deep-linking pick per module.
No I/O: the caller hands it the course's titles in the language asked for.

`imsmanifest.xml` lists each link as an `imsbasiclti_xmlv1p3` resource whose file
(`lti/<module>.xml`) is a `cartridge_basiclti_link` (IMS LTI CC 1.3): title, description, the
custom parameter, the tool's launch URL and its vendor.
"""

import io
import zipfile
from collections.abc import Iterable
from xml.etree import ElementTree as ET

import msgspec

CP = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
LOM = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest"
LTICC = "http://www.imsglobal.org/xsd/imslticc_v1p3"
BLTI = "http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
LTICM = "http://www.imsglobal.org/xsd/imslticm_v1p0"
LTICP = "http://www.imsglobal.org/xsd/imslticp_v1p0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MANIFEST_LOCATIONS = " ".join(
    [
        CP,
        "http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd",
        LOM,
        "http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd",
    ]
)
LINK_LOCATIONS = " ".join(
    [
        LTICC,
        "http://www.imsglobal.org/xsd/lti/ltiv1p3/imslticc_v1p3.xsd",
        BLTI,
        "http://www.imsglobal.org/xsd/lti/ltiv1p0/imsbasiclti_v1p0p1.xsd",
        LTICM,
        "http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticm_v1p0.xsd",
        LTICP,
        "http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticp_v1p0.xsd",
    ]
)


class Link(msgspec.Struct, frozen=True, kw_only=True):
    """One module as the LMS shows its link."""

    module_id: str
    title: str
    description: str


def _q(namespace: str, tag: str) -> str:
    """A tag or attribute of another namespace than the document's own. The document's own
    elements are written unqualified under an `xmlns` attribute of the root: ElementTree can't
    write a default namespace for a tree with unqualified attributes."""
    return f"{{{namespace}}}{tag}"


def manifest(course_id: str, title: str, language: str, links: Iterable[Link]) -> bytes:
    for prefix, uri in (("lomimscc", LOM), ("xsi", XSI)):
        ET.register_namespace(prefix, uri)
    root = ET.Element(
        "manifest",
        {
            "xmlns": CP,
            "identifier": f"frontoffice-{course_id}",
            _q(XSI, "schemaLocation"): MANIFEST_LOCATIONS,
        },
    )
    metadata = ET.SubElement(root, "metadata")
    # The CC 1.3 profile (ccv1p3_imscp_v1p2_v1p0.xsd) enumerates this one value; "IMS Thin Common
    # Cartridge" is rejected by it, and a thin cartridge is told by its resources, not its name.
    ET.SubElement(metadata, "schema").text = "IMS Common Cartridge"
    ET.SubElement(metadata, "schemaversion").text = "1.3.0"
    general = ET.SubElement(ET.SubElement(metadata, _q(LOM, "lom")), _q(LOM, "general"))
    ET.SubElement(ET.SubElement(general, _q(LOM, "title")), _q(LOM, "string"), language=language).text = title
    organizations = ET.SubElement(root, "organizations")
    organization = ET.SubElement(
        organizations, "organization", identifier="organization", structure="rooted-hierarchy"
    )
    top = ET.SubElement(organization, "item", identifier="course")
    resources = ET.SubElement(root, "resources")
    for link in links:
        item = ET.SubElement(
            top, "item", identifier=f"item-{link.module_id}", identifierref=f"link-{link.module_id}"
        )
        ET.SubElement(item, "title").text = link.title
        resource = ET.SubElement(
            resources, "resource", identifier=f"link-{link.module_id}", type="imsbasiclti_xmlv1p3"
        )
        ET.SubElement(resource, "file", href=f"lti/{link.module_id}.xml")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def link_document(link: Link, launch_url: str) -> bytes:
    """The `cartridge_basiclti_link` of one module, in the element order of imsbasiclti_v1p0."""
    for prefix, uri in (("blti", BLTI), ("lticm", LTICM), ("lticp", LTICP), ("xsi", XSI)):
        ET.register_namespace(prefix, uri)
    root = ET.Element("cartridge_basiclti_link", {"xmlns": LTICC, _q(XSI, "schemaLocation"): LINK_LOCATIONS})
    ET.SubElement(root, _q(BLTI, "title")).text = link.title
    ET.SubElement(root, _q(BLTI, "description")).text = link.description
    custom = ET.SubElement(root, _q(BLTI, "custom"))
    ET.SubElement(custom, _q(LTICM, "property"), name="module").text = link.module_id
    ET.SubElement(root, _q(BLTI, "launch_url")).text = launch_url
    if launch_url.startswith("https://"):
        ET.SubElement(root, _q(BLTI, "secure_launch_url")).text = launch_url
    vendor = ET.SubElement(root, _q(BLTI, "vendor"))
    ET.SubElement(vendor, _q(LTICP, "code")).text = "frontoffice"
    ET.SubElement(vendor, _q(LTICP, "name")).text = "Front Office"
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def cartridge(course_id: str, title: str, language: str, links: list[Link], launch_url: str) -> bytes:
    """The `.imscc` zip: the manifest and one link file per module."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", manifest(course_id, title, language, links))
        for link in links:
            archive.writestr(f"lti/{link.module_id}.xml", link_document(link, launch_url))
    return buffer.getvalue()
