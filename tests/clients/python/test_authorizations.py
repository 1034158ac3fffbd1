"""AuthorizationsApi end to end: create, find (every filter), update, delete, visibility."""

from types import SimpleNamespace

import pytest
from influxdb_client import (Authorization, InfluxDBClient, AuthorizationsService, AuthorizationUpdateRequest, Authorizations,
                             ResourcesService, UsersService)

from checks import (TOKEN_RE, all_access, api_error, assert_authorization, org_scoped_everything, perm,
                    perm_key)
from conftest import ADMIN, BUCKET, ORG


@pytest.fixture(scope="module")
def env(setup):
    """Tokens shared by this module: all-access, bucket-scoped read, bucket write, and user2's."""
    op = setup.op
    auths = op.authorizations_api()
    types = ResourcesService(op.api_client).get_resources()
    user2 = op.users_api().create_user("user2")

    all_access_perms = all_access(setup.org.id, setup.user.id, types)
    aa = auths.create_authorization(authorization=Authorization(
        org_id=setup.org.id, permissions=all_access_perms, description="all-access"))
    read_perms = [perm("read", "buckets", id=setup.bucket.id, org_id=setup.org.id)]
    reader = auths.create_authorization(org_id=setup.org.id, permissions=read_perms)
    write_perms = [perm("write", "buckets", id=setup.bucket.id, org_id=setup.org.id)]
    writer = auths.create_authorization(authorization=Authorization(
        org_id=setup.org.id, permissions=write_perms, description="bucket writer"))
    u2_perms = [perm("read", "buckets", org_id=setup.org.id)]
    u2_token = auths.create_authorization(authorization=Authorization(
        org_id=setup.org.id, user_id=user2.id, permissions=u2_perms, description="user2 reader"))
    return SimpleNamespace(op=op, auths=auths, types=types, user2=user2,
                           aa=aa, aa_perms=all_access_perms,
                           reader=reader, read_perms=read_perms,
                           writer=writer, write_perms=write_perms,
                           u2=u2_token, u2_perms=u2_perms)


def patch(client, auth_id, body):
    """PATCH through the library's generated service (AuthorizationsApi.update_authorization needs
    an object with .id; this is what it calls underneath)."""
    return AuthorizationsService(client.api_client).patch_authorizations_id(
        auth_id=auth_id, authorization_update_request=body)


# --- create --------------------------------------------------------------------------------------

def test_create_all_access_token(setup, env):
    assert_authorization(env.aa, org=setup.org, user=setup.user, description="all-access",
                         permissions=env.aa_perms, token="plain")
    assert env.aa.created_at == env.aa.updated_at
    assert len(env.aa.permissions) == 43
    for p in env.aa.permissions:
        r = p.resource
        if r.type == "orgs":
            assert (r.id, r.name, r.org_id, r.org) == (setup.org.id, ORG, None, None)
        elif r.type == "users":
            assert (r.id, r.name, r.org_id) == (setup.user.id, ADMIN, None)
        else:
            assert (r.id, r.name, r.org_id, r.org) == (None, None, setup.org.id, ORG)


def test_create_bucket_scoped_read_and_write_tokens(setup, env):
    assert_authorization(env.reader, org=setup.org, user=setup.user, description="",
                         permissions=env.read_perms, token="plain")
    assert_authorization(env.writer, org=setup.org, user=setup.user, description="bucket writer",
                         permissions=env.write_perms, token="plain")
    for a in (env.reader, env.writer):
        r = a.permissions[0].resource
        assert (r.type, r.id, r.name, r.org_id, r.org) == ("buckets", setup.bucket.id, BUCKET, setup.org.id, ORG)
    assert len({env.aa.token, env.reader.token, env.writer.token, setup.token}) == 4
    assert len({env.aa.id, env.reader.id, env.writer.id, setup.auth.id}) == 4


def test_create_org_scoped_everything_token(setup, env):
    perms = org_scoped_everything(setup.org.id, env.types)
    a = env.auths.create_authorization(org_id=setup.org.id, permissions=perms)
    assert_authorization(a, org=setup.org, user=setup.user, permissions=perms, token="plain")
    assert len(a.permissions) == 44


def test_create_for_another_user(setup, env):
    assert_authorization(env.u2, org=setup.org, user=env.user2, description="user2 reader",
                         permissions=env.u2_perms, token="plain")


