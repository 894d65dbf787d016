"""`frontoffice lti import`: the registrations file, JSON or TOML, creating or updating."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main


def test_import_file_json_and_toml(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTOFFICE_DATABASE_URL", database_url)
    runner = CliRunner()
    made = runner.invoke(main, ["districts", "create", "district-a", "--name", "District A"])
    assert made.exit_code == 0, made.output
    entries = [
        {
            "issuer": "https://canvas.instructure.com",
            "client_id": f"1000000000000{n}",
            "deployment_ids": [f"dep-{n}"],
            "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
            "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
            "auth_audience": None,
        }
        for n in (1, 2)
    ]
    as_json = tmp_path / "platforms.json"
    as_json.write_text(json.dumps({"registrations": entries}))
    result = runner.invoke(main, ["lti", "import", "--district", "district-a", str(as_json)])
    assert result.exit_code == 0, result.output
    assert "2 registration(s) created, 0 updated" in result.output
    as_toml = tmp_path / "platforms.toml"
    as_toml.write_text(
        "[[registrations]]\n"
        + "\n".join(
            f"{k} = {json.dumps(v)}"
            for k, v in {**entries[0], "deployment_ids": ["dep-1", "dep-9"]}.items()
            if v
        )
        + "\n"
    )
    result = runner.invoke(main, ["lti", "import", "--district", "district-a", str(as_toml)])
    assert result.exit_code == 0, result.output
    assert "0 registration(s) created, 1 updated" in result.output
    listed = runner.invoke(main, ["lti", "list", "--district", "district-a"])
    assert "dep-1,dep-9" in listed.output and "10000000000002" in listed.output
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({"registrations": [{**entries[0], "clientid": "x"}]}))
    failed = runner.invoke(main, ["lti", "import", "--district", "district-a", str(typo)])
    assert failed.exit_code == 1 and "clientid" in failed.output
