"""Ralph's LRS on its filesystem backend, as the xAPI tests run it: with ralph's own venv's
Python, `ralph_lrs.py PORT`, in the directory the statements are kept in, with the environment
tests/xapi/conftest.py sets (`RALPH_RUNSERVER_BACKEND=fs`, `RALPH_AUTH_FILE`, ...).

The one change to stock ralph 5.1: its filesystem LRS backend writes every POST to one file,
`fs_lrs.jsonl`, in `create` mode, so the first write makes the file and every later one fails
(500, "already exists and overwrite is not allowed"); no setting changes the mode. Here the
backend appends instead, which is all an LRS on one file needs (see README, "xAPI")."""

import json
import os
import sys
from pathlib import Path

import bcrypt
import uvicorn


def main() -> None:
    port = int(sys.argv[1])
    # One user, with every scope: the credential the district configures in Front Office.
    user = {
        "username": os.environ["LRS_KEY"],
        "hash": bcrypt.hashpw(os.environ["LRS_SECRET"].encode(), bcrypt.gensalt(4)).decode(),
        "scopes": ["all"],
        "agent": {"mbox": "mailto:frontoffice@example.org"},
    }
    Path(os.environ["RALPH_AUTH_FILE"]).write_text(json.dumps([user]))

    # Imported after the auth file is written: ralph reads its settings when first imported.
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend

    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
