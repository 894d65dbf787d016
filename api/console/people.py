"""Who may sign in to the console, and as what: an id_token's claims against the district's
allowed domains and role rules (no I/O)."""

from typing import Any


class NotAllowed(Exception):
    """The person may not sign in to this district's console; the message says why."""


def email_of(claims: dict[str, Any], allowed_domains: list[str]) -> str:
    """The person's verified email, at one of the district's domains."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise NotAllowed("the identity provider sent no email address; ask it to release the `email` claim")
    # A provider that does not vouch for the address can't be trusted to say whose it is.
    if claims.get("email_verified") is not True:
        raise NotAllowed(f"the identity provider has not verified {email}")
    domain = email.rsplit("@", 1)[1].casefold()
    if domain not in {d.casefold() for d in allowed_domains}:
        raise NotAllowed(f"{email} is not at one of this district's domains ({', '.join(allowed_domains)})")
    return email


def groups_of(claims: dict[str, Any], claim: str) -> list[str]:
    """The group names in `claim` (a list of strings, or one string)."""
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def role_of(rules: list[dict[str, str]], email: str, groups: list[str]) -> tuple[str, str]:
    """(role, school) from the first rule naming `email` or one of `groups`."""
    for rule in rules:
        by_email = rule.get("email") and rule["email"].casefold() == email.casefold()
        if by_email or (rule.get("group") and rule["group"] in groups):
            return rule["role"], rule.get("school", "")
    raise NotAllowed(f"{email} has no console role in this district; ask your district administrator")
