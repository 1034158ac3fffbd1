// SetupAPI (onboarding), PingAPI, HealthAPI, and Docker-style boot-time setup.
import {describe, it, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {startServer} from '../lib/server.mjs'
import {
  clientFor,
  expectHttpError,
  captureHeaders,
  SETUP,
  ID_RE,
  TOKEN_RE,
} from '../lib/clients.mjs'

describe('onboarding through SetupAPI on a fresh server', () => {
  let server
  let anon
  before(async () => {
    server = await startServer()
    anon = clientFor(server.url)
  })
  after(async () => server?.stop())

  it('PingAPI.getPing resolves (204) without a token and carries the build headers', async () => {
    const cap = captureHeaders()
    const res = await anon.ping.getPing(undefined, cap.options)
    assert.equal(res, undefined)
    assert.equal(cap.seen.statusCode, 204)
    assert.equal(cap.seen.headers['x-influxdb-build'], 'OSS')
    assert.match(String(cap.seen.headers['x-influxdb-version']), /\S/)
  })

  it('HealthAPI.getHealth reports pass without a token', async () => {
    const h = await anon.health.getHealth()
    assert.equal(h.status, 'pass')
    assert.equal(h.name, 'influxdb')
    assert.ok(Array.isArray(h.checks ?? []))
  })

  it('a request without a token is 401 unauthorized (error shape as the client surfaces it)', async () => {
    const err = await expectHttpError(anon.orgs.getOrgs(), 401, {
      code: 'unauthorized',
      message: 'unauthorized access',
    })
    assert.equal(err.headers['x-influxdb-build'], 'OSS')
  })

  it('getSetup says allowed=true before onboarding', async () => {
    assert.deepEqual(await anon.setup.getSetup(), {allowed: true})
  })

  it('postSetup with missing fields is 422 and does not onboard', async () => {
    await expectHttpError(
      anon.setup.postSetup({body: {username: '', org: '', bucket: ''}}),
      422,
      {message: /missing required fields/}
    )
    assert.deepEqual(await anon.setup.getSetup(), {allowed: true})
  })

  let onboarded
  it('postSetup onboards and returns user, org, bucket and the operator token', async () => {
    const res = await anon.setup.postSetup({body: {...SETUP}})
    onboarded = res
    assert.match(res.user.id, ID_RE)
    assert.equal(res.user.name, SETUP.username)
    assert.equal(res.user.status, 'active')
    assert.match(res.org.id, ID_RE)
    assert.equal(res.org.name, SETUP.org)
    assert.match(res.bucket.id, ID_RE)
    assert.equal(res.bucket.name, SETUP.bucket)
    assert.equal(res.bucket.orgID, res.org.id)

    const auth = res.auth
    assert.match(auth.id, ID_RE)
    assert.match(auth.token, TOKEN_RE, 'setup returns the plaintext token')
    assert.equal(auth.status, 'active')
    assert.equal(auth.description, `${SETUP.username}'s Token`)
    assert.equal(auth.orgID, res.org.id)
    assert.equal(auth.userID, res.user.id)
    // Operator: read+write, global, for every type but instance (contract §2.3).
    const types = await clientFor(server.url, auth.token).resources.getResources()
    const expected = types
      .filter((t) => t !== 'instance')
      .flatMap((t) => [`read:${t}`, `write:${t}`])
      .sort()
    const got = auth.permissions
      .map((p) => {
        assert.equal(p.resource.id, undefined, 'operator permissions are global')
        assert.equal(p.resource.orgID, undefined, 'operator permissions are global')
        return `${p.action}:${p.resource.type}`
      })
      .sort()
    assert.deepEqual(got, expected)
    assert.equal(got.length, 44)
  })

  it('getSetup says allowed=false afterwards, and a second postSetup is 422 conflict', async () => {
    assert.deepEqual(await anon.setup.getSetup(), {allowed: false})
    await expectHttpError(anon.setup.postSetup({body: {...SETUP, username: 'other'}}), 422, {
      code: 'conflict',
      message: 'onboarding has already been completed',
    })
  })

  it('the operator token works with the client (MeAPI.getMe)', async () => {
    const me = await clientFor(server.url, onboarded.auth.token).me.getMe()
    assert.equal(me.id, onboarded.user.id)
    assert.equal(me.name, SETUP.username)
    assert.equal(me.status, 'active')
    assert.deepEqual(me.links, {self: `/api/v2/users/${onboarded.user.id}`})
  })
})

describe('postSetup with a client-chosen token', () => {
  let server
  before(async () => {
    server = await startServer()
  })
  after(async () => server?.stop())

  it('keeps the supplied token and it authenticates', async () => {
    const token = 'my-own-operator-token-' + 'x'.repeat(20)
    const res = await clientFor(server.url).setup.postSetup({body: {...SETUP, token}})
    assert.equal(res.auth.token, token)
    const me = await clientFor(server.url, token).me.getMe()
    assert.equal(me.name, SETUP.username)
    await expectHttpError(clientFor(server.url, token + 'x').me.getMe(), 401, {
      code: 'unauthorized',
      message: 'unauthorized access',
    })
  })
})

describe('boot-time setup from DOCKER_INFLUXDB_INIT_* env', () => {
  let server
  const token = 'docker-admin-token-0123456789abcdef'
  before(async () => {
    server = await startServer({
      env: {
        DOCKER_INFLUXDB_INIT_MODE: 'setup',
        DOCKER_INFLUXDB_INIT_USERNAME: 'dockeradmin',
        DOCKER_INFLUXDB_INIT_PASSWORD: 'dockerpassword',
        DOCKER_INFLUXDB_INIT_ORG: 'docker-org',
        DOCKER_INFLUXDB_INIT_BUCKET: 'docker-bucket',
        DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: token,
      },
    })
  })
  after(async () => server?.stop())

  it('is already set up and the admin token drives the APIs', async () => {
    assert.deepEqual(await clientFor(server.url).setup.getSetup(), {allowed: false})
    const admin = clientFor(server.url, token)
    const me = await admin.me.getMe()
    assert.equal(me.name, 'dockeradmin')
    const orgs = await admin.orgs.getOrgs({org: 'docker-org'})
    assert.equal(orgs.orgs.length, 1)
    const buckets = await admin.buckets.getBuckets({name: 'docker-bucket'})
    assert.equal(buckets.buckets.length, 1)
    assert.equal(buckets.buckets[0].orgID, orgs.orgs[0].id)
  })

  it('a restart with the same env on the same file is a no-op (token still valid)', async () => {
    const dir = server.dir
    // stop without deleting the directory: start a second server on the same file
    const env = {
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_USERNAME: 'dockeradmin',
      DOCKER_INFLUXDB_INIT_PASSWORD: 'dockerpassword',
      DOCKER_INFLUXDB_INIT_ORG: 'docker-org',
      DOCKER_INFLUXDB_INIT_BUCKET: 'docker-bucket',
      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: token,
    }
    await server.kill() // process gone, directory (owned by `server`) kept
    const again = await startServer({dir, env})
    try {
      const admin = clientFor(again.url, token)
      assert.equal((await admin.me.getMe()).name, 'dockeradmin')
      const users = await admin.users.getUsers()
      assert.equal(users.users.filter((u) => u.name === 'dockeradmin').length, 1)
    } finally {
      await again.stop() // kills the process only: `again` does not own dir
    }
  })
})
