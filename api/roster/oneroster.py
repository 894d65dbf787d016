"""OneRoster 1.1 and 1.2 CSV bundles read into roster rows: the zip opened defensively, the
manifest's version checked, staff users mapped onto the CSV roster's columns, and every problem
named by its OneRoster file, line and column.

Columns used (all others are ignored; a file may carry more, e.g. 1.2's `metadata.*`):

- `manifest.csv` (`propertyName`, `value`): `oneroster.version` (1.1 or 1.2), and
  `file.orgs`, `file.users` (and 1.2's `file.roles`), which must be `bulk`.
- `orgs.csv`: `sourcedId`, `name`, `type`, `identifier`. An org of type `school` is a school;
  its **school code is the org's `identifier`, or its `sourcedId` when that is blank**
  (the identifier is the code a district uses, e.g. its state school number).
- `users.csv`: `sourcedId`, `status`, `enabledUser`, `givenName`, `familyName`,
  `identifier`, `email`; in 1.1 also `role` and `orgSourcedIds` (comma-separated).
- `roles.csv` (1.2 only): `sourcedId`, `status`, `userSourcedId`, `roleType`, `role`,
  `orgSourcedId`.

Column lists from IMS OneRoster v1.1 CSV Tables (imsglobal.org/oneroster-v11-final-csv-tables)
and 1EdTech OneRoster CSV Binding 1.2.1 (imsglobal.org/spec/oneroster/v1p2/bind/csv/).

Mapping onto the CSV roster's row: `employee_id` = the user's `identifier` (their
human-readable id), else their `sourcedId`; `name` = `givenName familyName`; `role_code` = the
OneRoster role; the school is the first school among the user's orgs (1.1) or the org of their
primary staff role, else their first staff role (1.2); an org that is not a school (a district)
leaves the school blank. `status` is `terminated` for a user marked `tobedeleted`, `inactive`
when `enabledUser` is `false`, else `active`. Staff are the roles administrator, aide,
proctor, teacher and 1.2's counselor, principal and district, site and system administrator;
students, parents, guardians and relatives are skipped (their rows are read for sourcedId
duplicates only, their org references are not checked). Delta bundles are refused (a delta
leaves out unchanged orgs, so its references can't be checked): send a bulk export.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import msgspec

from api.errors import InvalidInput
from schemas.hr import OneRosterRowError, OneRosterVersion
from schemas.problem import FieldError

MAX_BUNDLE_BYTES = 16 * 1024 * 1024  # the zip as uploaded
MAX_ENTRIES = 64  # a full 1.2 bundle has about 20 files
MAX_FILE_BYTES = 128 * 1024 * 1024  # one CSV, uncompressed
MAX_RATIO = 100  # plain CSV compresses some 5-20 times; far beyond is a zip bomb

STAFF_ROLES = frozenset(
    {
        "administrator",
        "aide",
        "proctor",
        "teacher",
        "counselor",
        "principal",
        "districtAdministrator",
        "siteAdministrator",
        "systemAdministrator",
    }
)
OTHER_ROLES = frozenset({"student", "parent", "guardian", "relative"})

ORG_COLUMNS = ("sourcedId", "name", "type", "identifier")
USER_COLUMNS = ("sourcedId", "status", "enabledUser", "givenName", "familyName", "identifier", "email")
USER_COLUMNS_11 = (*USER_COLUMNS, "role", "orgSourcedIds")
ROLE_COLUMNS = ("sourcedId", "status", "userSourcedId", "roleType", "role", "orgSourcedId")


class Org(msgspec.Struct, frozen=True):
    code: str
    name: str
    is_school: bool


class Bundle(msgspec.Struct, kw_only=True):
    """A bundle read: roster rows keyed by their users.csv line, the OneRoster column each
    roster field came from on that line, the problems found, and how many users were skipped."""

    version: OneRosterVersion
    rows: list[tuple[int, dict[str, Any]]]
    columns: dict[int, dict[str, str]]
    errors: list[OneRosterRowError]
    skipped: int


def refuse(detail: str, errors: list[OneRosterRowError] | None = None) -> InvalidInput:
    """The 422 for a bundle that can't be imported as it stands."""
    return InvalidInput(
        detail,
        errors=[FieldError(field=where(e), message=e.problem) for e in errors] if errors else None,
    )