def test_create_inactive_token(setup, env, server):
    a = env.auths.create_authorization(authorization=Authorization(
        org_id=setup.org.id, permissions=env.read_perms, status="inactive", description="born inactive"))
    assert_authorization(a, org=setup.org, user=setup.user, status="inactive", description="born inactive")
    with api_error(401, "token is inactive"):
        server.client(a.token).users_api().me()


def test_new_tokens_authenticate(setup, env, server):
    assert server.client(env.aa.token).users_api().me().id == setup.user.id
    bucket_client = server.client(env.reader.token)
    assert [b.id for b in bucket_client.buckets_api().find_buckets().buckets] == [setup.bucket.id]
    assert bucket_client.buckets_api().find_bucket_by_name(BUCKET).id == setup.bucket.id
    # write does not imply read: the bucket writer sees no buckets
    assert server.client(env.writer.token).buckets_api().find_buckets().buckets == []


def test_clone_authorization(setup, env):
    clone = env.auths.clone_authorization(env.reader)
    assert clone.id != env.reader.id and clone.token != env.reader.token
    assert_authorization(clone, org=setup.org, user=setup.user, permissions=env.read_perms, token="plain")


def test_create_with_bad_input(setup, env):
    with api_error(400, "authorization must include permissions"):
        env.auths.create_authorization(org_id=setup.org.id, permissions=[])
    with api_error(400):
        env.auths.create_authorization(org_id=setup.org.id, permissions=[perm("read", "nonsense")])
    with api_error(400):
        env.auths.create_authorization(org_id=setup.org.id, permissions=[perm("admin", "buckets")])
    with api_error(400):
        env.auths.create_authorization(
            org_id=setup.org.id, permissions=[perm("read", "buckets", org_id="0000000000000001")])


def test_privilege_escalation_is_forbidden(setup, env, server):
    aa = server.client(env.aa.token).authorizations_api()
    # all-access may mint a subset of itself for its own user ...
    sub = aa.create_authorization(org_id=setup.org.id, permissions=env.read_perms)
    assert_authorization(sub, org=setup.org, user=setup.user, permissions=env.read_perms, token="plain")
    # ... but never a global (operator-style) permission.
    with api_error(403):
        aa.create_authorization(org_id=setup.org.id, permissions=[perm("read", "users")])
    # A bucket reader holds no write:orgs/<org>/authorizations.
    with api_error(401):
        server.client(env.reader.token).authorizations_api().create_authorization(
            org_id=setup.org.id, permissions=env.read_perms)


# --- find ----------------------------------------------------------------------------------------

def ids(auths):
    return [a.id for a in auths]


def test_find_all_with_operator(setup, env):
    listed = AuthorizationsService(env.op.api_client).get_authorizations()
    assert isinstance(listed, Authorizations)
    assert listed.links._self == "/api/v2/authorizations"
    got = ids(listed.authorizations)
    for a in (setup.auth, env.aa, env.reader, env.writer, env.u2):
        assert a.id in got
    assert got == sorted(got), "list is in ascending ID order"
    for a in listed.authorizations:
        assert_authorization(a, status=None)


def test_find_by_user_id_and_user_name(setup, env):
    for found in (env.auths.find_authorizations(user_id=env.user2.id),
                  env.auths.find_authorizations(user="user2"),
                  env.auths.find_authorizations_by_user(env.user2),
                  env.auths.find_authorizations_by_user_id(env.user2.id),
                  env.auths.find_authorizations_by_user_name("user2")):
        assert ids(found) == [env.u2.id]
        assert_authorization(found[0], org=setup.org, user=env.user2, permissions=env.u2_perms)
    admin = env.auths.find_authorizations(user=ADMIN)
    assert env.u2.id not in ids(admin)
    assert {setup.auth.id, env.aa.id, env.reader.id, env.writer.id} <= set(ids(admin))
    assert all(a.user_id == setup.user.id for a in admin)


