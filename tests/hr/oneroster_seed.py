"""OneRoster 1.1 and 1.2 CSV bundles for the roster tests: a district org, two schools,
staff, a student and a parent or guardian; `v11()`/`v12()` with files replaced."""

import io
import zipfile

ORGS = (
    "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
    "d1,,,Springfield District,district,SPR,\n"
    "s1,,,Lincoln Elementary,school,LIN,d1\n"
    "s2,,,Washington Middle,school,,d1\n"
)
USERS_11_HEADER = (
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
)
USERS_11 = USERS_11_HEADER + (
    "u1,,,true,s1,teacher,ana,,Ana,Ruiz,,E100,ana@district.org,,,,,\n"
    'u2,,,true,"d1,s2",administrator,bo,,Bo,Chen,,,bo@district.org,,,,,\n'
    "u3,,,false,s1,aide,cy,,Cy,Diaz,,E300,cy@district.org,,,,,\n"
    "u4,,,true,s1,student,kid,,Kid,One,,S1,kid@students.org,,,,3,\n"
    "u5,,,true,s1,parent,mom,,Mo,One,,,mo@home.org,,,u4,,\n"
)
MANIFEST_11 = (
    "propertyName,value\n"
    "manifest.version,1.0\n"
    "oneroster.version,1.1\n"
    "file.academicSessions,absent\n"
    "file.orgs,bulk\n"
    "file.users,bulk\n"
    "source.systemName,Test SIS\n"
)
MANIFEST_12 = MANIFEST_11.replace("oneroster.version,1.1", "oneroster.version,1.2") + "file.roles,bulk\n"
USERS_12_HEADER = (
    "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,"
    "identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,"
    "resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,"
    "primaryOrgSourcedId,pronouns\n"
)
USERS_12 = USERS_12_HEADER + (
    "u1,,,true,ana,,Ana,Ruiz,,E100,ana@district.org,,,,,,,,,,,s1,\n"
    "u2,,,true,bo,,Bo,Chen,,E200,bo@district.org,,,,,,,,,,,d1,\n"
    "u3,,,true,cy,,Cy,Diaz,,,cy@district.org,,,,,,,,,,,s2,\n"
    "u4,,,true,kid,,Kid,One,,S1,kid@students.org,,,,3,,,,,,,s1,\n"
    "u5,,,true,gran,,Gran,One,,,gran@home.org,,,u4,,,,,,,,,\n"
    "u6,tobedeleted,2026-11-01,true,eve,,Eve,Fox,,E600,eve@district.org,,,,,,,,,,,s1,\n"
)
ROLES_HEADER = (
    "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,"
    "userProfileSourcedId\n"
)
ROLES = ROLES_HEADER + (
    "r1,,,u1,primary,teacher,,,s1,\n"
    "r2,,,u2,primary,districtAdministrator,,,d1,\n"
    "r3,,,u3,secondary,teacher,,,s1,\n"
    "r4,,,u3,primary,counselor,,,s2,\n"
    "r5,,,u4,primary,student,,,s1,\n"
    "r6,,,u5,primary,guardian,,,s1,\n"
    "r7,,,u6,primary,principal,,,s1,\n"
)


def bundle(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def v11(**changes: str) -> dict[str, str | bytes]:
    return {"manifest.csv": MANIFEST_11, "orgs.csv": ORGS, "users.csv": USERS_11} | changes


def v12(**changes: str) -> dict[str, str | bytes]:
    files = {"manifest.csv": MANIFEST_12, "orgs.csv": ORGS, "users.csv": USERS_12, "roles.csv": ROLES}
    return files | changes


BAD_EMAIL = USERS_11.replace("cy@district.org", "cy at district")
