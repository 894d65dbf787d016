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


def lms_role_of(
    rules: list[dict[str, str]], allowed_domains: list[str], email: str, lms_admin: bool
) -> tuple[str, str]:
    """(role, school) of a person who reached the console through an LTI launch, conservatively:
    the LMS vouches for who launched, not for what they may do in Front Office.

    - An LMS administrator (an institution or system Administrator role: no teacher can give
      themselves one) whose email, at one of the district's domains, a role rule names by email
      gets that rule's role, as signing in with the district's provider would give them.
    - Anyone else the launch lets in (instructors, teaching assistants, course designers, and
      administrators no rule names) is a facilitator: the scopes their launch token holds anyway.
      An instructor's email is not trusted for more, as some LMSs let people change their own.
    Group rules never apply: a launch carries no groups."""
    if lms_admin and email and "@" in email:
        domain = email.rsplit("@", 1)[1].casefold()
        if domain in {d.casefold() for d in allowed_domains}:
            for rule in rules:
                if rule.get("email") and rule["email"].casefold() == email.casefold():
                    return rule["role"], rule.get("school", "")
    return "facilitator", ""