def test_find_by_org_id_and_org_name(setup, env):
    other = env.op.organizations_api().create_organization(name="authz-other-org")
    other_auth = env.auths.create_authorization(
        org_id=other.id, permissions=[perm("read", "buckets", org_id=other.id)])
    for found in (env.auths.find_authorizations(org_id=setup.org.id),
                  env.auths.find_authorizations(org=ORG),
                  env.auths.find_authorizations_by_org(setup.org),
                  env.auths.find_authorizations_by_org_id(setup.org.id),
                  env.auths.find_authorizations_by_org_name(ORG)):
        assert {setup.auth.id, env.aa.id, env.u2.id} <= set(ids(found))
        assert other_auth.id not in ids(found)
        assert all(a.org_id == setup.org.id for a in found)
    for found in (env.auths.find_authorizations(org_id=other.id),
                  env.auths.find_authorizations(org="authz-other-org")):
        assert ids(found) == [other_auth.id]
        assert found[0].org == "authz-other-org"


def test_user_and_org_filters_are_anded(setup, env):
    assert ids(env.auths.find_authorizations(user="user2", org=ORG)) == [env.u2.id]
    assert ids(env.auths.find_authorizations(user_id=env.user2.id, org_id=setup.org.id)) == [env.u2.id]
    other = env.op.organizations_api().create_organization(name="anded-org")
    assert env.auths.find_authorizations(user_id=env.user2.id, org_id=other.id) == []
    assert env.auths.find_authorizations(user="user2", org="anded-org") == []


def test_id_filters_beat_name_filters(setup, env):
    # userID beats user, orgID beats org: the loser is not even looked up (contract §1.3 rule 2).
    found = env.auths.find_authorizations(user_id=env.user2.id, user="no-such-user")
    assert ids(found) == [env.u2.id]
    found = env.auths.find_authorizations(org_id=setup.org.id, org="no-such-org")
    assert env.u2.id in ids(found)


def test_unknown_names_are_404_unknown_ids_are_empty(setup, env):
    with api_error(404, "user not found"):
        env.auths.find_authorizations(user="no-such-user")
    with api_error(404, 'organization name "no-such-org" not found'):
        env.auths.find_authorizations(org="no-such-org")
    assert env.auths.find_authorizations(user_id="0fffffffffffffff") == []
    assert env.auths.find_authorizations(org_id="0fffffffffffffff") == []
    with api_error(400):
        env.auths.find_authorizations(user_id="not-an-id")
    with api_error(400):
        env.auths.find_authorizations(org_id="abc")


def test_token_filter_is_ignored(setup, env):
    # OSS ignores ?token= (contract §1.3).
    found = env.auths.find_authorizations(token=env.reader.token)
    assert {setup.auth.id, env.aa.id, env.reader.id} <= set(ids(found))


def test_find_by_id(setup, env):
    got = env.auths.find_authorization_by_id(env.aa.id)
    assert_authorization(got, org=setup.org, user=setup.user, description="all-access",
                         permissions=env.aa_perms)
    assert got.created_at == env.aa.created_at
    with api_error(404, "authorization not found"):
        env.auths.find_authorization_by_id("0fffffffffffffff")
    with api_error(400):
        env.auths.find_authorization_by_id("xyz")


def test_visibility_per_token(setup, env, server):
    # all-access sees its own user's tokens in its org; a bucket reader sees nothing.
    aa_seen = ids(server.client(env.aa.token).authorizations_api().find_authorizations())
    assert {env.aa.id, env.reader.id, env.writer.id, setup.auth.id} <= set(aa_seen)
    assert env.u2.id not in aa_seen
    assert server.client(env.reader.token).authorizations_api().find_authorizations() == []
    with api_error(401):
        server.client(env.reader.token).users_api().me()
    with api_error(401):
        server.client(env.aa.token).authorizations_api().find_authorization_by_id(env.u2.id)


# --- update --------------------------------------------------------------------------------------

def fresh(setup, env, description="to update"):
    return env.auths.create_authorization(authorization=Authorization(
        org_id=setup.org.id, permissions=env.read_perms, description=description))


def test_update_status_and_description(setup, env):
    a = fresh(setup, env)
    off = patch(env.op, a.id, AuthorizationUpdateRequest(status="inactive"))
    assert_authorization(off, org=setup.org, user=setup.user, status="inactive", description="to update",
                         permissions=env.read_perms)
    assert off.updated_at > a.updated_at and off.created_at == a.created_at
    assert env.auths.find_authorization_by_id(a.id).status == "inactive"
    on = patch(env.op, a.id, AuthorizationUpdateRequest(status="active", description="renamed"))
    assert (on.status, on.description) == ("active", "renamed")
    assert on.updated_at >= off.updated_at
    got = env.auths.find_authorization_by_id(a.id)
    assert (got.status, got.description) == ("active", "renamed")


