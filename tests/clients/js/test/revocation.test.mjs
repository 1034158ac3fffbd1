// Revocation is immediate: after DELETE or PATCH status=inactive, a client holding that
// token gets HttpError 401 on its very next request. Checked for many fresh tokens.
import {describe, it, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {startServer} from '../lib/server.mjs'
import {clientFor, expectHttpError, onboard, bucketPermission, TOKEN_RE} from '../lib/clients.mjs'

const ROUNDS = 60 // fresh tokens per revocation kind (brief: at least 50)

function mintBody(ctx, i) {
  // Enough to use MeAPI.getMe and read itself through AuthorizationsAPI.
  return {
    orgID: ctx.orgID,
    description: `revocation probe ${i}`,
    permissions: [
      {action: 'read', resource: {type: 'authorizations', orgID: ctx.orgID}},
      {action: 'read', resource: {type: 'users', id: ctx.userID}},
      bucketPermission('read', ctx.bucketID, ctx.orgID),
    ],
  }
}

for (const hashed of [true, false]) {
  const args = hashed ? [] : ['--use-hashed-tokens=false']
  describe(`revocation (${hashed ? 'hashed tokens' : '--use-hashed-tokens=false'})`, () => {
    let server
    let ctx
    before(async () => {
      server = await startServer({args})
      ctx = await onboard(server.url)
    })
    after(async () => server?.stop())

    it(`DELETE: ${ROUNDS} fresh tokens each get 401 on the very next request`, async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const a = await ctx.admin.auths.postAuthorizations({body: mintBody(ctx, i)})
        assert.match(a.token, TOKEN_RE)
        const c = clientFor(server.url, a.token)
        // It works before...
        assert.equal((await c.me.getMe()).id, ctx.userID)
        const self = await c.auths.getAuthorizationsID({authID: a.id})
        assert.equal(self.id, a.id)
        // ...and the request right after the delete fails, whatever the route.
        await ctx.admin.auths.deleteAuthorizationsID({authID: a.id})
        const next = [
          () => c.me.getMe(),
          () => c.auths.getAuthorizations(),
          () => c.buckets.getBuckets(),
          () => c.auths.getAuthorizationsID({authID: a.id}),
        ][i % 4]
        await expectHttpError(next(), 401, {code: 'unauthorized', message: 'unauthorized access'})
        // and stays dead
        await expectHttpError(c.orgs.getOrgs(), 401, {code: 'unauthorized'})
      }
    })

    it(`PATCH inactive: ${ROUNDS} fresh tokens each get 401 on the very next request`, async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const a = await ctx.admin.auths.postAuthorizations({body: mintBody(ctx, 1000 + i)})
        const c = clientFor(server.url, a.token)
        assert.equal((await c.me.getMe()).id, ctx.userID)
        const patched = await ctx.admin.auths.patchAuthorizationsID({
          authID: a.id,
          body: {status: 'inactive'},
        })
        assert.equal(patched.status, 'inactive')
        // An inactive token passes authentication but fails every permission check
        // (contract §6): direct-check routes answer 401 "token is inactive".
        const next = [
          () => c.me.getMe(),
          () => c.auths.getAuthorizationsID({authID: a.id}),
        ][i % 2]
        await expectHttpError(next(), 401, {code: 'unauthorized', message: 'token is inactive'})
        if (i % 10 === 0) {
          // Filtered lists answer 200 with nothing in them (contract §6).
          assert.deepEqual((await c.auths.getAuthorizations()).authorizations, [])
          assert.deepEqual((await c.buckets.getBuckets()).buckets, [])
          // It cannot re-activate itself...
          await expectHttpError(
            c.auths.patchAuthorizationsID({authID: a.id, body: {status: 'active'}}),
            401,
            {code: 'unauthorized', message: 'token is inactive'}
          )
          // ...but the operator can, and the very next request works again.
          await ctx.admin.auths.patchAuthorizationsID({authID: a.id, body: {status: 'active'}})
          assert.equal((await c.me.getMe()).id, ctx.userID)
        }
        await ctx.admin.auths.deleteAuthorizationsID({authID: a.id})
        await expectHttpError(c.me.getMe(), 401, {
          code: 'unauthorized',
          message: 'unauthorized access',
        })
      }
    })

    it('concurrent clients: deleting one token does not affect the others', async () => {
      const minted = await Promise.all(
        Array.from({length: 20}, (_, i) =>
          ctx.admin.auths.postAuthorizations({body: mintBody(ctx, 2000 + i)})
        )
      )
      const clients = minted.map((a) => clientFor(server.url, a.token))
      await Promise.all(clients.map((c) => c.me.getMe()))
      const doomed = new Set(minted.filter((_, i) => i % 2 === 0).map((a) => a.id))
      await Promise.all([...doomed].map((authID) => ctx.admin.auths.deleteAuthorizationsID({authID})))
      await Promise.all(
        minted.map(async (a, i) => {
          if (doomed.has(a.id)) {
            await expectHttpError(clients[i].me.getMe(), 401, {code: 'unauthorized'})
          } else {
            assert.equal((await clients[i].me.getMe()).id, ctx.userID)
          }
        })
      )
    })
  })
}
