"""LegacyAuthorizationsService (v1 authorizations, /private/legacy/authorizations) end to end: create, find
(every filter), v1 and v2 kept apart, update, delete, set password; then v1 credentials (username and password)
at the check endpoint /api/v2/authz/check, refused on the very next request once deactivated or deleted.

The CRUD goes through the library's generated service and domain classes only; the check endpoint is not part
of InfluxDB's API, so it is asked over plain HTTP (urllib). Passwords never reach a message: a `Login`'s repr
leaves its password out.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from influxdb_client import (Authorization, AuthorizationsService, AuthorizationUpdateRequest, Authorizations,
                             LegacyAuthorizationPostRequest, LegacyAuthorizationsService, PasswordResetBody, User,
                             UsersService)

from checks import ID_RE, api_error, assert_time, perm, perm_key
from conftest import ADMIN, BUCKET, ORG

LEGACY = "/private/legacy/authorizations"
PASSWORD_1 = "v1-password-one"
PASSWORD_2 = "v1-password-two"
UNAUTHORIZED = {"code": "unauthorized", "message": "Unauthorized"}


@dataclass(frozen=True)
class Login:
    """A v1 username and password; the password stays out of reprs (pytest prints arguments on failure)."""

    user: str
    password: str = field(repr=False)


@pytest.fixture(scope="module")
def env(setup):
    """v1 authorizations shared by this module: alpha (admin, my-org, read+write my-bucket), beta (user v1-user2,
    my-org), gamma (admin, v1-other-org); and a v2 token, to keep the two kinds apart."""
    op = setup.op
    legacy = LegacyAuthorizationsService(op.api_client)
    user2 = op.users_api().create_user("v1-user2")
    other = op.organizations_api().create_organization(name="v1-other-org")
    bucket_rw = [perm("read", "buckets", id=setup.bucket.id, org_id=setup.org.id),
                 perm("write", "buckets", id=setup.bucket.id, org_id=setup.org.id)]
    alpha = legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, token="v1-alpha", permissions=bucket_rw, description="alpha"))
    beta_perms = [perm("read", "buckets", org_id=setup.org.id)]
    beta = legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, user_id=user2.id, token="v1-beta", permissions=beta_perms))
    gamma_perms = [perm("read", "buckets", org_id=other.id)]
    gamma = legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=other.id, token="v1-gamma", permissions=gamma_perms, description="gamma"))
    v2 = op.authorizations_api().create_authorization(authorization=Authorization(
        org_id=setup.org.id, permissions=bucket_rw, description="a v2 token"))
    return SimpleNamespace(op=op, legacy=legacy, user2=user2, other=other, bucket_rw=bucket_rw,
                           alpha=alpha, beta=beta, beta_perms=beta_perms, gamma=gamma, gamma_perms=gamma_perms,
                           v2=v2, write=f"write:orgs/{setup.org.id}/buckets/{setup.bucket.id}")


def ids(listed) -> list[str]:
    return [a.id for a in listed.authorizations]


def find(env, **filters) -> list[str]:
    return ids(env.legacy.get_legacy_authorizations(**filters))


def usernames(env) -> list[str]:
    return [a.token for a in env.legacy.get_legacy_authorizations().authorizations]


def assert_legacy(a, *, username: str, org, user, status: str = "active", description: str | None = None,
                  permissions=None) -> None:
    """Every field of a v1 authorization as the library deserializes it (the v2 shape, legacy links)."""
    assert isinstance(a, Authorization), type(a)
    assert a.id and ID_RE.match(a.id), a.id
    assert a.token == username, "a v1 authorization's token is its username, always shown"
    assert a.status == status
    assert isinstance(a.description, str), "description must always be present"
    if description is not None:
        assert a.description == description
    assert (a.org_id, a.org) == (org.id, org.name)
    assert (a.user_id, a.user) == (user.id, user.name)
    assert a.links == {"self": f"{LEGACY}/{a.id}", "user": f"/api/v2/users/{user.id}"}
    assert_time(a.created_at)
    assert_time(a.updated_at)
    assert a.updated_at >= a.created_at
    if permissions is not None:
        assert [perm_key(p) for p in a.permissions] == [perm_key(p) for p in permissions]


def v1_login(setup, env, username: str, *, permissions=None, password: str = PASSWORD_1, **fields):
    """A new v1 authorization for admin in my-org (read+write my-bucket unless told), with a password set."""
    a = env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, token=username, permissions=permissions or env.bucket_rw, **fields))
    env.legacy.post_legacy_authorizations_id_password(a.id, PasswordResetBody(password=password))
    return a, Login(username, password)


def deactivate(env, auth_id: str, status: str = "inactive"):
    return env.legacy.patch_legacy_authorizations_id(auth_id, AuthorizationUpdateRequest(status=status))


# --- the check endpoint, over plain HTTP ---------------------------------------------------------

def check(server, login: Login | None, permission: str, form: str = "query") -> SimpleNamespace:
    """GET /api/v2/authz/check?permission=… with `login` in one of InfluxDB's v1 forms that take a username:
    "query" (u/p on the check's own query), "original-uri" (u/p on X-Original-URI, as nginx forwards it) or
    "basic". Returns status, headers and the parsed JSON body (or None)."""
    query = {"permission": permission}
    headers = {}
    if login is not None:
        if form == "query":
            query.update(u=login.user, p=login.password)
        elif form == "original-uri":
            headers["X-Original-URI"] = "/write?" + urllib.parse.urlencode(
                {"db": BUCKET, "u": login.user, "p": login.password})
        elif form == "basic":
            raw = f"{login.user}:{login.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        else:
            raise ValueError(form)
    url = f"{server.url}/api/v2/authz/check?{urllib.parse.urlencode(query)}"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, answer_headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, body = error.code, error.headers, error.read()
    return SimpleNamespace(status=status, headers=answer_headers,
                           body=json.loads(body) if body else None)


FORMS = ("query", "original-uri", "basic")


def assert_let_in(answer, setup, auth_id: str) -> None:
    assert answer.status == 204, answer.body
    assert answer.headers["X-Influx-Authz-User"] == ADMIN
    assert answer.headers["X-Influx-Authz-User-ID"] == setup.user.id
    assert answer.headers["X-Influx-Authz-Org-ID"] == setup.org.id
    assert answer.headers["X-Influx-Authz-Authorization-ID"] == auth_id


def assert_refused(answer) -> None:
    assert (answer.status, answer.body) == (401, UNAUTHORIZED)


# --- create --------------------------------------------------------------------------------------

def test_create_shape(setup, env):
    assert_legacy(env.alpha, username="v1-alpha", org=setup.org, user=setup.user, description="alpha",
                  permissions=env.bucket_rw)
    assert env.alpha.created_at == env.alpha.updated_at
    for p in env.alpha.permissions:
        r = p.resource
        assert (r.type, r.id, r.name, r.org_id, r.org) == ("buckets", setup.bucket.id, BUCKET, setup.org.id, ORG)
    assert_legacy(env.beta, username="v1-beta", org=setup.org, user=env.user2, description="",
                  permissions=env.beta_perms)
    assert_legacy(env.gamma, username="v1-gamma", org=env.other, user=setup.user, description="gamma",
                  permissions=env.gamma_perms)
    assert len({env.alpha.id, env.beta.id, env.gamma.id, env.v2.id, setup.auth.id}) == 5


def test_create_inactive(setup, env):
    a = env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, token="v1-born-inactive", permissions=env.bucket_rw, status="inactive"))
    assert_legacy(a, username="v1-born-inactive", org=setup.org, user=setup.user, status="inactive")


def test_create_without_token_is_400(setup, env):
    for token in (None, ""):
        with api_error(400, "token required for v1 user authorization type") as info:
            env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
                org_id=setup.org.id, token=token, permissions=env.bucket_rw))
        assert json.loads(info.value.body)["code"] == "invalid"


def test_create_with_a_taken_username_is_422(setup, env):
    # Taken is taken: in another org, for another user, whatever the permissions.
    for org_id, user_id in ((setup.org.id, None), (env.other.id, env.user2.id)):
        with api_error(422, "token already exists") as info:
            env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
                org_id=org_id, user_id=user_id, token="v1-alpha",
                permissions=[perm("read", "buckets", org_id=org_id)]))
        assert json.loads(info.value.body)["code"] == "conflict"
    assert usernames(env).count("v1-alpha") == 1


def test_create_with_other_bad_input(setup, env):
    with api_error(400, "authorization must include permissions"):
        env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
            org_id=setup.org.id, token="v1-no-permissions", permissions=[]))
    with api_error(400, "org id required: invalid ID"):
        env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
            token="v1-no-org", permissions=env.bucket_rw))
    assert not {"v1-no-permissions", "v1-no-org"} & set(usernames(env))


def test_create_needs_the_permissions_it_grants(setup, env, server):
    # An all-access-like token for admin may mint a v1 subset of itself, never a permission it lacks.
    perms = [perm("read", "authorizations", org_id=setup.org.id),
             perm("write", "authorizations", org_id=setup.org.id),
             perm("read", "users", id=setup.user.id), perm("write", "users", id=setup.user.id),
             perm("read", "buckets", org_id=setup.org.id)]
    token = env.op.authorizations_api().create_authorization(org_id=setup.org.id, permissions=perms).token
    legacy = LegacyAuthorizationsService(server.client(token).api_client)
    subset = [perm("read", "buckets", org_id=setup.org.id)]
    a = legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, token="v1-minted-subset", permissions=subset))
    assert_legacy(a, username="v1-minted-subset", org=setup.org, user=setup.user, permissions=subset)
    with api_error(403):
        legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
            org_id=setup.org.id, token="v1-escalated", permissions=[perm("read", "users")]))
    assert "v1-escalated" not in usernames(env)


# --- find ----------------------------------------------------------------------------------------

def test_list_all(setup, env):
    listed = env.legacy.get_legacy_authorizations()
    assert isinstance(listed, Authorizations)
    assert listed.links._self == LEGACY
    got = ids(listed)
    assert {env.alpha.id, env.beta.id, env.gamma.id} <= set(got)
    by_id = {a.id: a for a in listed.authorizations}
    assert_legacy(by_id[env.alpha.id], username="v1-alpha", org=setup.org, user=setup.user,
                  description="alpha", permissions=env.bucket_rw)
    assert_legacy(by_id[env.beta.id], username="v1-beta", org=setup.org, user=env.user2)
    assert_legacy(by_id[env.gamma.id], username="v1-gamma", org=env.other, user=setup.user)


def test_list_by_user_id_and_user_name(setup, env):
    assert find(env, user_id=env.user2.id) == [env.beta.id]
    assert find(env, user="v1-user2") == [env.beta.id]
    for mine in (find(env, user_id=setup.user.id), find(env, user=ADMIN)):
        assert {env.alpha.id, env.gamma.id} <= set(mine)
        assert env.beta.id not in mine


def test_list_by_org_id_and_org_name(setup, env):
    assert find(env, org_id=env.other.id) == [env.gamma.id]
    assert find(env, org="v1-other-org") == [env.gamma.id]
    for mine in (find(env, org_id=setup.org.id), find(env, org=ORG)):
        assert {env.alpha.id, env.beta.id} <= set(mine)
        assert env.gamma.id not in mine


def test_list_by_token_is_by_username(setup, env):
    assert find(env, token="v1-alpha") == [env.alpha.id]
    assert find(env, token="v1-gamma") == [env.gamma.id]


def test_list_by_id_as_authID_and_as_id(setup, env):
    # The library sends the ID filter as `authID` (the OpenAPI name); InfluxDB's server reads `id`.
    assert find(env, auth_id=env.beta.id) == [env.beta.id]
    with api_error(404, "authorization not found"):  # as InfluxDB: the ID filter is a lookup
        find(env, auth_id="0fffffffffffffff")
    raw = env.op.api_client.call_api(
        LEGACY, "GET", query_params=[("id", env.gamma.id)], header_params={"Accept": "application/json"},
        response_type="Authorizations", _return_http_data_only=True)
    assert ids(raw) == [env.gamma.id]


def test_user_and_org_filters_are_anded_and_id_or_token_win(setup, env):
    assert find(env, user_id=env.user2.id, org_id=setup.org.id) == [env.beta.id]
    assert find(env, user="v1-user2", org="v1-other-org") == []
    assert find(env, token="v1-gamma", user=ADMIN, org="v1-other-org") == [env.gamma.id]
    # As InfluxDB: an ID or a user name names one record, and the other filters are not applied.
    assert find(env, token="v1-alpha", org_id=env.other.id) == [env.alpha.id]
    assert find(env, auth_id=env.alpha.id, user_id=env.user2.id) == [env.alpha.id]


# --- v1 and v2 kept apart ------------------------------------------------------------------------

def test_v2_lists_do_not_show_v1_and_v1_lists_do_not_show_v2(setup, env):
    v1 = {env.alpha.id, env.beta.id, env.gamma.id}
    v2 = {env.v2.id, setup.auth.id}
    v2_listed = set(a.id for a in AuthorizationsService(env.op.api_client).get_authorizations().authorizations)
    assert v2 <= v2_listed and not v1 & v2_listed
    v2_by_user = env.op.authorizations_api().find_authorizations(user="v1-user2")
    assert v2_by_user == [], "user2 has only a v1 authorization"
    v1_listed = set(find(env))
    assert v1 <= v1_listed and not v2 & v1_listed
    with api_error(404, "authorization not found"):
        find(env, auth_id=env.v2.id)


def test_ids_do_not_cross(setup, env):
    v2_api = AuthorizationsService(env.op.api_client)
    with api_error(404, "authorization not found"):
        v2_api.get_authorizations_id(env.alpha.id)
    with api_error(404, "authorization not found"):
        v2_api.delete_authorizations_id(env.alpha.id)
    with api_error(404, "authorization not found"):
        env.legacy.get_legacy_authorizations_id(env.v2.id)
    with api_error(404, "authorization not found"):
        env.legacy.patch_legacy_authorizations_id(env.v2.id, AuthorizationUpdateRequest(status="inactive"))
    with api_error(404, "authorization not found"):
        env.legacy.delete_legacy_authorizations_id(env.v2.id)
    assert env.legacy.get_legacy_authorizations_id(env.alpha.id).status == "active"
    assert v2_api.get_authorizations_id(env.v2.id).status == "active"


def test_v1_credentials_do_not_open_the_v2_api(setup, env, server):
    _, login = v1_login(setup, env, "v1-not-on-v2",
                        permissions=[perm("read", "users", id=setup.user.id)])
    for token in (login.user, f"{login.user}:{login.password}"):
        with api_error(401, "unauthorized access"):
            server.client(token).users_api().me()


# --- get, update, delete -------------------------------------------------------------------------

def test_get_by_id(setup, env):
    got = env.legacy.get_legacy_authorizations_id(env.gamma.id)
    assert_legacy(got, username="v1-gamma", org=env.other, user=setup.user, description="gamma",
                  permissions=env.gamma_perms)
    assert got.created_at == env.gamma.created_at
    with api_error(404, "authorization not found"):
        env.legacy.get_legacy_authorizations_id("0fffffffffffffff")
    with api_error(400):
        env.legacy.get_legacy_authorizations_id("xyz")


def test_update_status_and_description(setup, env):
    a = env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, token="v1-to-update", permissions=env.bucket_rw, description="to update"))
    off = deactivate(env, a.id)
    assert_legacy(off, username="v1-to-update", org=setup.org, user=setup.user, status="inactive",
                  description="to update", permissions=env.bucket_rw)
    assert off.updated_at > a.updated_at and off.created_at == a.created_at
    renamed = env.legacy.patch_legacy_authorizations_id(
        a.id, AuthorizationUpdateRequest(status=None, description="renamed"))
    assert (renamed.status, renamed.description) == ("inactive", "renamed")
    on = env.legacy.patch_legacy_authorizations_id(
        a.id, AuthorizationUpdateRequest(status="active", description="back on"))
    assert (on.status, on.description) == ("active", "back on")
    got = env.legacy.get_legacy_authorizations_id(a.id)
    assert (got.status, got.description, got.token) == ("active", "back on", "v1-to-update")
    with api_error(400):
        env.legacy.patch_legacy_authorizations_id(a.id, {"status": "bogus"})
    with api_error(404, "authorization not found"):
        deactivate(env, "0fffffffffffffff")


def test_delete(setup, env):
    a = env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, token="v1-to-delete", permissions=env.bucket_rw))
    assert env.legacy.delete_legacy_authorizations_id(a.id) is None
    with api_error(404, "authorization not found"):
        env.legacy.get_legacy_authorizations_id(a.id)
    assert a.id not in find(env)
    assert "v1-to-delete" not in usernames(env)
    with api_error(404, "authorization not found"):
        env.legacy.delete_legacy_authorizations_id(a.id)
    with api_error(404, "authorization not found"):
        deactivate(env, a.id)
    with api_error(404, "authorization not found"):
        env.legacy.post_legacy_authorizations_id_password(a.id, PasswordResetBody(password=PASSWORD_1))
    # The username is free again.
    again = env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, token="v1-to-delete", permissions=env.bucket_rw))
    assert again.id != a.id
    assert find(env, token="v1-to-delete") == [again.id]


# --- password ------------------------------------------------------------------------------------

def test_set_password(setup, env, server):
    a = env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, token="v1-password", permissions=env.bucket_rw))
    login = Login("v1-password", PASSWORD_1)
    assert_refused(check(server, login, env.write))  # no password yet
    response = env.legacy.post_legacy_authorizations_id_password_with_http_info(
        a.id, PasswordResetBody(password=PASSWORD_1))
    assert response[1] == 204
    assert_let_in(check(server, login, env.write), setup, a.id)
    with api_error(400, "passwords must be at least 8 characters long"):
        env.legacy.post_legacy_authorizations_id_password(a.id, PasswordResetBody(password="short"))
    # the refused change left the password as it was
    assert_let_in(check(server, login, env.write), setup, a.id)


def test_password_change_takes_effect_at_once(setup, env, server):
    a, old = v1_login(setup, env, "v1-rotated")
    assert_let_in(check(server, old, env.write), setup, a.id)
    env.legacy.post_legacy_authorizations_id_password(a.id, PasswordResetBody(password=PASSWORD_2))
    assert_refused(check(server, old, env.write))
    assert_let_in(check(server, Login("v1-rotated", PASSWORD_2), env.write), setup, a.id)


def test_password_is_never_shown(setup, env):
    a, login = v1_login(setup, env, "v1-secretive")
    for path in (f"{LEGACY}/{a.id}", LEGACY):
        raw = env.op.api_client.call_api(path, "GET", header_params={"Accept": "application/json"},
                                         _preload_content=False, _return_http_data_only=True).data.decode()
        assert "v1-secretive" in raw
        assert login.password not in raw, "the password must never be returned"
        body = json.loads(raw)
        for a in body.get("authorizations", [body]):
            assert not {k for k in a if "password" in k.lower()}, sorted(a)


def test_set_password_needs_write_on_the_owner(setup, env, server):
    a = env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, token="v1-owner-check", permissions=env.bucket_rw))
    manage = [perm("read", "authorizations", org_id=setup.org.id),
              perm("write", "authorizations", org_id=setup.org.id), perm("read", "users", id=setup.user.id)]
    without = env.op.authorizations_api().create_authorization(org_id=setup.org.id, permissions=manage)
    with api_error(401):
        LegacyAuthorizationsService(server.client(without.token).api_client).post_legacy_authorizations_id_password(
            a.id, PasswordResetBody(password=PASSWORD_1))
    assert_refused(check(server, Login("v1-owner-check", PASSWORD_1), env.write))
    with_owner = env.op.authorizations_api().create_authorization(
        org_id=setup.org.id, permissions=manage + [perm("write", "users", id=setup.user.id)])
    LegacyAuthorizationsService(server.client(with_owner.token).api_client).post_legacy_authorizations_id_password(
        a.id, PasswordResetBody(password=PASSWORD_1))
    assert_let_in(check(server, Login("v1-owner-check", PASSWORD_1), env.write), setup, a.id)


# --- v1 credentials at the check endpoint --------------------------------------------------------

@pytest.mark.parametrize("form", FORMS)
def test_v1_credentials_pass_the_check(setup, env, server, form):
    a, login = v1_login(setup, env, f"v1-check-{form}")
    assert_let_in(check(server, login, env.write, form), setup, a.id)
    read = f"read:orgs/{setup.org.id}/buckets/{setup.bucket.id}"
    assert check(server, login, f"{env.write},{read}", form).status == 204
    # right credential, permission not held: 403
    answer = check(server, login, f"write:orgs/{env.other.id}/buckets", form)
    assert answer.status == 403, answer.body
    # wrong password, unknown user: 401 Unauthorized
    assert_refused(check(server, Login(login.user, "not-the-password"), env.write, form))
    assert_refused(check(server, Login("v1-no-such-user", login.password), env.write, form))


def test_password_falls_back_to_a_v2_token_only_for_unknown_usernames(setup, env, server):
    a, login = v1_login(setup, env, "v1-fallback")
    # no v1 authorization has this username: the password is tried as a v2 token
    assert_let_in(check(server, Login("not-a-v1-user", env.v2.token), env.write), setup, env.v2.id)
    # a v1 username with a v2 token as its password: the v1 password does not match, no fallback
    assert_refused(check(server, Login(login.user, env.v2.token), env.write))
    assert_let_in(check(server, login, env.write), setup, a.id)


def test_inactive_v1_authorization_is_refused(setup, env, server):
    a, login = v1_login(setup, env, "v1-born-off", status="inactive")
    assert_refused(check(server, login, env.write))
    deactivate(env, a.id, "active")
    assert_let_in(check(server, login, env.write), setup, a.id)


def test_inactive_user_is_refused(setup, env, server):
    user3 = env.op.users_api().create_user("v1-user3")
    a = env.legacy.post_legacy_authorizations(LegacyAuthorizationPostRequest(
        org_id=setup.org.id, user_id=user3.id, token="v1-of-user3", permissions=env.beta_perms))
    env.legacy.post_legacy_authorizations_id_password(a.id, PasswordResetBody(password=PASSWORD_1))
    login = Login("v1-of-user3", PASSWORD_1)
    read = f"read:orgs/{setup.org.id}/buckets"
    answer = check(server, login, read)
    assert answer.status == 204, answer.body
    assert answer.headers["X-Influx-Authz-User"] == "v1-user3"
    users = UsersService(env.op.api_client)
    users.patch_users_id(user3.id, User(name="v1-user3", status="inactive"))
    assert_refused(check(server, login, read))
    users.patch_users_id(user3.id, User(name="v1-user3", status="active"))
    assert check(server, login, read).status == 204


N_REVOCATIONS = 20


@pytest.mark.parametrize("how", ["set-inactive", "delete"])
def test_revoked_v1_credentials_are_refused_on_the_very_next_request(setup, env, server, how):
    for i in range(N_REVOCATIONS):
        form = FORMS[i % len(FORMS)]
        a, login = v1_login(setup, env, f"v1-revoke-{how}-{i}")
        assert_let_in(check(server, login, env.write, form), setup, a.id)
        if how == "set-inactive":
            assert deactivate(env, a.id).status == "inactive"
        else:
            env.legacy.delete_legacy_authorizations_id(a.id)
        assert_refused(check(server, login, env.write, form))
        if how == "set-inactive" and i % 5 == 0:  # and reactivation is immediate too
            deactivate(env, a.id, "active")
            assert_let_in(check(server, login, env.write, form), setup, a.id)
