"""Schemathesis checks for wire rules of the contract that an OpenAPI document cannot express,
plus one hook that keeps the run's own operator token alive.

Loaded by run.sh through SCHEMATHESIS_HOOKS; each check is enabled by name in --checks.
  influx_build_headers     every response carries X-Influxdb-Build: OSS and X-Influxdb-Version (contract §0)
  influx_error_header      an error's X-Platform-Error-Code equals its body's code (contract §0)
  influx_empty_204         a 204 has no body and no Content-Type (contract §0)
  influx_token_exposure    the 201 of POST /api/v2/authorizations carries an 88-char base64url token;
                           with hashed tokens (the default) GET, PATCH and list return "", without
                           them (INFLUX_CONFORMANCE_HASHED_TOKENS=false) the token again (contract §5)
  influx_reached_success   the run reached the success status of the core token operations at least
                           once, so a green run cannot come from error paths alone
"""

from __future__ import annotations

import json
import os
import re

import schemathesis

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{86}==")
DOCUMENTED_METHODS = {"GET", "HEAD", "POST", "PATCH", "DELETE"}


# Schemathesis feeds IDs it saw in responses (and the real IDs run.sh gives it) back into later
# requests, including the undocumented methods its coverage phase probes. Sooner or later it would
# DELETE or PATCH the operator authorization the run itself uses, or its user or org, and every
# request after that is a 401/403. Such requests are pointed at an ID that never exists instead.
PROTECTED_IDS = {
    value
    for value in os.environ.get("INFLUX_CONFORMANCE_PROTECTED_IDS", "").split(",")
    if value
}
NEVER_EXISTS_ID = "0badc0de0badc0de"


@schemathesis.hook
def before_call(context, case, kwargs):
    if not PROTECTED_IDS or case.method.upper() in ("GET", "HEAD", "POST"):
        return
    params = case.path_parameters
    for name, value in list((params or {}).items()):
        if value in PROTECTED_IDS:
            params[name] = NEVER_EXISTS_ID


def _header(response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    if not values:
        return None
    return values[0]


def _json(response):
    try:
        return json.loads(response.content)
    except (ValueError, TypeError):
        return None


@schemathesis.check
def influx_build_headers(ctx, response, case):
    """Every response, errors included, says which build it is."""
    build = _header(response, "X-Influxdb-Build")
    version = _header(response, "X-Influxdb-Version")
    if build != "OSS":
        raise AssertionError(f"X-Influxdb-Build is {build!r}, expected 'OSS'")
    if not version:
        raise AssertionError("X-Influxdb-Version is missing or empty")


@schemathesis.check
def influx_error_header(ctx, response, case):
    """Errors name their code twice: in the body and in X-Platform-Error-Code."""
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return
    body = _json(response)
    if not isinstance(body, dict) or "code" not in body:
        raise AssertionError(f"error response without a JSON {{code, message}} body: {response.content[:200]!r}")
    header = _header(response, "X-Platform-Error-Code")
    if header != body["code"]:
        raise AssertionError(f"X-Platform-Error-Code is {header!r} but the body's code is {body['code']!r}")


@schemathesis.check
def influx_empty_204(ctx, response, case):
    """204 means no body and no Content-Type."""
    if response.status_code != 204:
        return
    if response.content:
        raise AssertionError(f"204 with a body: {response.content[:200]!r}")
    content_type = _header(response, "Content-Type")
    if content_type:
        raise AssertionError(f"204 with Content-Type {content_type!r}")


def _authorizations_in(path: str, method: str, status: int, body):
    """(authorization, should_show_token) pairs found in a response of the token routes."""
    if not isinstance(body, dict):
        return []
    if path == "/api/v2/authorizations" and method == "POST" and status == 201:
        return [(body, True)]
    if path == "/api/v2/authorizations" and method == "GET" and status == 200:
        return [(a, False) for a in body.get("authorizations") or [] if isinstance(a, dict)]
    if path == "/api/v2/authorizations/{authID}" and method in ("GET", "PATCH") and status == 200:
        return [(body, False)]
    return []


HASHED_TOKENS = os.environ.get("INFLUX_CONFORMANCE_HASHED_TOKENS", "true").lower() != "false"


@schemathesis.check
def influx_token_exposure(ctx, response, case):
    """With hashed tokens the plaintext is shown once, in the creating response; else always."""
    method = case.method.upper()
    for auth, shown in _authorizations_in(case.path, method, response.status_code, _json(response)):
        shown = shown or not HASHED_TOKENS
        token = auth.get("token")
        if shown and not (isinstance(token, str) and TOKEN_RE.fullmatch(token)):
            raise AssertionError(f"{method} {case.path} {response.status_code}: token is not 88 chars of "
                                 f"base64url ending in '==': {str(token)[:12]!r}...")
        if not shown and token != "":
            raise AssertionError(f"{method} {case.path} {response.status_code}: authorization "
                                 f"{auth.get('id')} exposes a non-empty token in hashed mode")


# Operations whose success status a 25-example run reliably reaches (run.sh seeds spare
# authorizations for the by-ID routes); label -> success status.
MUST_SUCCEED = {
    "GET /api/v2/authorizations": 200,
    "POST /api/v2/authorizations": 201,
    "GET /api/v2/authorizations/{authID}": 200,
    "PATCH /api/v2/authorizations/{authID}": 200,
    "DELETE /api/v2/authorizations/{authID}": 204,
    "GET /api/v2/orgs": 200,
    "GET /api/v2/users": 200,
    "GET /api/v2/me": 200,
    "GET /api/v2/resources": 200,
    "GET /api/v2/buckets": 200,
}


@schemathesis.check
class influx_reached_success:  # noqa: N801 - the check's name is the class name
    """Fail the run if a core operation never answered with its success status."""

    def __init__(self):
        self.reached: set[str] = set()
        self.tested: set[str] = set()

    def after_response(self, ctx, response, case):
        label = f"{case.method.upper()} {case.path}"
        if label not in MUST_SUCCEED:
            return
        self.tested.add(label)
        if response.status_code == MUST_SUCCEED[label]:
            self.reached.add(label)

    def after_run(self, ctx):
        missing = sorted(label for label in self.tested if label not in self.reached)
        if missing:
            raise AssertionError("never got the success status from: " + ", ".join(
                f"{label} ({MUST_SUCCEED[label]})" for label in missing))