def where(error: OneRosterRowError) -> str:
    """`users.csv line 14: $.email`, as an admin reads it next to the file."""
    return f"{error.file} line {error.line}" + (f": {error.field}" if error.field else "")


def open_bundle(data: bytes) -> zipfile.ZipFile:
    """The zip, after checks that make reading it safe: entry count, names, encryption, and
    sizes (declared, and then enforced while reading in `member`)."""
    try:
        bundle = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise refuse(
            "The body is not a zip file; send the OneRoster CSV bundle your SIS exported (a .zip "
            "holding manifest.csv, orgs.csv, users.csv)."
        ) from None
    entries = bundle.infolist()
    if len(entries) > MAX_ENTRIES:
        raise refuse(f"The zip holds {len(entries)} files; a OneRoster bundle has at most {MAX_ENTRIES}.")
    seen: set[str] = set()
    for entry in entries:
        name = entry.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name) or "\0" in name:
            raise refuse(f"The zip holds a file named {name!r}, outside the bundle; export it again.")
        if name in seen:
            raise refuse(f"The zip holds {name!r} twice; export it again.")
        seen.add(name)
        if entry.flag_bits & 0x1:
            raise refuse(f"{name} is encrypted; export the bundle without a password.")
        if entry.file_size > MAX_FILE_BYTES or (
            entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1)
        ):
            raise refuse(
                f"{name} unpacks to {entry.file_size:,} bytes from {entry.compress_size:,}; that is "
                "not a plain OneRoster CSV file (at most 128 MiB each)."
            )
    return bundle


def member(bundle: zipfile.ZipFile, name: str) -> str | None:
    """One CSV of the bundle as text, or None when it is absent; read with a cap, since the
    sizes a zip declares can lie."""
    try:
        info = bundle.getinfo(name)
    except KeyError:
        return None
    try:
        with bundle.open(info) as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise refuse(f"{name} can't be unpacked ({exc}); export the bundle again.") from None
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(f"{name} unpacks to more than 128 MiB; that is not a plain OneRoster CSV file.")
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise refuse(f"{name} is not UTF-8 (byte {exc.start}); OneRoster CSV files are UTF-8.") from None
    if "\0" in text:
        # PostgreSQL can't store a NUL (api/http/storable.py refuses one in any other body).
        line = text[: text.index("\0")].count("\n") + 1
        raise refuse(
            f"{name} line {line} contains a NUL character (\\u0000), which can't be stored; remove it.",
            [OneRosterRowError(file=name, line=line, field="", problem="contains a NUL character")],
        )
    return text


def table(name: str, text: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) pairs of a OneRoster CSV file; a header without the columns used is a 422."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise refuse(f"{name} is empty; it needs its header row.") from None
    except csv.Error as exc:
        raise refuse(f"{name} line 1: the header is not valid CSV ({exc}).") from None
    problems = [
        OneRosterRowError(file=name, line=1, field=f"$.{c}", problem="column missing from the header")
        for c in columns
        if c not in header
    ] + [
        OneRosterRowError(file=name, line=1, field=f"$.{c}", problem="column appears more than once")
        for c in sorted({h for h in header if header.count(h) > 1})
    ]
    if problems:
        raise refuse(
            f"{name} line 1: the header is not OneRoster's ({where(problems[0])}: {problems[0].problem}); "
            "export the bundle again.",
            problems,
        )
    index = {c: header.index(c) for c in columns}
    line = 1
    try:
        for values in reader:
            line = reader.line_num
            if not values or values == [""]:
                continue
            if len(values) != len(header):
                raise refuse(
                    f"{name} line {line}: the row has {len(values)} fields; the header has "
                    f"{len(header)}. Export the bundle again.",
                    [
                        OneRosterRowError(
                            file=name,
                            line=line,
                            field="",
                            problem="the row's field count is not the header's",
                        )
                    ],
                )
            yield line, {c: values[i].strip() for c, i in index.items()}
    except csv.Error as exc:
        raise refuse(f"{name} line {reader.line_num or line + 1}: malformed CSV ({exc}).") from None