def test_update_via_authorizations_api_with_fetched_object(setup, env):
    """The usual pattern: fetch, change, update_authorization(obj). The library then PATCHes the
    whole object (token, permissions, links, createdAt, ...); the server must ignore the rest."""
    a = fresh(setup, env)
    got = env.auths.find_authorization_by_id(a.id)
    got.status = "inactive"
    got.description = "changed via api"
    updated = env.auths.update_authorization(got)
    assert_authorization(updated, org=setup.org, user=setup.user, status="inactive",
                         description="changed via api", permissions=env.read_perms)
    assert updated.created_at == a.created_at


def test_library_default_update_model_sends_status_active():
    # Client-side fact the server must live with: the generated models default status to "active".
    with InfluxDBClient(url="http://127.0.0.1:1") as client:
        serialize = client.api_client.sanitize_for_serialization
        assert serialize(AuthorizationUpdateRequest(description="d")) == {"status": "active", "description": "d"}
        assert serialize(AuthorizationUpdateRequest(status=None, description="d")) == {"description": "d"}
        assert serialize({"status": None, "description": "d"}) == {"status": None, "description": "d"}


def test_description_only_update_keeps_inactive_token_inactive(setup, env, server):
    a = fresh(setup, env)
    patch(env.op, a.id, AuthorizationUpdateRequest(status="inactive"))
    # 1) model with status=None: the library omits "status".
    r1 = patch(env.op, a.id, AuthorizationUpdateRequest(status=None, description="desc only"))
    assert (r1.status, r1.description) == ("inactive", "desc only")
    # 2) a dict with an explicit JSON null for status.
    r2 = patch(env.op, a.id, {"status": None, "description": "explicit null"})
    assert (r2.status, r2.description) == ("inactive", "explicit null")
    # 3) the fetched object, description changed: sends status "inactive" back.
    got = env.auths.find_authorization_by_id(a.id)
    got.description = "fetched object"
    r3 = env.auths.update_authorization(got)
    assert (r3.status, r3.description) == ("inactive", "fetched object")
    # 4) empty body: nothing changes.
    r4 = patch(env.op, a.id, {})
    assert (r4.status, r4.description) == ("inactive", "fetched object")
    got = env.auths.find_authorization_by_id(a.id)
    assert (got.status, got.description) == ("inactive", "fetched object")
    with api_error(401, "token is inactive"):
        server.client(a.token).users_api().me()


def test_description_can_be_cleared(setup, env):
    a = fresh(setup, env, "something")
    r = patch(env.op, a.id, AuthorizationUpdateRequest(status=None, description=""))
    assert r.description == ""
    assert r.status == "active"


def test_update_errors(setup, env):
    a = fresh(setup, env)
    with api_error(400):
        patch(env.op, a.id, {"status": "bogus"})
    with api_error(404, "authorization not found"):
        patch(env.op, "0fffffffffffffff", AuthorizationUpdateRequest(status="inactive"))
    assert env.auths.find_authorization_by_id(a.id).status == "active"


def test_inactive_token_is_refused_on_direct_checks_and_sees_empty_lists(setup, env, server):
    perms = [perm("read", "users", id=setup.user.id), perm("read", "orgs", id=setup.org.id),
             perm("read", "authorizations", org_id=setup.org.id), perm("read", "buckets", org_id=setup.org.id)]
    a = env.auths.create_authorization(org_id=setup.org.id, permissions=perms)
    c = server.client(a.token)
    assert c.users_api().me().id == setup.user.id
    assert c.organizations_api().find_organization(setup.org.id).name == ORG
    assert a.id in ids(c.authorizations_api().find_authorizations())
    patch(env.op, a.id, AuthorizationUpdateRequest(status="inactive"))
    with api_error(401, "token is inactive"):
        c.users_api().me()
    with api_error(401, "token is inactive"):
        c.organizations_api().find_organization(setup.org.id)
    with api_error(401, "token is inactive"):
        c.authorizations_api().find_authorization_by_id(a.id)
    assert c.authorizations_api().find_authorizations() == []
    assert c.buckets_api().find_buckets().buckets == []
    # an inactive token cannot reactivate itself
    with api_error(401, "token is inactive"):
        patch(c, a.id, AuthorizationUpdateRequest(status="active"))
    patch(env.op, a.id, AuthorizationUpdateRequest(status="active"))
    assert c.users_api().me().id == setup.user.id


