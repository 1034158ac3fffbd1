#!/usr/bin/env python3
"""Check that openapi/influx-authz.yml has not drifted from InfluxDB's official OSS spec.

For every path + method in our spec it checks, against the official spec:
  * the path exists there with that method, under the same operationId. Paths are compared as a
    client reaches them: a relative server URL (`servers:` at the top, on a path or on an
    operation; the innermost wins) is put in front of the path, so the official
    `/legacy/authorizations` with `servers: [{url: /private}]` is our `/private/legacy/authorizations`;
  * every parameter we declare exists there with the same name, location and type;
  * every request body / response body property we declare (recursively) exists in the
    official schema of the same operation and status, with a compatible type and, where both
    sides list an enum, with our values a subset of theirs;
  * every request body property we require is required officially too (a client written
    against the official spec may leave out what it calls optional);
  * every success (2xx) status we declare is one the official operation declares;
  * response headers we declare, where the official response declares headers too.
Official schemas are read with $ref and allOf resolved. A response status the official spec
does not list is compared with its `default` response, or else with its `Error` schema.

Extensions: an operation, parameter or schema property of ours that InfluxDB does not have must
carry the vendor extension `x-influx-authz-extension: true` (see MARKER). Marked items are not
compared further and are listed as extensions; an unmarked parameter or property the official
spec lacks is drift, and so is a marked one the official spec does have (the marker would then
claim an addition that is not one).

Deliberate differences that are not extensions (InfluxDB behaviour its spec does not describe)
live in ALLOWED below, each with its reason.

Usage: python3 tests/conformance/spec_drift.py [-v]
  OFFICIAL_SPEC  path of InfluxDB's spec (default: <repo>/../shared/reference/influxdb-oss-openapi.yml)
  OUR_SPEC       path of our spec (default: <repo>/openapi/influx-authz.yml)
  CONFORMANCE_REQUIRE_OFFICIAL_SPEC  1: an absent official spec is a failure instead of a skip
Exit status: 0 when nothing drifted, 1 on drift, 2 on usage errors, 3 when the official spec is
absent but required, 77 when it is absent and the check was skipped (nothing compared, so it did not
pass either). The last line printed is "N passed, N failed" (", 1 skipped" when skipped).
"""

from __future__ import annotations

import fnmatch
import os
import sys
from urllib.parse import urlsplit

try:
    import yaml
except ImportError:  # pragma: no cover
    print("spec_drift: PyYAML is required (pip install -r tests/conformance/requirements.txt)")
    sys.exit(2)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUR_SPEC = os.environ.get("OUR_SPEC", os.path.join(REPO, "openapi", "influx-authz.yml"))
OFFICIAL_SPEC = os.environ.get(
    "OFFICIAL_SPEC",
    os.path.normpath(os.path.join(REPO, "..", "shared", "reference", "influxdb-oss-openapi.yml")),
)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
EXIT_MISSING_REQUIRED = 3
# The exit status of a skipped check (the automake and meson convention).
EXIT_SKIPPED = 77
# Marks what influx-authz adds to InfluxDB's API (an operation, a parameter or a schema property).
MARKER = "x-influx-authz-extension"


def is_extension(node) -> bool:
    return isinstance(node, dict) and node.get(MARKER) is True

# Each entry: (glob over the check's location string, reason). A location string looks like
#   "GET /api/v2/authorizations param query:id"
#   "POST /api/v2/setup response 201 body.auth.hashedToken"
#   "GET /ping response 204 header X-Influxdb-Version"
# A failing check whose location matches an entry is reported as "allowed", not failed.
ALLOWED: list[tuple[str, str]] = [
    (
        "GET /api/v2/authorizations param query:id",
        "InfluxDB's handler reads ?id= (contract §1.3) although its OpenAPI spec does not list it.",
    ),
    (
        "GET /private/legacy/authorizations param query:id",
        "InfluxDB's v1 handler reads ?id=; its OpenAPI spec names the filter authID (contract §1.8). "
        "We read both.",
    ),
    (
        "POST /private/legacy/authorizations request body required:token",
        "InfluxDB's server refuses a v1 authorization without token (400 `token required for v1 user "
        "authorization type`, contract §1.8) although its OpenAPI spec leaves the field optional.",
    ),
    (
        "POST /api/v2/setup response 201 body.auth.hashedToken",
        "With hashed tokens setup returns the raw record, which has hashedToken (contract §5); "
        "the official spec predates hashing.",
    ),
    (
        "PUT /api/v2/me/password response 400 application/json",
        "The official 400 declares no body, but every error carries the JSON {code, message} body "
        "(contract §0).",
    ),
    (
        "* /ping response 204 header X-Influxdb-Version",
        "The official spec types it as integer, but InfluxDB sends a string like v2.7.11 (contract §7).",
    ),
]


