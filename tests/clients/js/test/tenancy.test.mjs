// OrgsAPI, UsersAPI, MeAPI and BucketsAPI: the calls a client makes around tokens.
import {describe, it, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {startServer} from '../lib/server.mjs'
import {clientFor, expectHttpError, onboard, SETUP, ID_RE} from '../lib/clients.mjs'

describe('orgs, users, me and buckets through the client APIs', () => {
  let server
  let ctx
  before(async () => {
    server = await startServer()
    ctx = await onboard(server.url)
  })
  after(async () => server?.stop())

  it('OrgsAPI.getOrgs with the org filter finds the setup org', async () => {
    const res = await ctx.admin.orgs.getOrgs({org: SETUP.org})
    assert.equal(res.orgs.length, 1)
    const org = res.orgs[0]
    assert.equal(org.id, ctx.orgID)
    assert.equal(org.name, SETUP.org)
    assert.equal(org.links?.self, `/api/v2/orgs/${ctx.orgID}`)
  })

  it('OrgsAPI.getOrgs with an unknown org name is 404 not found', async () => {
    await expectHttpError(ctx.admin.orgs.getOrgs({org: 'no-such-org'}), 404, {
      code: 'not found',
      message: 'organization name "no-such-org" not found',
    })
  })

  it('OrgsAPI.postOrgs creates an org (201) visible through getOrgs; duplicates are 422 conflict', async () => {
    const org = await ctx.admin.orgs.postOrgs({body: {name: 'second-org', description: 'two'}})
    assert.match(org.id, ID_RE)
    assert.equal(org.name, 'second-org')
    const res = await ctx.admin.orgs.getOrgs({org: 'second-org'})
    assert.deepEqual(
      res.orgs.map((o) => o.id),
      [org.id]
    )
    const byID = await ctx.admin.orgs.getOrgs({orgID: org.id})
    assert.deepEqual(
      byID.orgs.map((o) => o.name),
      ['second-org']
    )
    await expectHttpError(ctx.admin.orgs.postOrgs({body: {name: 'second-org'}}), 422, {
      code: 'conflict',
    })
  })

  it('OrgsAPI.postOrgs with an empty name is 400 invalid', async () => {
    await expectHttpError(ctx.admin.orgs.postOrgs({body: {name: ''}}), 400, {code: 'invalid'})
  })

  it('UsersAPI.getUsers lists the setup user, with and without the name filter', async () => {
    const all = await ctx.admin.users.getUsers()
    assert.ok(all.users.some((u) => u.id === ctx.userID && u.name === SETUP.username))
    const byName = await ctx.admin.users.getUsers({name: SETUP.username})
    assert.deepEqual(
      byName.users.map((u) => u.id),
      [ctx.userID]
    )
    assert.deepEqual(byName.users[0].links, {self: `/api/v2/users/${ctx.userID}`})
    // `influx auth create` always sends ?name=<user>, even empty: empty means no filter.
    const empty = await ctx.admin.users.getUsers({name: ''})
    assert.ok(empty.users.length >= 1)
    const byID = await ctx.admin.users.getUsers({id: ctx.userID})
    assert.deepEqual(
      byID.users.map((u) => u.name),
      [SETUP.username]
    )
  })

  it('UsersAPI.postUsers creates a user (201) that getUsers then finds', async () => {
    const u = await ctx.admin.users.postUsers({body: {name: 'alice', status: 'active'}})
    assert.match(u.id, ID_RE)
    assert.equal(u.name, 'alice')
    assert.equal(u.status, 'active')
    const res = await ctx.admin.users.getUsers({name: 'alice'})
    assert.deepEqual(
      res.users.map((x) => x.id),
      [u.id]
    )
    const one = await ctx.admin.users.getUsersID({userID: u.id})
    assert.equal(one.name, 'alice')
  })

  it('UsersAPI.postUsers with a taken name is 422 conflict', async () => {
    await expectHttpError(ctx.admin.users.postUsers({body: {name: SETUP.username}}), 422, {
      code: 'conflict',
    })
  })

  it('MeAPI.getMe returns the token owner', async () => {
    const me = await ctx.admin.me.getMe()
    assert.equal(me.id, ctx.userID)
    assert.equal(me.name, SETUP.username)
  })

  it('BucketsAPI.getBuckets finds the setup bucket by org and by name', async () => {
    const byOrg = await ctx.admin.buckets.getBuckets({org: SETUP.org})
    const b = byOrg.buckets.find((x) => x.name === SETUP.bucket)
    assert.ok(b, 'setup bucket listed for its org')
    assert.equal(b.id, ctx.bucketID)
    assert.equal(b.orgID, ctx.orgID)
    assert.ok(Array.isArray(b.retentionRules))
    const byName = await ctx.admin.buckets.getBuckets({name: SETUP.bucket})
    assert.deepEqual(
      byName.buckets.map((x) => x.id),
      [ctx.bucketID]
    )
    const byOrgID = await ctx.admin.buckets.getBuckets({orgID: ctx.orgID})
    assert.ok(byOrgID.buckets.some((x) => x.id === ctx.bucketID))
  })

  it('BucketsAPI.postBuckets creates a bucket (201) that getBuckets then finds', async () => {
    const b = await ctx.admin.buckets.postBuckets({
      body: {
        orgID: ctx.orgID,
        name: 'second-bucket',
        retentionRules: [{type: 'expire', everySeconds: 3600}],
      },
    })
    assert.match(b.id, ID_RE)
    assert.equal(b.name, 'second-bucket')
    assert.equal(b.orgID, ctx.orgID)
    const res = await ctx.admin.buckets.getBuckets({orgID: ctx.orgID, name: 'second-bucket'})
    assert.deepEqual(
      res.buckets.map((x) => x.id),
      [b.id]
    )
    await expectHttpError(
      ctx.admin.buckets.postBuckets({body: {orgID: ctx.orgID, name: 'second-bucket'}}),
      422,
      {code: 'conflict'}
    )
  })

  it('ResourcesAPI.getResources lists the 23 OSS resource types', async () => {
    const types = await ctx.admin.resources.getResources()
    assert.equal(types.length, 23)
    assert.equal(types[0], 'authorizations')
    assert.equal(types.at(-1), 'instance')
  })
})
