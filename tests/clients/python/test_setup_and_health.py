"""Onboarding (SetupService), ping, version/build headers, health, ready, resources."""

from influxdb_client import (Bucket, HealthCheck, IsOnboarding, OnboardingRequest, OnboardingResponse,
                             Organization, Ready, ResourcesService, SetupService, UserResponse)

from checks import RESOURCE_TYPES, TOKEN_RE, ID_RE, api_error, assert_authorization, assert_time
from conftest import ADMIN, BUCKET, ORG


def test_ping_version_build_health_ready_before_setup(server):
    client = server.client()
    assert client.ping() is True
    assert client.build() == "OSS"
    assert client.version().startswith("v2."), client.version()
    health = client.health()
    assert isinstance(health, HealthCheck)
    assert health.status == "pass", health.message
    assert health.name == "influxdb"
    ready = client.ready()
    assert isinstance(ready, Ready)
    assert ready.status == "ready"
    assert_time(ready.started)


def test_setup_is_allowed_on_a_fresh_server(server):
    allowed = SetupService(server.client().api_client).get_setup()
    assert isinstance(allowed, IsOnboarding)
    assert allowed.allowed is True


def test_onboarding_creates_user_org_bucket_and_operator_token(server, setup):
    r = setup.response
    assert isinstance(r, OnboardingResponse)
    assert isinstance(r.user, UserResponse)
    assert ID_RE.match(r.user.id) and r.user.name == ADMIN and r.user.status == "active"
    assert r.user.links._self == f"/api/v2/users/{r.user.id}"
    assert isinstance(r.org, Organization)
    assert ID_RE.match(r.org.id) and r.org.name == ORG
    assert_time(r.org.created_at)
    assert isinstance(r.bucket, Bucket)
    assert ID_RE.match(r.bucket.id) and r.bucket.name == BUCKET and r.bucket.org_id == r.org.id
    assert isinstance(r.bucket.retention_rules, list)

    auth = r.auth
    # Setup's auth is InfluxDB's raw struct: no org/user names (contract §7), so names=False.
    assert_authorization(auth, org=r.org, user=r.user, description=f"{ADMIN}'s Token", token="plain",
                         names=False)
    types = [t for t in RESOURCE_TYPES if t != "instance"]
    expected = [(a, t, None, None) for t in types for a in ("read", "write")]
    assert [(p.action, p.resource.type, p.resource.id, p.resource.org_id) for p in auth.permissions] == expected


def test_setup_is_refused_once_done(server, setup):
    svc = SetupService(server.client().api_client)
    assert svc.get_setup().allowed is False
    with api_error(422, "onboarding has already been completed"):
        svc.post_setup(onboarding_request=OnboardingRequest(username="x", password="password-x",
                                                            org="o", bucket="b"))


def test_operator_token_works_and_health_needs_no_token(server, setup):
    me = setup.op.users_api().me()
    assert isinstance(me, UserResponse)
    assert me.id == setup.user.id and me.name == ADMIN
    assert setup.op.health().status == "pass"
    assert setup.op.ping() is True


def test_resources_lists_the_23_types_in_order(setup):
    resources = ResourcesService(setup.op.api_client).get_resources()
    assert resources == RESOURCE_TYPES


def test_resources_needs_a_token(server, setup):
    with api_error(401, "unauthorized access"):
        ResourcesService(server.client().api_client).get_resources()
    with api_error(401, "unauthorized access"):
        ResourcesService(server.client("not-a-real-token").api_client).get_resources()


def test_setup_with_a_supplied_token(server_factory):
    fresh = server_factory()
    s = fresh.onboard(token="my-own-operator-token")
    assert s.auth.token == "my-own-operator-token"
    assert fresh.client("my-own-operator-token").users_api().me().name == ADMIN


def test_setup_with_retention(server_factory):
    fresh = server_factory()
    s = fresh.onboard(retention_period_seconds=3600)
    rules = s.bucket.retention_rules
    assert len(rules) == 1 and (rules[0].type, rules[0].every_seconds) == ("expire", 3600)
    assert TOKEN_RE.match(s.token)