def server_prefix(servers) -> str | None:
    """The path a `servers` list puts in front of every path: its first URL's path, or None when
    there is no list (the enclosing level's then applies)."""
    if not servers:
        return None
    url = (servers[0] or {}).get("url", "") or ""
    return urlsplit(url).path.rstrip("/")


class Spec:
    """A loaded OpenAPI document with local $ref resolution."""

    def __init__(self, path: str):
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(path, encoding="utf-8") as fh:
            self.doc = yaml.load(fh, Loader=loader)

    def operations(self):
        """(path as a client reaches it, method, path as written, path item, operation) of every
        operation. The innermost `servers` (operation, then path, then document) gives the prefix."""
        top = server_prefix(self.doc.get("servers")) or ""
        for path, item in sorted((self.doc.get("paths") or {}).items()):
            for method in METHODS:
                op = item.get(method)
                if op is None:
                    continue
                prefix = server_prefix(op.get("servers"))
                if prefix is None:
                    prefix = server_prefix(item.get("servers"))
                if prefix is None:
                    prefix = top
                yield prefix + path, method, path, item, op

    def deref(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $refs are supported: {ref}")
            target = self.doc
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
            if seen > 64:
                raise ValueError(f"$ref loop at {ref}")
        return node

    def flatten(self, schema, depth: int = 0) -> dict:
        """Resolve $ref, merge allOf (and, leniently, the branches of oneOf/anyOf) into one dict.

        Sibling keys next to a $ref are kept (the official spec has a few such schemas)."""
        if depth > 32 or not isinstance(schema, dict):
            return schema if isinstance(schema, dict) else {}
        out: dict = {}
        if "$ref" in schema:
            out = merge(out, self.flatten(self.deref({"$ref": schema["$ref"]}), depth + 1))
        for part in schema.get("allOf", []) or []:
            out = merge(out, self.flatten(part, depth + 1), intersect=True)
        for key in ("oneOf", "anyOf"):
            for part in schema.get(key, []) or []:
                out = merge(out, self.flatten(part, depth + 1))
        own = {k: v for k, v in schema.items() if k not in ("$ref", "allOf", "oneOf", "anyOf")}
        return merge(out, own, intersect=True)


def merge(a: dict, b: dict, intersect: bool = False) -> dict:
    """Merge two flattened schemas. Enums intersect for allOf (both must hold), else they unite."""
    out = dict(a)
    for key, value in b.items():
        if key == "properties" and isinstance(value, dict):
            props = dict(out.get("properties", {}))
            props.update(value)
            out["properties"] = props
        elif key == "required":
            out["required"] = sorted(set(out.get("required", [])) | set(value))
        elif key == "enum" and "enum" in out:
            if intersect:
                out["enum"] = [v for v in out["enum"] if v in value]
            else:
                out["enum"] = list(out["enum"]) + [v for v in value if v not in out["enum"]]
        else:
            out[key] = value
    return out


def schema_type(flat: dict):
    if "type" in flat:
        return flat["type"]
    if "properties" in flat or "additionalProperties" in flat:
        return "object"
    if "items" in flat:
        return "array"
    return None


def compatible(ours, theirs) -> bool:
    if ours is None or theirs is None or ours == theirs:
        return True
    return ours == "integer" and theirs == "number"


class Report:
    def __init__(self, verbose: bool):
        self.verbose = verbose
        self.passed = 0
        self.failed: list[str] = []
        self.allowed: list[str] = []
        self.extensions: list[str] = []

    def extension(self, where: str, official_has_it: bool) -> None:
        """Count one marked item: fine when the official spec lacks it, drift when it has it."""
        if self.check(
            not official_has_it,
            f"{where} {MARKER}",
            "marked as an extension, but the official spec declares it (drop the marker)",
        ):
            self.extensions.append(where)
            if self.verbose:
                print(f"ext     {where}")

    def check(self, ok: bool, where: str, detail: str = "") -> bool:
        """Count one check. Returns `ok`, so callers skip deeper checks on a mismatch."""
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"ok      {where}")
            return True
        for pattern, reason in ALLOWED:
            if fnmatch.fnmatchcase(where, pattern):
                self.passed += 1
                self.allowed.append(f"{where}: {detail} [allowed: {reason}]")
                if self.verbose:
                    print(f"allowed {where}: {detail}")
                return False  # allowed, but the thing compared is still absent or different
        self.failed.append(f"{where}: {detail}")
        print(f"DRIFT   {where}: {detail}")
        return False


