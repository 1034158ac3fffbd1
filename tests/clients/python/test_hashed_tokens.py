"""Hashed tokens (default) vs --use-hashed-tokens=false, seen through the client (contract §5)."""

from influxdb_client import Authorization, AuthorizationsService, AuthorizationUpdateRequest

from checks import TOKEN_RE, api_error, assert_authorization, perm


def make_token(s):
    perms = [perm("read", "users", id=s.user.id), perm("read", "buckets", org_id=s.org.id)]
    return s.op.authorizations_api().create_authorization(authorization=Authorization(
        org_id=s.org.id, permissions=perms, description="visibility"))


def patch_description(s, auth_id, text):
    return AuthorizationsService(s.op.api_client).patch_authorizations_id(
        auth_id=auth_id, authorization_update_request=AuthorizationUpdateRequest(status=None, description=text))


def test_hashed_by_default_token_shown_only_on_create(server_factory):
    srv = server_factory()
    s = srv.onboard()
    assert TOKEN_RE.match(s.token), "setup returns the plaintext operator token"
    a = make_token(s)
    assert TOKEN_RE.match(a.token), "POST returns the plaintext token"
    auths = s.op.authorizations_api()
    got = auths.find_authorization_by_id(a.id)
    assert_authorization(got, org=s.org, user=s.user, description="visibility", token="")
    listed = auths.find_authorizations()
    assert {x.id for x in listed} >= {a.id, s.auth.id}
    assert all(x.token == "" for x in listed), [x.token for x in listed]
    assert patch_description(s, a.id, "patched").token == ""
    # the hidden token still authenticates
    assert srv.client(a.token).users_api().me().id == s.user.id


def test_plaintext_mode_shows_tokens_on_get_like_2_7(server_factory):
    srv = server_factory("--use-hashed-tokens=false")
    s = srv.onboard()
    a = make_token(s)
    auths = s.op.authorizations_api()
    got = auths.find_authorization_by_id(a.id)
    assert_authorization(got, org=s.org, user=s.user, description="visibility", token=a.token)
    listed = {x.id: x.token for x in auths.find_authorizations()}
    assert listed[a.id] == a.token
    assert listed[s.auth.id] == s.token
    assert patch_description(s, a.id, "patched").token == a.token
    assert srv.client(a.token).users_api().me().id == s.user.id


def test_tokens_survive_a_restart_on_the_same_file(server_factory):
    srv = server_factory()
    s = srv.onboard()
    a = make_token(s)
    srv.restart()
    assert srv.client(s.token).users_api().me().id == s.user.id
    assert srv.client(a.token).users_api().me().id == s.user.id
    got = srv.client(s.token).authorizations_api().find_authorization_by_id(a.id)
    assert_authorization(got, org=s.org, user=s.user, description="visibility", token="")


def test_plaintext_tokens_keep_working_after_switching_hashing_on(server_factory):
    srv = server_factory("--use-hashed-tokens=false")
    s = srv.onboard()
    a = make_token(s)
    assert srv.client(s.token).authorizations_api().find_authorization_by_id(a.id).token == a.token
    srv.restart(())  # default: hashed
    op = srv.client(s.token)
    assert op.users_api().me().id == s.user.id
    assert srv.client(a.token).users_api().me().id == s.user.id
    assert op.authorizations_api().find_authorization_by_id(a.id).token == ""
    assert all(x.token == "" for x in op.authorizations_api().find_authorizations())


def test_revocation_is_immediate_in_both_modes(server_factory):
    for args in ((), ("--use-hashed-tokens=false",)):
        srv = server_factory(*args)
        s = srv.onboard()
        auths = s.op.authorizations_api()
        for i in range(10):
            a = make_token(s)
            c = srv.client(a.token)
            assert c.users_api().me().id == s.user.id
            if i % 2:
                auths.delete_authorization(a.id)
                expected = "unauthorized access"
            else:
                patch_status = AuthorizationsService(s.op.api_client).patch_authorizations_id(
                    auth_id=a.id, authorization_update_request=AuthorizationUpdateRequest(status="inactive"))
                assert patch_status.status == "inactive"
                expected = "token is inactive"
            with api_error(401, expected):
                c.users_api().me()
