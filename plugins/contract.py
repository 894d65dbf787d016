"""The plugin contract: the only module of Front Office a plugin imports (besides `schemas`,
the wire types, and third-party libraries). Built-in plugins hold to it as a third-party one
must; import-linter checks that they do (`make lint`).

What a plugin may use:

- **The protocol**: `Plugin` (subclass it; every hook is documented on it), the `Context` it is
  handed, `Subscription`, `Delivery`, `Outcome`, `Attempted`; `SecretStr` for secret config
  fields, `load_config` to read a district's configuration (secrets revealed);
  `secret_fields(config_type)` names a config's secret fields, stored with the `SEALED` prefix.
- **Metrics**: `Plugin.metrics(registry)` registers the plugin's counters (prometheus-client's)
  on the registry `/metrics` serves; `Plugin.gauges(session)` returns figures read from its own
  tables at scrape time.
- **Events**: `emit(session, district_id, event, at=None)`, the one outbox writer (in the
  caller's transaction; the dispatcher fans the event out to every plugin that takes it).
  Events are typed (schemas/events.py): `Delivery.event` is a tagged union on `type` whose
  `data` is the payload Struct.
- **Delivery**: `classify(status)`, what an HTTP status means for a delivery (success, retry,
  gone).
- **Storage**: `Sessions` (the session maker), the declarative `Base` a plugin declares its own
  tables on, `UTCDateTime` (the column type of every timestamp), `table(Model)` (a model's Core
  table), `utcnow`, and the app's models plugins may read: `Completion`, `Learner`,
  `PluginSetting`, `OutboxEvent`, `DeliveryRow`/`DeliveryAttempt` (the outbox's deliveries).
  A plugin's own tables are migrated from the folder `Plugin.migrations` names (its branch of
  Alembic revisions); `Plugin.prune` deletes its expired rows. On SQLite, `OneTripStatement`
  (a statement compiled once), `OneTripStep` (it with its values) and
  `LoopWriter(database).write(steps)` run a hot write transaction, on the event loop while
  the write lock is free.
- **Secrets**: `SecretBox` (seal and open a plugin's stored secrets).
- **Errors** a plugin raises, answered as RFC 9457 problems: `FrontOfficeError` and
  `BadRequest`, `Unauthorized`, `Forbidden`, `NotFound`, `Conflict`, `InvalidInput`;
  `problems(*statuses)` documents a route's problem responses.
- **Routes**: `Scope`, `requires(*scopes)` (a controller's `opt`), `principal_of(request)`.
- **Outbound calls**: `UnsafeDestination` (raised by the guarded client), `check_url` and
  `resolve_and_check` (check a URL an administrator gives before storing it).
- **Live workshops**: `OpenRooms(sessions).find(district_id, module_id, code, cohort)`, the
  open room a launch joins (by a code, or the launch's cohort), and `add_participant(connection,
  workshop_id, learner_id)`, in the launch's own transaction.
- **Learners and content**: `Catalog` (the published modules), `issue_learner_token`; the
  `Attempt` model (a submitted attempt's answers, for a plugin that reports them item by item)
  and `is_scorable` / `score_item` (an item's credit, marked as Front Office marks it).
- **Helpers**: `Memo` (a small async cache with a TTL).
- **The console**: `open_console_session(sessions, district_id, subject, name, email,
  lms_admin)` opens a console session for a person a plugin has verified (an LTI launch by an
  instructor or LMS administrator; their role decided by the district's rules, conservatively),
  `console_session_cookie(session_id)` the cookie that carries it.
- **Commands**: `run_with_sessions(work, migrate=False)` runs a CLI command's async work
  against the configured database; `district_id_of(sessions, slug)`, `secret_box(sessions)`.
"""

from api.attempts.scoring import is_scorable, score_item
from api.clirun import district_id_of, run_with_sessions, secret_box
from api.console.controllers import session_cookie as console_session_cookie
from api.console.services import open_lms_session as open_console_session
from api.content.catalog import Catalog
from api.crypto import SecretBox
from api.db import Sessions
from api.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    FrontOfficeError,
    InvalidInput,
    NotFound,
    Unauthorized,
    problems,
)
from api.identity.auth import Scope, principal_of, requires
from api.identity.tokens import issue as issue_learner_token
from api.memo import Memo
from api.models import (
    Attempt,
    Base,
    Completion,
    DeliveryAttempt,
    Learner,
    OutboxEvent,
    PluginSetting,
    UTCDateTime,
    table,
    utcnow,
)
from api.models import Delivery as DeliveryRow
from api.outbound import UnsafeDestination, check_url, resolve_and_check
from api.outbox.emit import emit
from api.outbox.retry import classify
from api.plugin import (
    SEALED,
    Attempted,
    Context,
    Delivery,
    Outcome,
    Plugin,
    SecretStr,
    Subscription,
    load_config,
    secret_fields,
)
from api.sqlite_driver import LoopWriter, OneTripStatement, OneTripStep
from api.workshops.services import OpenRooms, add_participant

__all__ = [
    "SEALED",
    "Attempt",
    "Attempted",
    "BadRequest",
    "Base",
    "Catalog",
    "Completion",
    "Conflict",
    "Context",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryRow",
    "Forbidden",
    "FrontOfficeError",
    "InvalidInput",
    "Learner",
    "LoopWriter",
    "Memo",
    "NotFound",
    "OneTripStatement",
    "OneTripStep",
    "OpenRooms",
    "OutboxEvent",
    "Outcome",
    "Plugin",
    "PluginSetting",
    "Scope",
    "SecretBox",
    "SecretStr",
    "Sessions",
    "Subscription",
    "UTCDateTime",
    "Unauthorized",
    "UnsafeDestination",
    "add_participant",
    "check_url",
    "classify",
    "console_session_cookie",
    "district_id_of",
    "emit",
    "is_scorable",
    "issue_learner_token",
    "load_config",
    "open_console_session",
    "principal_of",
    "problems",
    "requires",
    "resolve_and_check",
    "run_with_sessions",
    "score_item",
    "secret_box",
    "secret_fields",
    "table",
    "utcnow",
]