def compare_schema(ours_spec: Spec, ours, off_spec: Spec, theirs, where: str, rep: Report, seen=None):
    seen = set() if seen is None else seen
    key = (id(ours), id(theirs))
    if key in seen:
        return
    seen.add(key)
    o = ours_spec.flatten(ours)
    t = off_spec.flatten(theirs)
    ot, tt = schema_type(o), schema_type(t)
    if not rep.check(compatible(ot, tt), f"{where}", f"type {ot!r} here, {tt!r} in the official spec"):
        return
    if "enum" in o and "enum" in t:
        extra = [v for v in o["enum"] if v not in t["enum"]]
        rep.check(not extra, where, f"enum values {extra} are not in the official enum")
    if ot == "array" or (ot is None and "items" in o):
        if "items" in o:
            compare_schema(ours_spec, o["items"], off_spec, t.get("items", {}), f"{where}[]", rep, seen)
        return
    their_props = t.get("properties", {}) or {}
    their_extra = t.get("additionalProperties")
    for name, sub in (o.get("properties", {}) or {}).items():
        loc = f"{where}.{name}"
        if is_extension(ours_spec.flatten(sub)):
            rep.extension(loc, name in their_props)
        elif name in their_props:
            rep.check(True, loc)
            compare_schema(ours_spec, sub, off_spec, their_props[name], loc, rep, seen)
        elif isinstance(their_extra, dict):
            rep.check(True, loc)
            compare_schema(ours_spec, sub, off_spec, their_extra, loc, rep, seen)
        else:
            rep.check(False, loc, f"property is not in the official schema (an addition of ours needs {MARKER}: true)")


def param_map(spec: Spec, path_item: dict, op: dict) -> dict:
    out = {}
    for raw in (path_item.get("parameters") or []) + (op.get("parameters") or []):
        p = spec.deref(raw)
        out[(p["in"], p["name"])] = p
    return out


def official_response(off: Spec, op: dict, status: str):
    """The official response for a status, with a note on what it fell back to."""
    responses = op.get("responses", {}) or {}
    if status in responses:
        return off.deref(responses[status]), ""
    if "default" in responses:
        return off.deref(responses["default"]), " (status not listed officially; compared with default)"
    return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, (
        " (status not listed officially; compared with Error)"
    )


