// Hashed tokens (the default: token "" everywhere but the POST 201 and setup responses)
// versus --use-hashed-tokens=false (plaintext kept and returned, like InfluxDB 2.7),
// plus persistence of both across restarts on the same redb file.
import {describe, it, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {startServer} from '../lib/server.mjs'
import {clientFor, onboard, bucketPermission, expectHttpError, TOKEN_RE} from '../lib/clients.mjs'

function readBucket(ctx, description) {
  return {
    orgID: ctx.orgID,
    description,
    permissions: [bucketPermission('read', ctx.bucketID, ctx.orgID)],
  }
}

describe('hashed tokens (default)', () => {
  let server
  let ctx
  before(async () => {
    server = await startServer()
    ctx = await onboard(server.url)
  })
  after(async () => server?.stop())

  it('setup returns the plaintext token (and, like 2.8, a PHC hashedToken)', () => {
    assert.match(ctx.res.auth.token, TOKEN_RE)
    assert.match(String(ctx.res.auth.hashedToken), /^\$influxdb2-sha256\$[A-Za-z0-9_-]{43}=$/)
  })

  it('only the POST response carries the token; GET, list and PATCH return ""', async () => {
    const a = await ctx.admin.auths.postAuthorizations({body: readBucket(ctx, 'hashed')})
    assert.match(a.token, TOKEN_RE)
    assert.equal((await ctx.admin.auths.getAuthorizationsID({authID: a.id})).token, '')
    const list = await ctx.admin.auths.getAuthorizations()
    assert.ok(list.authorizations.length >= 2)
    for (const x of list.authorizations) assert.equal(x.token, '', `token of ${x.id}`)
    const p = await ctx.admin.auths.patchAuthorizationsID({authID: a.id, body: {description: 'p'}})
    assert.equal(p.token, '')
    // and the token still authenticates
    const c = clientFor(server.url, a.token)
    assert.ok((await c.buckets.getBuckets()).buckets.some((b) => b.id === ctx.bucketID))
  })

  it('a stored hash presented as a token does not authenticate', async () => {
    await expectHttpError(clientFor(server.url, ctx.res.auth.hashedToken).me.getMe(), 401, {
      code: 'unauthorized',
      message: 'unauthorized access',
    })
  })

  it('tokens survive a restart on the same redb file', async () => {
    const a = await ctx.admin.auths.postAuthorizations({body: readBucket(ctx, 'survivor')})
    await server.kill()
    const again = await startServer({dir: server.dir})
    try {
      const admin = clientFor(again.url, ctx.token)
      assert.equal((await admin.me.getMe()).id, ctx.userID)
      const got = await admin.auths.getAuthorizationsID({authID: a.id})
      assert.equal(got.description, 'survivor')
      assert.equal(got.token, '')
      const c = clientFor(again.url, a.token)
      assert.ok((await c.buckets.getBuckets()).buckets.some((b) => b.id === ctx.bucketID))
    } finally {
      await again.stop()
    }
  })
})

describe('--use-hashed-tokens=false (plaintext, like InfluxDB 2.7)', () => {
  let server
  let ctx
  before(async () => {
    server = await startServer({args: ['--use-hashed-tokens=false']})
    ctx = await onboard(server.url)
  })
  after(async () => server?.stop())

  it('GET, list and PATCH return the plaintext token', async () => {
    const a = await ctx.admin.auths.postAuthorizations({body: readBucket(ctx, 'plain')})
    assert.match(a.token, TOKEN_RE)
    assert.equal((await ctx.admin.auths.getAuthorizationsID({authID: a.id})).token, a.token)
    const list = await ctx.admin.auths.getAuthorizations()
    const byID = new Map(list.authorizations.map((x) => [x.id, x.token]))
    assert.equal(byID.get(a.id), a.token)
    assert.equal(byID.get(ctx.res.auth.id), ctx.token, 'operator token listed in plaintext')
    const p = await ctx.admin.auths.patchAuthorizationsID({authID: a.id, body: {status: 'inactive'}})
    assert.equal(p.token, a.token)
    assert.equal(p.status, 'inactive')
  })

  it('a restart with hashing on migrates: old tokens still work, GET now returns ""', async () => {
    const a = await ctx.admin.auths.postAuthorizations({body: readBucket(ctx, 'to migrate')})
    await server.kill()
    const hashedAgain = await startServer({dir: server.dir})
    try {
      const admin = clientFor(hashedAgain.url, ctx.token)
      assert.equal((await admin.me.getMe()).id, ctx.userID)
      assert.equal((await admin.auths.getAuthorizationsID({authID: a.id})).token, '')
      const c = clientFor(hashedAgain.url, a.token)
      assert.ok((await c.buckets.getBuckets()).buckets.some((b) => b.id === ctx.bucketID))
    } finally {
      await hashedAgain.kill()
    }
    // Turning hashing off again leaves hashed tokens hashed; they keep working.
    const plainAgain = await startServer({dir: server.dir, args: ['--use-hashed-tokens=false']})
    try {
      const admin = clientFor(plainAgain.url, ctx.token)
      assert.equal((await admin.auths.getAuthorizationsID({authID: a.id})).token, '')
      const c = clientFor(plainAgain.url, a.token)
      assert.ok((await c.buckets.getBuckets()).buckets.some((b) => b.id === ctx.bucketID))
      const fresh = await admin.auths.postAuthorizations({body: readBucket(ctx, 'new plain')})
      assert.equal((await admin.auths.getAuthorizationsID({authID: fresh.id})).token, fresh.token)
    } finally {
      await plainAgain.kill()
    }
  })
})