def manifest(bundle: zipfile.ZipFile) -> OneRosterVersion:
    """The bundle's OneRoster version, after checking it is a bulk export of the files used."""
    text = member(bundle, "manifest.csv")
    if text is None:
        raise refuse(
            "The zip has no manifest.csv at its top level; send the bundle as your SIS exported "
            "it (the CSV files at the top of the zip, not in a folder)."
        )
    props: dict[str, tuple[int, str]] = {}
    for line, row in table("manifest.csv", text, ("propertyName", "value")):
        props[row["propertyName"]] = (line, row["value"])
    line, version = props.get("oneroster.version", (0, ""))
    if version not in ("1.1", "1.2"):
        error = OneRosterRowError(
            file="manifest.csv",
            line=line or 1,
            field="$.value" if line else "$.propertyName",
            problem=f"oneroster.version is {version!r}; this import reads 1.1 and 1.2"
            if line
            else "no oneroster.version row",
        )
        raise refuse(f"{where(error)}: {error.problem}. Export the bundle as OneRoster 1.1 or 1.2.", [error])
    files = ("orgs", "users") if version == "1.1" else ("orgs", "users", "roles")
    for name in files:
        line, mode = props.get(f"file.{name}", (0, ""))
        if mode != "bulk":
            error = OneRosterRowError(
                file="manifest.csv",
                line=line or 1,
                field="$.value" if line else "$.propertyName",
                problem=f"file.{name} is {mode!r}; a bulk {name}.csv is needed"
                if line
                else f"no file.{name} row",
            )
            raise refuse(f"{where(error)}: {error.problem}. Export a bulk (full) bundle.", [error])
    return "1.1" if version == "1.1" else "1.2"


def required(bundle: zipfile.ZipFile, name: str) -> str:
    text = member(bundle, name)
    if text is None:
        raise refuse(f"The zip has no {name}, which its manifest declares; export the bundle again.")
    return text


