// AuthorizationsAPI: create (all-access style, bucket read, bucket write), list with
// every filter, get by ID, patch status/description, delete, and the errors the client sees.
import {describe, it, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {startServer} from '../lib/server.mjs'
import {
  clientFor,
  expectHttpError,
  onboard,
  allAccessPermissions,
  bucketPermission,
  assertAuthorizationShape,
  captureHeaders,
  SETUP,
  TOKEN_RE,
} from '../lib/clients.mjs'

const UNKNOWN_ID = '0a0a0a0a0a0a0a0a'

describe('AuthorizationsAPI against a hashed-token server (the default)', () => {
  let server
  let ctx
  let types
  let allAccess // 201 response
  let bucketRead
  let bucketWrite
  let alice // user
  let aliceTokens = []
  let org2
  let org2Token

  before(async () => {
    server = await startServer()
    ctx = await onboard(server.url)
    types = await ctx.admin.resources.getResources()
  })
  after(async () => server?.stop())

  it('creates an all-access token the way `influx auth create --all-access` does', async () => {
    // What the CLI does: resolve the org by name and the user by name, then POST.
    const org = (await ctx.admin.orgs.getOrgs({org: SETUP.org})).orgs[0]
    const user = (await ctx.admin.users.getUsers({name: SETUP.username})).users[0]
    const permissions = allAccessPermissions(types, org.id, user.id)
    assert.equal(permissions.length, 43)
    allAccess = await ctx.admin.auths.postAuthorizations({
      body: {orgID: org.id, userID: user.id, description: 'all access', permissions},
    })
    assertAuthorizationShape(allAccess)
    assert.match(allAccess.token, TOKEN_RE, 'the 201 response carries the plaintext token')
    assert.equal(allAccess.status, 'active')
    assert.equal(allAccess.description, 'all access')
    assert.equal(allAccess.orgID, ctx.orgID)
    assert.equal(allAccess.org, SETUP.org)
    assert.equal(allAccess.userID, ctx.userID)
    assert.equal(allAccess.user, SETUP.username)
    assert.equal(allAccess.permissions.length, 43)
    assert.equal(allAccess.createdAt, allAccess.updatedAt)
    // Server-side decoration of the returned permissions (contract §1.2).
    const orgsPerm = allAccess.permissions.find((p) => p.resource.type === 'orgs')
    assert.deepEqual(orgsPerm, {
      action: 'read',
      resource: {type: 'orgs', id: ctx.orgID, name: SETUP.org},
    })
    const usersPerm = allAccess.permissions.find(
      (p) => p.resource.type === 'users' && p.action === 'write'
    )
    assert.deepEqual(usersPerm.resource, {type: 'users', id: ctx.userID, name: SETUP.username})
    const bucketsPerm = allAccess.permissions.find(
      (p) => p.resource.type === 'buckets' && p.action === 'read'
    )
    assert.deepEqual(bucketsPerm.resource, {type: 'buckets', orgID: ctx.orgID, org: SETUP.org})
  })

  it('the all-access token works through the client: me, its own tokens, buckets', async () => {
    const c = clientFor(server.url, allAccess.token)
    assert.equal((await c.me.getMe()).id, ctx.userID)
    const list = await c.auths.getAuthorizations()
    assert.ok(list.authorizations.some((a) => a.id === allAccess.id))
    assert.ok(list.authorizations.every((a) => a.userID === ctx.userID))
    const buckets = await c.buckets.getBuckets({orgID: ctx.orgID})
    assert.ok(buckets.buckets.some((b) => b.id === ctx.bucketID))
  })

  it('creates a bucket read token; its permission is decorated with bucket and org names', async () => {
    bucketRead = await ctx.admin.auths.postAuthorizations({
      body: {
        orgID: ctx.orgID,
        description: 'read my-bucket',
        permissions: [bucketPermission('read', ctx.bucketID, ctx.orgID)],
      },
    })
    assertAuthorizationShape(bucketRead)
    assert.match(bucketRead.token, TOKEN_RE)
    assert.equal(bucketRead.userID, ctx.userID, 'userID defaults to the caller')
    assert.deepEqual(bucketRead.permissions, [
      {
        action: 'read',
        resource: {
          type: 'buckets',
          id: ctx.bucketID,
          orgID: ctx.orgID,
          name: SETUP.bucket,
          org: SETUP.org,
        },
      },
    ])
  })

  it('the bucket read token: sees its bucket, no authorizations, and getMe is 401', async () => {
    const c = clientFor(server.url, bucketRead.token)
    const buckets = await c.buckets.getBuckets()
    assert.ok(buckets.buckets.some((b) => b.id === ctx.bucketID))
    const list = await c.auths.getAuthorizations()
    assert.deepEqual(list.authorizations, [])
    await expectHttpError(c.me.getMe(), 401, {
      code: 'unauthorized',
      message: `read:users/${ctx.userID} is unauthorized`,
    })
  })

  it('creates a bucket write token (inactive at birth is allowed too)', async () => {
    bucketWrite = await ctx.admin.auths.postAuthorizations({
      body: {
        orgID: ctx.orgID,
        description: 'write my-bucket',
        status: 'inactive',
        permissions: [bucketPermission('write', ctx.bucketID, ctx.orgID)],
      },
    })
    assertAuthorizationShape(bucketWrite)
    assert.equal(bucketWrite.status, 'inactive')
    assert.equal(bucketWrite.permissions[0].action, 'write')
    assert.equal(bucketWrite.permissions[0].resource.name, SETUP.bucket)
    const got = await ctx.admin.auths.getAuthorizationsID({authID: bucketWrite.id})
    assert.equal(got.status, 'inactive')
  })

  it('the POST body token field is ignored (server generates it)', async () => {
    const a = await ctx.admin.auths.postAuthorizations({
      body: {
        orgID: ctx.orgID,
        token: 'chosen-by-client',
        permissions: [bucketPermission('read', ctx.bucketID, ctx.orgID)],
      },
    })
    assert.match(a.token, TOKEN_RE)
    assert.notEqual(a.token, 'chosen-by-client')
    await ctx.admin.auths.deleteAuthorizationsID({authID: a.id})
  })

  it('getAuthorizationsID returns the record; token is "" with hashed tokens', async () => {
    const got = await ctx.admin.auths.getAuthorizationsID({authID: allAccess.id})
    assertAuthorizationShape(got, {hashedGet: true})
    // lastUsedAt (an influx-authz extension) appears once the token has been used; it is not part of the record.
    const {token: _t1, lastUsedAt: _l1, ...restGot} = got
    const {token: _t2, lastUsedAt: _l2, ...restCreated} = allAccess
    assert.deepEqual(restGot, restCreated)
  })

  it('getAuthorizationsID: unknown ID is 404, malformed ID is 400', async () => {
    await expectHttpError(ctx.admin.auths.getAuthorizationsID({authID: UNKNOWN_ID}), 404, {
      code: 'not found',
      message: 'authorization not found',
    })
    await expectHttpError(ctx.admin.auths.getAuthorizationsID({authID: 'abc'}), 400, {
      code: 'invalid',
      message: 'id must have a length of 16 bytes',
    })
  })

  it('getAuthorizations without filters lists every token with token ""', async () => {
    const list = await ctx.admin.auths.getAuthorizations()
    assert.deepEqual(list.links, {self: '/api/v2/authorizations'})
    const ids = list.authorizations.map((a) => a.id)
    for (const a of [ctx.res.auth, allAccess, bucketRead, bucketWrite]) {
      assert.ok(ids.includes(a.id), `lists ${a.description}`)
    }
    for (const a of list.authorizations) {
      assertAuthorizationShape(a, {hashedGet: true})
    }
  })

  it('sets up a second user and a second org for the filter tests', async () => {
    alice = await ctx.admin.users.postUsers({body: {name: 'alice'}})
    // Tokens owned by alice, minted by the operator (needs write:users/<alice>).
    for (const d of ['alice one', 'alice two']) {
      aliceTokens.push(
        await ctx.admin.auths.postAuthorizations({
          body: {
            orgID: ctx.orgID,
            userID: alice.id,
            description: d,
            permissions: [bucketPermission('read', ctx.bucketID, ctx.orgID)],
          },
        })
      )
    }
    assert.equal(aliceTokens[0].user, 'alice')
    assert.equal(aliceTokens[0].userID, alice.id)
    org2 = await ctx.admin.orgs.postOrgs({body: {name: 'org-two'}})
    org2Token = await ctx.admin.auths.postAuthorizations({
      body: {
        orgID: org2.id,
        description: 'org two buckets',
        permissions: [{action: 'read', resource: {type: 'buckets', orgID: org2.id}}],
      },
    })
    assert.equal(org2Token.org, 'org-two')
  })

  const ids = (list) => list.authorizations.map((a) => a.id).sort()

  it('an all-access token lists only its own user\'s tokens (both checks per record, §1.3)', async () => {
    const c = clientFor(server.url, allAccess.token)
    const list = await c.auths.getAuthorizations()
    const seen = new Set(list.authorizations.map((a) => a.id))
    assert.ok(seen.has(allAccess.id))
    for (const a of aliceTokens) assert.ok(!seen.has(a.id), 'alice\'s token hidden')
    assert.ok(list.authorizations.every((a) => a.userID === ctx.userID))
    // And asking for alice's tokens by filter gives an empty list, not an error.
    assert.deepEqual((await c.auths.getAuthorizations({user: 'alice'})).authorizations, [])
  })

  it('filter userID returns exactly that user\'s tokens', async () => {
    const list = await ctx.admin.auths.getAuthorizations({userID: alice.id})
    assert.deepEqual(ids(list), aliceTokens.map((a) => a.id).sort())
  })

  it('filter user (name) returns exactly that user\'s tokens', async () => {
    const list = await ctx.admin.auths.getAuthorizations({user: 'alice'})
    assert.deepEqual(ids(list), aliceTokens.map((a) => a.id).sort())
  })

  it('filter orgID returns exactly that org\'s tokens', async () => {
    const list = await ctx.admin.auths.getAuthorizations({orgID: org2.id})
    assert.deepEqual(ids(list), [org2Token.id])
  })

  it('filter org (name) returns exactly that org\'s tokens', async () => {
    const list = await ctx.admin.auths.getAuthorizations({org: 'org-two'})
    assert.deepEqual(ids(list), [org2Token.id])
  })

  it('user and org filters are ANDed', async () => {
    assert.deepEqual(
      ids(await ctx.admin.auths.getAuthorizations({user: 'alice', org: SETUP.org})),
      aliceTokens.map((a) => a.id).sort()
    )
    assert.deepEqual(
      ids(await ctx.admin.auths.getAuthorizations({userID: alice.id, orgID: org2.id})),
      []
    )
    const adminOrg1 = await ctx.admin.auths.getAuthorizations({
      userID: ctx.userID,
      orgID: ctx.orgID,
    })
    assert.ok(adminOrg1.authorizations.every((a) => a.userID === ctx.userID && a.orgID === ctx.orgID))
    assert.ok(adminOrg1.authorizations.some((a) => a.id === allAccess.id))
    assert.ok(!adminOrg1.authorizations.some((a) => a.id === org2Token.id))
  })

  it('userID wins over user, orgID wins over org (the loser is not even validated)', async () => {
    const list = await ctx.admin.auths.getAuthorizations({userID: alice.id, user: 'nobody'})
    assert.deepEqual(ids(list), aliceTokens.map((a) => a.id).sort())
    const list2 = await ctx.admin.auths.getAuthorizations({orgID: org2.id, org: 'nope'})
    assert.deepEqual(ids(list2), [org2Token.id])
  })

  it('empty filter values (the client sends ?user=&org=) count as absent', async () => {
    const all = ids(await ctx.admin.auths.getAuthorizations())
    assert.deepEqual(ids(await ctx.admin.auths.getAuthorizations({user: '', org: ''})), all)
    assert.deepEqual(ids(await ctx.admin.auths.getAuthorizations({userID: '', orgID: ''})), all)
  })

  it('unknown names are 404; unknown well-formed IDs give an empty list; bad IDs are 400', async () => {
    await expectHttpError(ctx.admin.auths.getAuthorizations({user: 'nobody'}), 404, {
      code: 'not found',
      message: 'user not found',
    })
    await expectHttpError(ctx.admin.auths.getAuthorizations({org: 'nope'}), 404, {
      code: 'not found',
      message: 'organization name "nope" not found',
    })
    assert.deepEqual(
      (await ctx.admin.auths.getAuthorizations({userID: UNKNOWN_ID})).authorizations,
      []
    )
    assert.deepEqual(
      (await ctx.admin.auths.getAuthorizations({orgID: UNKNOWN_ID})).authorizations,
      []
    )
    await expectHttpError(ctx.admin.auths.getAuthorizations({userID: 'xyz'}), 400, {
      code: 'invalid',
      message: 'id must have a length of 16 bytes',
    })
    await expectHttpError(ctx.admin.auths.getAuthorizations({orgID: 'zzzzzzzzzzzzzzzz'}), 400, {
      code: 'invalid',
      message: 'invalid ID',
    })
  })

  it('patchAuthorizationsID updates the description and returns the new state', async () => {
    await new Promise((r) => setTimeout(r, 5))
    const patched = await ctx.admin.auths.patchAuthorizationsID({
      authID: bucketRead.id,
      body: {description: 'renamed'},
    })
    assertAuthorizationShape(patched, {hashedGet: true})
    assert.equal(patched.description, 'renamed')
    assert.equal(patched.status, 'active')
    assert.equal(patched.createdAt, bucketRead.createdAt)
    assert.ok(Date.parse(patched.updatedAt) > Date.parse(bucketRead.updatedAt), 'updatedAt bumped')
    const got = await ctx.admin.auths.getAuthorizationsID({authID: bucketRead.id})
    assert.equal(got.description, 'renamed')
  })

  it('patchAuthorizationsID sets status and description together, and back', async () => {
    const off = await ctx.admin.auths.patchAuthorizationsID({
      authID: bucketRead.id,
      body: {status: 'inactive', description: 'off'},
    })
    assert.equal(off.status, 'inactive')
    assert.equal(off.description, 'off')
    assert.equal((await ctx.admin.auths.getAuthorizationsID({authID: bucketRead.id})).status, 'inactive')
    const on = await ctx.admin.auths.patchAuthorizationsID({
      authID: bucketRead.id,
      body: {status: 'active'},
    })
    assert.equal(on.status, 'active')
    assert.equal(on.description, 'off', 'an absent field is left alone')
    // the token works again
    const c = clientFor(server.url, bucketRead.token)
    assert.ok((await c.buckets.getBuckets()).buckets.some((b) => b.id === ctx.bucketID))
  })

  it('patchAuthorizationsID errors: bad status 400, unknown ID 404', async () => {
    await expectHttpError(
      ctx.admin.auths.patchAuthorizationsID({authID: bucketRead.id, body: {status: 'paused'}}),
      400,
      {code: 'invalid'}
    )
    await expectHttpError(
      ctx.admin.auths.patchAuthorizationsID({authID: UNKNOWN_ID, body: {status: 'active'}}),
      404,
      {code: 'not found', message: 'authorization not found'}
    )
  })

  it('postAuthorizations errors: missing orgID, no permissions, bad type, instance (403)', async () => {
    await expectHttpError(
      ctx.admin.auths.postAuthorizations({
        body: {permissions: [bucketPermission('read', ctx.bucketID, ctx.orgID)]},
      }),
      400,
      {code: 'invalid'}
    )
    await expectHttpError(
      ctx.admin.auths.postAuthorizations({body: {orgID: ctx.orgID, permissions: []}}),
      400,
      {code: 'invalid', message: 'authorization must include permissions'}
    )
    await expectHttpError(
      ctx.admin.auths.postAuthorizations({
        body: {orgID: ctx.orgID, permissions: [{action: 'read', resource: {type: 'flows'}}]},
      }),
      400,
      {code: 'invalid'}
    )
    // instance: the escalation check runs first (contract §1.4 step c before d) and no
    // token holds instance, so a token caller, even the operator, gets 403 (as in
    // influxdb#23668). The 400 `invalid` deviation is for the later step only.
    await expectHttpError(
      ctx.admin.auths.postAuthorizations({
        body: {orgID: ctx.orgID, permissions: [{action: 'read', resource: {type: 'instance'}}]},
      }),
      403,
      {
        code: 'forbidden',
        message: 'permission read:instance is not allowed: read:instance is unauthorized',
      }
    )
  })

  it('a bucket token cannot create tokens: 401 naming the missing permission', async () => {
    const c = clientFor(server.url, bucketRead.token)
    await expectHttpError(
      c.auths.postAuthorizations({
        body: {orgID: ctx.orgID, permissions: [bucketPermission('read', ctx.bucketID, ctx.orgID)]},
      }),
      401,
      {code: 'unauthorized', message: `write:orgs/${ctx.orgID}/authorizations is unauthorized`}
    )
  })

  it('an all-access token cannot escalate to a global permission: 403 forbidden', async () => {
    const c = clientFor(server.url, allAccess.token)
    await expectHttpError(
      c.auths.postAuthorizations({
        body: {orgID: ctx.orgID, permissions: [{action: 'read', resource: {type: 'buckets'}}]},
      }),
      403,
      {code: 'forbidden', message: /^permission read:buckets is not allowed/}
    )
    // ...but a subset of itself is fine
    const sub = await c.auths.postAuthorizations({
      body: {orgID: ctx.orgID, permissions: [bucketPermission('read', ctx.bucketID, ctx.orgID)]},
    })
    assert.equal(sub.userID, ctx.userID)
    await c.auths.deleteAuthorizationsID({authID: sub.id})
  })

  it('deleteAuthorizationsID resolves (204), then GET/PATCH/DELETE are 404 and the list drops it', async () => {
    const victim = aliceTokens[1]
    const res = await ctx.admin.auths.deleteAuthorizationsID({authID: victim.id})
    assert.equal(res, undefined)
    await expectHttpError(ctx.admin.auths.getAuthorizationsID({authID: victim.id}), 404, {
      code: 'not found',
      message: 'authorization not found',
    })
    await expectHttpError(
      ctx.admin.auths.patchAuthorizationsID({authID: victim.id, body: {description: 'x'}}),
      404,
      {code: 'not found'}
    )
    await expectHttpError(ctx.admin.auths.deleteAuthorizationsID({authID: victim.id}), 404, {
      code: 'not found',
      message: 'authorization not found',
    })
    const list = await ctx.admin.auths.getAuthorizations({userID: alice.id})
    assert.deepEqual(ids(list), [aliceTokens[0].id])
    await expectHttpError(clientFor(server.url, victim.token).buckets.getBuckets(), 401, {
      code: 'unauthorized',
      message: 'unauthorized access',
    })
  })

  it('status codes and content types as the client sees them (201 / 200 / 204)', async () => {
    // The client treats any status < 300 as success and parses the body only when the
    // content type contains "json"; without it, it hands back a raw Buffer.
    const post = captureHeaders()
    const a = await ctx.admin.auths.postAuthorizations(
      {body: {orgID: ctx.orgID, permissions: [bucketPermission('read', ctx.bucketID, ctx.orgID)]}},
      post.options
    )
    assert.equal(post.seen.statusCode, 201)
    assert.match(String(post.seen.headers['content-type']), /^application\/json/)
    assert.equal(post.seen.headers['x-influxdb-build'], 'OSS')
    for (const call of [
      (o) => ctx.admin.auths.getAuthorizations({}, o),
      (o) => ctx.admin.auths.getAuthorizationsID({authID: a.id}, o),
      (o) => ctx.admin.auths.patchAuthorizationsID({authID: a.id, body: {}}, o),
    ]) {
      const cap = captureHeaders()
      const res = await call(cap.options)
      assert.equal(cap.seen.statusCode, 200)
      assert.match(String(cap.seen.headers['content-type']), /^application\/json/)
      assert.ok(!Buffer.isBuffer(res) && typeof res === 'object')
    }
    const del = captureHeaders()
    assert.equal(await ctx.admin.auths.deleteAuthorizationsID({authID: a.id}, del.options), undefined)
    assert.equal(del.seen.statusCode, 204)
  })

  it('a token is accepted with the Bearer scheme too (header override via RequestOptions)', async () => {
    const c = clientFor(server.url)
    const me = await c.me.getMe(undefined, {headers: {authorization: `Bearer ${allAccess.token}`}})
    assert.equal(me.id, ctx.userID)
  })
})
