"""Assertions on the typed objects influxdb_client hands back, and permission builders."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime

import pytest
from influxdb_client import Authorization, Permission, PermissionResource
from influxdb_client.rest import ApiException

ID_RE = re.compile(r"^[0-9a-f]{16}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{86}==$")

# AllResourceTypes order (contract §2.1); GET /api/v2/resources returns exactly this.
RESOURCE_TYPES = [
    "authorizations", "buckets", "dashboards", "orgs", "sources", "tasks", "telegrafs", "users",
    "variables", "scrapers", "secrets", "labels", "views", "documents", "notificationRules",
    "notificationEndpoints", "checks", "dbrp", "notebooks", "annotations", "remotes",
    "replications", "instance",
]


@contextmanager
def api_error(status: int, message: str | None = None):
    """Expect the library to raise ApiException with this HTTP status (and message)."""
    with pytest.raises(ApiException) as info:
        yield info
    assert info.value.status == status, f"expected {status}, got {info.value.status}: {info.value.body!r}"
    if message is not None:
        assert info.value.message == message, info.value.body


def perm(action: str, type_: str, *, id: str | None = None, org_id: str | None = None) -> Permission:
    return Permission(action=action, resource=PermissionResource(type=type_, id=id, org_id=org_id))


def perm_key(p: Permission) -> tuple:
    return (p.action, p.resource.type, p.resource.id, p.resource.org_id)


def all_access(org_id: str, user_id: str, types: list[str]) -> list[Permission]:
    """`influx auth create --all-access` (contract §2.3): orgs -> read orgs/<org>; users ->
    read+write users/<user>; instance skipped; every other type read+write in the org."""
    out: list[Permission] = []
    for t in types:
        if t == "instance":
            continue
        if t == "orgs":
            out.append(perm("read", "orgs", id=org_id))
        elif t == "users":
            out += [perm("read", "users", id=user_id), perm("write", "users", id=user_id)]
        else:
            out += [perm("read", t, org_id=org_id), perm("write", t, org_id=org_id)]
    return out


def org_scoped_everything(org_id: str, types: list[str]) -> list[Permission]:
    """read+write of each resource type (except instance) scoped to the org."""
    return [perm(a, t, org_id=org_id) for t in types if t != "instance" for a in ("read", "write")]


def assert_time(value) -> None:
    assert isinstance(value, datetime), f"not a datetime: {value!r}"
    assert value.tzinfo is not None, f"timestamp without zone: {value!r}"


def assert_authorization(a, *, org=None, user=None, status: str | None = "active",
                         description: str | None = None, permissions: list[Permission] | None = None,
                         token: str | None = None, names: bool = True) -> None:
    """Every field of a deserialized Authorization. `token`: "" (hidden), "plain" (88 chars), a
    literal value, or None to skip. `names=False` for setup's raw auth (no org/user names, §7)."""
    assert isinstance(a, Authorization), type(a)
    assert a.id and ID_RE.match(a.id), a.id
    assert a.status in ("active", "inactive")
    if status is not None:
        assert a.status == status
    assert isinstance(a.description, str), "description must always be present"
    if description is not None:
        assert a.description == description
    if org is not None:
        assert a.org_id == org.id
        if names:
            assert a.org == org.name
    if user is not None:
        assert a.user_id == user.id
        if names:
            assert a.user == user.name
    assert ID_RE.match(a.org_id or ""), a.org_id
    assert ID_RE.match(a.user_id or ""), a.user_id
    assert a.links == {"self": f"/api/v2/authorizations/{a.id}", "user": f"/api/v2/users/{a.user_id}"}
    assert_time(a.created_at)
    assert_time(a.updated_at)
    assert a.updated_at >= a.created_at
    assert isinstance(a.permissions, list) and a.permissions, "permissions must be a non-empty list"
    for p in a.permissions:
        assert isinstance(p, Permission)
        assert p.action in ("read", "write")
        assert isinstance(p.resource, PermissionResource)
        assert p.resource.type in RESOURCE_TYPES
        if p.resource.org_id is not None and names and org is not None and p.resource.org_id == org.id:
            assert p.resource.org == org.name, f"resource.org missing on {p}"
    if permissions is not None:
        assert [perm_key(p) for p in a.permissions] == [perm_key(p) for p in permissions]
    if token == "plain":
        assert a.token and TOKEN_RE.match(a.token), a.token
    elif token is not None:
        assert a.token == token