# --- delete --------------------------------------------------------------------------------------

def test_delete(setup, env, server):
    a = fresh(setup, env, "to delete")
    c = server.client(a.token)
    assert [b.id for b in c.buckets_api().find_buckets().buckets] == [setup.bucket.id]
    assert env.auths.delete_authorization(a) is None
    with api_error(401, "unauthorized access"):
        c.buckets_api().find_buckets()
    with api_error(404, "authorization not found"):
        env.auths.find_authorization_by_id(a.id)
    assert a.id not in ids(env.auths.find_authorizations())
    with api_error(404, "authorization not found"):
        env.auths.delete_authorization(a.id)
    with api_error(400):
        env.auths.delete_authorization("nope")


def test_delete_by_id_string_and_self_delete(setup, env, server):
    perms = [perm("read", "authorizations", org_id=setup.org.id),
             perm("write", "authorizations", org_id=setup.org.id),
             perm("read", "users", id=setup.user.id), perm("write", "users", id=setup.user.id)]
    a = env.auths.create_authorization(org_id=setup.org.id, permissions=perms)
    c = server.client(a.token)
    assert c.authorizations_api().delete_authorization(a.id) is None
    with api_error(401, "unauthorized access"):
        c.users_api().me()
    with api_error(401, "unauthorized access"):
        c.authorizations_api().find_authorizations()


def test_reader_cannot_delete(setup, env, server):
    a = fresh(setup, env)
    with api_error(401):
        server.client(env.reader.token).authorizations_api().delete_authorization(a.id)
    assert env.auths.find_authorization_by_id(a.id).id == a.id


# --- revocation is immediate, over and over ------------------------------------------------------

N_TOKENS = 50


def revocable(setup, env, i, how):
    perms = [perm("read", "users", id=setup.user.id), perm("read", "orgs", id=setup.org.id),
             perm("read", "buckets", id=setup.bucket.id, org_id=setup.org.id)]
    return env.auths.create_authorization(authorization=Authorization(
        org_id=setup.org.id, permissions=perms, description=f"{how}-{i}"))


def test_deleted_tokens_are_refused_on_the_very_next_request(setup, env, server):
    probes = [lambda c: c.users_api().me(),
              lambda c: c.buckets_api().find_buckets(),
              lambda c: c.organizations_api().find_organizations(),
              lambda c: c.authorizations_api().find_authorizations()]
    for i in range(N_TOKENS):
        a = revocable(setup, env, i, "delete")
        assert TOKEN_RE.match(a.token)
        c = server.client(a.token)  # keep-alive connection, reused after the delete
        assert c.users_api().me().id == setup.user.id
        env.auths.delete_authorization(a.id)
        with api_error(401, "unauthorized access"):
            probes[i % len(probes)](c)
        with api_error(404):
            env.auths.find_authorization_by_id(a.id)
    assert env.op.users_api().me().id == setup.user.id


def test_deactivated_tokens_are_refused_on_the_very_next_request(setup, env, server):
    probes = [lambda c: c.users_api().me(),
              lambda c: c.organizations_api().find_organization(setup.org.id),
              lambda c: UsersService(c.api_client).get_users_id(setup.user.id)]
    for i in range(N_TOKENS):
        a = revocable(setup, env, i, "deactivate")
        c = server.client(a.token)
        assert c.users_api().me().id == setup.user.id
        patched = patch(env.op, a.id, AuthorizationUpdateRequest(status="inactive"))
        assert patched.status == "inactive"
        with api_error(401, "token is inactive"):
            probes[i % len(probes)](c)
        if i % 5 == 0:  # and reactivation is immediate too
            patch(env.op, a.id, AuthorizationUpdateRequest(status="active"))
            assert c.users_api().me().id == setup.user.id
    assert env.op.users_api().me().id == setup.user.id
