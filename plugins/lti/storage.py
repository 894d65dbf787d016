"""LTI client-side postMessage storage (1EdTech), for LMS frames where cookies are blocked.

When the platform names an `lti_storage_target`, the login stores a secret for the state in
the platform's frame (`lti.put_data`) before going on to the platform: an HMAC of the state
under the service's key (states.py), so nothing is stored here. A launch that arrives
without the state cookie gets a page that reads the secret back (`lti.get_data`) and posts
the launch again with it. The server accepts that second post only from its own origin (a
cross-site form cannot forge the browser's Origin header) and only with the secret of that
state: the browser binding the cookie would have given.
"""

import json
from html import escape
from urllib.parse import urlsplit

STORAGE_SECRET = "lti_storage_secret"

_SCRIPT = """
(function () {
  var target = %(target)s, origin = %(origin)s, id = Math.random().toString(36).slice(2);
  var frame = target === "_parent" ? window.parent : window.parent.frames[target];
  function fallback() { document.getElementById("fallback").hidden = false; }
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.origin !== origin || data.message_id !== id) return;
    if (data.subject !== %(reply)s || data.error) { fallback(); return; }
    %(then)s
  });
  if (!frame) { fallback(); return; }
  frame.postMessage(%(message)s, origin);
  setTimeout(fallback, 3000);
})();
"""

_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Front Office</title>
<body><p>Opening the course…</p>
<p id="fallback" hidden>Your browser blocked this page inside the LMS.
<a href="%(new_tab)s" target="_blank" rel="noopener">Open the course in a new tab.</a></p>
%(form)s<script>%(script)s</script></body></html>"""


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _js(value: object) -> str:
    # JSON inside a <script>: keep "</" from closing it.
    return json.dumps(value).replace("</", "<\\/")


def put_page(target: str, auth_url: str, state: str, secret: str) -> str:
    """The login's page: store the secret in the platform's frame, then go to the platform."""
    script = _SCRIPT % {
        "target": _js(target),
        "origin": _js(origin_of(auth_url)),
        "reply": _js("lti.put_data.response"),
        "message": "{subject: 'lti.put_data', message_id: id, key: "
        + _js("fo_state_" + state)
        + ", value: "
        + _js(secret)
        + "}",
        "then": "window.location.href = " + _js(auth_url) + ";",
    }
    return _PAGE % {"new_tab": escape(auth_url), "form": "", "script": script}


def get_page(target: str, platform_origin: str, launch_url: str, fields: dict[str, str]) -> str:
    """The launch's page when the cookie is missing: read the secret back, post again."""
    inputs = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    form = (
        f'<form id="relaunch" method="post" action="{escape(launch_url)}">{inputs}'
        f'<input type="hidden" name="{STORAGE_SECRET}" id="secret" value=""></form>'
    )
    script = _SCRIPT % {
        "target": _js(target),
        "origin": _js(platform_origin),
        "reply": _js("lti.get_data.response"),
        "message": "{subject: 'lti.get_data', message_id: id, key: "
        + _js("fo_state_" + fields.get("state", ""))
        + "}",
        "then": "document.getElementById('secret').value = data.value;"
        " document.getElementById('relaunch').submit();",
    }
    return _PAGE % {"new_tab": escape(launch_url), "form": form, "script": script}