def title(role: str) -> str:
    """`districtAdministrator` → `District administrator`."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", role).lower()
    return words[:1].upper() + words[1:]


Rows = list[tuple[int, dict[str, str]]]
"""A OneRoster table as read: (line, the row's columns by OneRoster name)."""


def read_bundle(data: bytes) -> Bundle:
    """The bundle's staff as roster rows; structural problems (not a zip, unsafe, no manifest,
    another version, a file or column missing) are a 422 here, line problems are returned."""
    bundle = open_bundle(data)
    version = manifest(bundle)
    orgs = list(table("orgs.csv", required(bundle, "orgs.csv"), ORG_COLUMNS))
    users = list(
        table(
            "users.csv", required(bundle, "users.csv"), USER_COLUMNS_11 if version == "1.1" else USER_COLUMNS
        )
    )
    roles = list(table("roles.csv", required(bundle, "roles.csv"), ROLE_COLUMNS)) if version == "1.2" else []
    return read_tables(version, orgs, users, roles)


def read_tables(version: OneRosterVersion, org_rows: Rows, users: Rows, role_rows: Rows) -> Bundle:
    """Staff as roster rows from OneRoster's orgs, users and (1.2) roles, however they were
    fetched (a CSV bundle, the REST API): the one mapping, every problem named by file and line."""
    errors: list[OneRosterRowError] = []

    def problem(file: str, line: int, field: str, text: str) -> None:
        errors.append(OneRosterRowError(file=file, line=line, field=field, problem=text))

    orgs: dict[str, Org] = {}
    org_lines: dict[str, int] = {}
    for line, row in org_rows:
        sid = row["sourcedId"]
        if not sid:
            problem("orgs.csv", line, "$.sourcedId", "required")
        elif sid in org_lines:
            problem("orgs.csv", line, "$.sourcedId", f"{sid!r} is already on line {org_lines[sid]}")
        else:
            org_lines[sid] = line
            orgs[sid] = Org(
                code=row["identifier"] or sid, name=row["name"], is_school=row["type"] == "school"
            )

    user_lines: dict[str, int] = {}
    bad_users: set[str] = set()
    for line, row in users:
        sid = row["sourcedId"]
        if not sid:
            problem("users.csv", line, "$.sourcedId", "required")
        elif sid in user_lines:
            problem("users.csv", line, "$.sourcedId", f"{sid!r} is already on line {user_lines[sid]}")
        else:
            user_lines[sid] = line

    # The staff role and org of each user: (role, org sourcedId or "") in order of preference.
    placements: dict[str, list[tuple[str, str]]] = {}
    if version == "1.2":
        role_lines: dict[str, int] = {}
        primary: dict[str, list[tuple[str, str]]] = {}
        for line, row in role_rows:
            sid, user, role, org = row["sourcedId"], row["userSourcedId"], row["role"], row["orgSourcedId"]
            if not sid:
                problem("roles.csv", line, "$.sourcedId", "required")
                continue
            if sid in role_lines:
                problem("roles.csv", line, "$.sourcedId", f"{sid!r} is already on line {role_lines[sid]}")
                continue
            role_lines[sid] = line
            if row["status"] == "tobedeleted":
                continue
            if user not in user_lines:
                problem("roles.csv", line, "$.userSourcedId", f"user {user!r} is not in users.csv")
                continue
            if role in OTHER_ROLES or role.startswith("ext:"):
                continue
            if role not in STAFF_ROLES:
                problem("roles.csv", line, "$.role", f"{role!r} is not a OneRoster 1.2 role")
                bad_users.add(user)
                continue
            if row["roleType"] not in ("primary", "secondary"):
                problem("roles.csv", line, "$.roleType", f"{row['roleType']!r} is not primary or secondary")
                bad_users.add(user)
                continue
            if org not in orgs:
                problem("roles.csv", line, "$.orgSourcedId", f"org {org!r} is not in orgs.csv")
                bad_users.add(user)
                continue
            (primary if row["roleType"] == "primary" else placements).setdefault(user, []).append((role, org))
        for user, first in primary.items():
            placements[user] = first + placements.get(user, [])

    rows: list[tuple[int, dict[str, Any]]] = []
    columns: dict[int, dict[str, str]] = {}
    skipped = 0
    for line, row in users:
        sid = row["sourcedId"]
        if not sid or user_lines.get(sid) != line or sid in bad_users:
            continue
        if version == "1.1":
            role = row["role"]
            if role in OTHER_ROLES or role.startswith("ext:"):
                skipped += 1
                continue
            if role not in STAFF_ROLES:
                problem("users.csv", line, "$.role", f"{role!r} is not a OneRoster 1.1 role")
                continue
            refs = [r.strip() for r in row["orgSourcedIds"].split(",") if r.strip()]
            unknown = [r for r in refs if r not in orgs]
            if unknown:
                problem("users.csv", line, "$.orgSourcedIds", f"org {unknown[0]!r} is not in orgs.csv")
                continue
            schools = [r for r in refs if orgs[r].is_school]
            place = (role, schools[0] if schools else "")
        else:
            found = placements.get(sid)
            if not found:
                skipped += 1  # only non-staff roles, or none
                continue
            at_school = [p for p in found if orgs[p[1]].is_school]
            place = at_school[0] if at_school else (found[0][0], "")
        role, org_id = place
        school = orgs[org_id] if org_id else None
        status = (
            "terminated"
            if row["status"] == "tobedeleted"
            else "inactive"
            if row["enabledUser"].lower() == "false"
            else "active"
        )
        rows.append(
            (
                line,
                {
                    "employee_id": row["identifier"] or sid,
                    "name": f"{row['givenName']} {row['familyName']}".strip(),
                    "email": row["email"],
                    "school_code": school.code if school else "",
                    "school_name": school.name if school else "",
                    "role_code": role,
                    "role_title": title(role),
                    "status": status,
                },
            )
        )
        columns[line] = {
            "employee_id": "$.identifier" if row["identifier"] else "$.sourcedId",
            "name": "$.givenName",
            "email": "$.email",
            "school_code": "$.orgSourcedIds" if version == "1.1" else "$.sourcedId",
        }
    errors.sort(key=lambda e: (e.file, e.line))
    return Bundle(version=version, rows=rows, columns=columns, errors=errors, skipped=skipped)