def compare_operation(ours: Spec, off: Spec, path: str, method: str, our_item: dict, our_op: dict,
                      official: dict, rep: Report):
    """Compares one operation of ours (`path` as a client reaches it) with the official one there.
    `official` maps each official (path as reached, method) to its (path as written, item, op)."""
    label = f"{method.upper()} {path}"
    found = official.get((path, method))
    if is_extension(our_op):
        rep.extension(label, found is not None)
        return
    if not rep.check(any(p == path for p, _ in official), f"{label} path", "path is not in the official spec"):
        return
    if not rep.check(found is not None, f"{label} method", "method is not in the official spec"):
        return
    written, off_item, off_op = found
    if written != path and rep.verbose:
        print(f"mapped  {label}: official {method.upper()} {written} behind its server URL")
    rep.check(
        our_op.get("operationId") == off_op.get("operationId"),
        f"{label} operationId",
        f"{our_op.get('operationId')!r} here, {off_op.get('operationId')!r} in the official spec",
    )

    # Parameters.
    their_params = param_map(off, off_item, off_op)
    for (loc, name), p in param_map(ours, our_item, our_op).items():
        where = f"{label} param {loc}:{name}"
        tp = their_params.get((loc, name))
        if is_extension(p):
            rep.extension(where, tp is not None)
            continue
        if not rep.check(tp is not None, where, f"parameter is not in the official operation (an addition of ours needs {MARKER}: true)"):
            continue
        ot = schema_type(ours.flatten(p.get("schema", {})))
        tt = schema_type(off.flatten(tp.get("schema", {})))
        rep.check(compatible(ot, tt), f"{where} type", f"type {ot!r} here, {tt!r} in the official spec")
        if p.get("required") and not tp.get("required"):
            rep.check(loc == "path", f"{where} required", "required here, optional officially")

    # Request body.
    if "requestBody" in our_op:
        our_body = ours.deref(our_op["requestBody"])
        their_body = off.deref(off_op.get("requestBody", {})) if off_op.get("requestBody") else None
        where = f"{label} request"
        if rep.check(their_body is not None, where, "the official operation takes no request body"):
            for media, content in (our_body.get("content") or {}).items():
                tc = (their_body.get("content") or {}).get(media)
                if rep.check(tc is not None, f"{where} {media}", "media type not accepted officially"):
                    compare_schema(ours, content.get("schema", {}), off, tc.get("schema", {}), f"{where} body", rep)
                    their_required = set(off.flatten(tc.get("schema", {})).get("required", []))
                    for name in ours.flatten(content.get("schema", {})).get("required", []):
                        rep.check(
                            name in their_required,
                            f"{where} body required:{name}",
                            "required here, optional in the official request schema",
                        )

    # Responses.
    for status, raw in (our_op.get("responses") or {}).items():
        status = str(status)
        our_resp = ours.deref(raw)
        their_resp, note = official_response(off, off_op, status)
        where = f"{label} response {status}"
        if status.startswith("2"):
            rep.check(
                status in {str(k) for k in (off_op.get("responses") or {})},
                f"{where} status",
                "success status not declared by the official operation",
            )
        for media, content in (our_resp.get("content") or {}).items():
            tc = (their_resp.get("content") or {}).get(media)
            if rep.check(tc is not None, f"{where} {media}", "media type not in the official response" + note):
                compare_schema(ours, content.get("schema", {}), off, tc.get("schema", {}), f"{where} body", rep)
        their_headers = their_resp.get("headers") or {}
        if their_headers:
            for name, h in (our_resp.get("headers") or {}).items():
                hw = f"{where} header {name}"
                th = their_headers.get(name)
                if rep.check(th is not None, hw, "header not in the official response" + note):
                    ot = schema_type(ours.flatten(ours.deref(h).get("schema", {})))
                    tt = schema_type(off.flatten(off.deref(th).get("schema", {})))
                    rep.check(compatible(ot, tt), hw, f"type {ot!r} here, {tt!r} in the official spec")


def main(argv: list[str]) -> int:
    verbose = "-v" in argv or "--verbose" in argv
    if not os.path.isfile(OUR_SPEC):
        print(f"spec_drift: our spec is missing: {OUR_SPEC}")
        print("0 passed, 1 failed")
        return 1
    if not os.path.isfile(OFFICIAL_SPEC):
        if os.environ.get("CONFORMANCE_REQUIRE_OFFICIAL_SPEC", "0") == "1":
            print(f"FAIL spec_drift: official spec not found at {OFFICIAL_SPEC}, and "
                  "CONFORMANCE_REQUIRE_OFFICIAL_SPEC=1 requires it (set OFFICIAL_SPEC)")
            print("0 passed, 1 failed")
            return EXIT_MISSING_REQUIRED
        print(f"SKIPPED spec_drift: official spec not found at {OFFICIAL_SPEC}; nothing was compared "
              "(set OFFICIAL_SPEC to check drift, CONFORMANCE_REQUIRE_OFFICIAL_SPEC=1 to fail instead)")
        print("0 passed, 0 failed, 1 skipped")
        return EXIT_SKIPPED
    ours, off = Spec(OUR_SPEC), Spec(OFFICIAL_SPEC)
    rep = Report(verbose)
    official = {(path, method): (written, item, op) for path, method, written, item, op in off.operations()}
    operations = 0
    for path, method, _, item, op in ours.operations():
        operations += 1
        compare_operation(ours, off, path, method, item, op, official, rep)
    if rep.allowed:
        print(f"allowed differences ({len(rep.allowed)}):")
        for line in rep.allowed:
            print(f"  - {line}")
    if rep.extensions:
        print(f"extensions, marked {MARKER} ({len(rep.extensions)}):")
        for line in rep.extensions:
            print(f"  - {line}")
    print(f"spec_drift: {operations} operations compared with {OFFICIAL_SPEC}")
    print(f"{rep.passed} passed, {len(rep.failed)} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
