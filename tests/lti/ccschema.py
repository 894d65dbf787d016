"""The official IMS Common Cartridge 1.3 schemas (vendored in `tests/lti/xsd`, see its README),
compiled once with every import resolved to the local copies: nothing is fetched."""

from functools import cache
from pathlib import Path

from lxml import etree, isoschematron

XSD = Path(__file__).parent / "xsd"
FILES = {path.name: path for path in XSD.rglob("*.xsd")}


class LocalCopies(etree.Resolver):
    """The IMS files import each other by absolute URL (http://www.imsglobal.org/…); each is
    answered by the vendored file of that name, and an unknown one fails instead of going out."""

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        name = system_url.rsplit("/", 1)[-1]
        if name not in FILES:
            raise LookupError(f"no vendored copy of {system_url}")
        return self.resolve_filename(str(FILES[name]), context)


def parse(name: str) -> etree._ElementTree:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalCopies())
    return etree.parse(str(FILES[name]), parser)


@cache
def manifest_schema() -> etree.XMLSchema:
    """CC 1.3's profile of IMS CP 1.2, importing the LOM manifest/resource profiles, CC
    authorization, curriculum standards metadata and xml.xsd."""
    return etree.XMLSchema(parse("ccv1p3_imscp_v1p2_v1p0.xsd"))


@cache
def link_schema() -> etree.XMLSchema:
    """IMS LTI CC 1.3's `cartridge_basiclti_link`, importing imsbasiclti 1.0.1, lticm, lticp,
    the LTI-link LOM profile and curriculum standards metadata."""
    return etree.XMLSchema(parse("imslticc_v1p3.xsd"))


@cache
def manifest_lom_rules() -> isoschematron.Schematron:
    """The Schematron rules embedded in the LOM manifest profile: LOM's elements come in any order
    (an XSD choice), so how many of each there may be is checked by these rules, not the XSD.
    The embedded rules are not a standalone ISO schema (empty rules), hence no schema check."""
    return isoschematron.Schematron(parse("ccv1p3_lommanifest_v1p0.xsd"), validate_schema=False)


def problems(schema: etree.XMLSchema | isoschematron.Schematron, document: etree._Element) -> list[str]:
    """What the schema rejects in `document`, one line each; empty when it is valid."""
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
