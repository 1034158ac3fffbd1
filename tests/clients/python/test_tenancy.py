"""OrganizationsApi, UsersApi, BucketsApi with the operator token, typed results only."""

import itertools

from influxdb_client import (Bucket, BucketRetentionRules, Buckets, Organization, UserResponse, Users,
                             UsersService)

from checks import ID_RE, api_error, assert_time
from conftest import ADMIN, BUCKET, ORG


# --- organizations -------------------------------------------------------------------------------

def assert_org(o, name=None):
    assert isinstance(o, Organization)
    assert ID_RE.match(o.id)
    if name is not None:
        assert o.name == name
    assert_time(o.created_at)
    assert_time(o.updated_at)
    assert o.links is not None and o.links._self == f"/api/v2/orgs/{o.id}"


def test_find_organizations_with_every_filter(setup):
    orgs = setup.op.organizations_api()
    everything = orgs.find_organizations()
    assert setup.org.id in [o.id for o in everything]
    for o in everything:
        assert_org(o)
    for kwargs in ({"org": ORG}, {"org_id": setup.org.id}, {"user_id": setup.user.id}):
        found = orgs.find_organizations(**kwargs)
        assert [o.id for o in found] == [setup.org.id], kwargs
        assert_org(found[0], ORG)


def test_find_organization_by_id(setup):
    o = setup.op.organizations_api().find_organization(setup.org.id)
    assert_org(o, ORG)


def test_unknown_org_name_is_404(setup):
    with api_error(404, 'organization name "no-such-org" not found'):
        setup.op.organizations_api().find_organizations(org="no-such-org")


def test_create_organization(setup):
    orgs = setup.op.organizations_api()
    created = orgs.create_organization(name="second-org")
    assert_org(created, "second-org")
    assert created.id != setup.org.id
    assert created.id in [o.id for o in orgs.find_organizations()]
    assert orgs.find_organization(created.id).name == "second-org"


# --- users ---------------------------------------------------------------------------------------

def assert_user(u, name=None):
    assert isinstance(u, UserResponse)
    assert ID_RE.match(u.id)
    assert u.status == "active"
    assert u.links is not None and u.links._self == f"/api/v2/users/{u.id}"
    if name is not None:
        assert u.name == name


def test_me(setup):
    me = setup.op.users_api().me()
    assert_user(me, ADMIN)
    assert me.id == setup.user.id
    assert setup.op.organizations_api().me().id == setup.user.id


def test_find_users_with_filters(setup):
    users = setup.op.users_api()
    listed = users.find_users()
    assert isinstance(listed, Users)
    assert setup.user.id in [u.id for u in listed.users]
    for u in listed.users:
        assert_user(u)
    by_name = users.find_users(name=ADMIN)
    assert [u.id for u in by_name.users] == [setup.user.id]
    by_id = users.find_users(id=setup.user.id)
    assert [u.name for u in by_id.users] == [ADMIN]


def test_create_second_user_via_users_api(setup):
    users = setup.op.users_api()
    created = users.create_user("user2")
    assert_user(created, "user2")
    assert created.id != setup.user.id
    assert [u.id for u in users.find_users(name="user2").users] == [created.id]
    got = UsersService(setup.op.api_client).get_users_id(created.id)
    assert_user(got, "user2")


def test_duplicate_user_name_is_refused(setup):
    users = setup.op.users_api()
    users.create_user("dup-user")
    with api_error(422):
        users.create_user("dup-user")


# --- buckets -------------------------------------------------------------------------------------

def assert_bucket(b, name=None, org_id=None):
    assert isinstance(b, Bucket)
    assert ID_RE.match(b.id)
    assert b.type in ("user", "system")
    assert isinstance(b.retention_rules, list)
    assert_time(b.created_at)
    assert_time(b.updated_at)
    assert b.links is not None and b.links._self == f"/api/v2/buckets/{b.id}"
    if name is not None:
        assert b.name == name
    if org_id is not None:
        assert b.org_id == org_id


def test_find_buckets_with_filters(setup):
    buckets = setup.op.buckets_api()
    listed = buckets.find_buckets()
    assert isinstance(listed, Buckets)
    assert listed.links._self
    assert setup.bucket.id in [b.id for b in listed.buckets]
    for b in listed.buckets:
        assert_bucket(b)
    for kwargs in ({"org": ORG}, {"org_id": setup.org.id}, {"name": BUCKET}):
        found = buckets.find_buckets(**kwargs).buckets
        assert setup.bucket.id in [b.id for b in found], kwargs
    named = buckets.find_buckets(name=BUCKET).buckets
    assert [b.id for b in named] == [setup.bucket.id]
    assert_bucket(named[0], BUCKET, setup.org.id)
    assert named[0].type == "user"


def test_find_bucket_by_name(setup):
    buckets = setup.op.buckets_api()
    by_name = buckets.find_bucket_by_name(BUCKET)
    assert_bucket(by_name, BUCKET, setup.org.id)
    assert buckets.find_bucket_by_name("no-such-bucket") is None


def test_find_bucket_by_id(setup):
    # BucketsApi.find_bucket_by_id calls GET /api/v2/buckets/{bucketID}.
    by_id = setup.op.buckets_api().find_bucket_by_id(setup.bucket.id)
    assert_bucket(by_id, BUCKET, setup.org.id)


def test_create_bucket(setup):
    buckets = setup.op.buckets_api()
    plain = buckets.create_bucket(bucket_name="created-bucket", org=setup.org.id)
    assert_bucket(plain, "created-bucket", setup.org.id)
    rule = BucketRetentionRules(type="expire", every_seconds=3600)
    with_rp = buckets.create_bucket(bucket_name="created-bucket-1h", org=ORG, retention_rules=rule,
                                    description="one hour")
    assert_bucket(with_rp, "created-bucket-1h", setup.org.id)
    assert [r.every_seconds for r in with_rp.retention_rules] == [3600]
    assert with_rp.description == "one hour"
    names = [b.name for b in buckets.find_buckets(org_id=setup.org.id).buckets]
    assert {"created-bucket", "created-bucket-1h"} <= set(names)


def test_find_buckets_iter_pages_with_after(setup):
    buckets = setup.op.buckets_api()
    for i in range(3):
        buckets.create_bucket(bucket_name=f"paged-{i}", org=setup.org.id)
    everything = buckets.find_buckets(limit=100).buckets
    # bounded: a server that ignores `after` but keeps sending links.next would loop forever
    iterated = list(itertools.islice(buckets.find_buckets_iter(limit=2), 100))
    assert sorted(b.id for b in iterated) == sorted(b.id for b in everything)
    assert len({b.id for b in iterated}) == len(iterated)
