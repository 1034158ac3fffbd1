// Thin helpers around the official InfluxDB JavaScript client libraries.
// Everything that talks to the server under test goes through these APIs.
import assert from 'node:assert/strict'
import {InfluxDB, HttpError} from '@influxdata/influxdb-client'
import {
  AuthorizationsAPI,
  BucketsAPI,
  HealthAPI,
  MeAPI,
  OrgsAPI,
  PingAPI,
  ResourcesAPI,
  SetupAPI,
  UsersAPI,
} from '@influxdata/influxdb-client-apis'

export {HttpError}

export const ID_RE = /^[0-9a-f]{16}$/
export const TOKEN_RE = /^[A-Za-z0-9_-]{86}==$/

/** One InfluxDB client plus the API objects the tests use. token may be undefined. */
export function clientFor(url, token) {
  const influxDB = token === undefined ? new InfluxDB({url}) : new InfluxDB({url, token})
  return {
    influxDB,
    setup: new SetupAPI(influxDB),
    ping: new PingAPI(influxDB),
    health: new HealthAPI(influxDB),
    orgs: new OrgsAPI(influxDB),
    users: new UsersAPI(influxDB),
    me: new MeAPI(influxDB),
    buckets: new BucketsAPI(influxDB),
    auths: new AuthorizationsAPI(influxDB),
    resources: new ResourcesAPI(influxDB),
  }
}

export const SETUP = Object.freeze({
  username: 'admin',
  password: 'password123',
  org: 'my-org',
  bucket: 'my-bucket',
  retentionPeriodSeconds: 0,
})

/**
 * Onboards a fresh server through SetupAPI.postSetup.
 * Returns {res, admin, orgID, userID, bucketID, token}, admin being a client with the operator token.
 */
export async function onboard(url, overrides = {}) {
  const anon = clientFor(url)
  const res = await anon.setup.postSetup({body: {...SETUP, ...overrides}})
  const token = res.auth.token
  return {
    res,
    token,
    admin: clientFor(url, token),
    orgID: res.org.id,
    userID: res.user.id,
    bucketID: res.bucket.id,
  }
}

/**
 * Awaits a promise that must reject with the client's HttpError.
 * Checks status, and optionally code and message (string = exact, RegExp = match).
 * Also checks the error shape every InfluxDB error has: a JSON body with exactly
 * {code, message}, the X-Platform-Error-Code header, and a JSON content type
 * (without it the client would not parse code/message at all).
 */
export async function expectHttpError(promise, status, {code, message} = {}) {
  let err
  try {
    const value = await promise
    assert.fail(`expected HttpError ${status}, got success: ${JSON.stringify(value)}`)
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e
    err = e
  }
  assert.ok(err instanceof HttpError, `expected HttpError, got ${err?.name}: ${err?.message}`)
  assert.equal(err.statusCode, status, `status (body: ${err.body})`)
  assert.match(
    String(err.contentType),
    /^application\/json/,
    `error content-type must be application/json for the client to parse it (got ${err.contentType})`
  )
  assert.ok(err.json && typeof err.json === 'object', `error body must be JSON (got ${err.body})`)
  assert.deepEqual(Object.keys(err.json).sort(), ['code', 'message'], `error keys in ${err.body}`)
  assert.equal(typeof err.json.code, 'string')
  assert.equal(typeof err.json.message, 'string')
  // The client copies body.code/body.message onto the error object.
  assert.equal(err.code, err.json.code)
  assert.equal(err.message, err.json.message)
  assert.equal(err.headers?.['x-platform-error-code'], err.json.code, 'X-Platform-Error-Code header')
  if (code !== undefined) assert.equal(err.code, code, `code (body: ${err.body})`)
  if (message instanceof RegExp) assert.match(err.message, message)
  else if (message !== undefined) assert.equal(err.message, message)
  return err
}

/**
 * Builds the permissions `influx auth create --all-access` sends (contract §2.3):
 * for each type from /api/v2/resources except instance: orgs -> read orgs/<orgID>;
 * users -> read+write users/<userID>; everything else read+write with orgID.
 */
export function allAccessPermissions(resourceTypes, orgID, userID) {
  const perms = []
  for (const type of resourceTypes) {
    if (type === 'instance') continue
    if (type === 'orgs') {
      perms.push({action: 'read', resource: {type, id: orgID}})
    } else if (type === 'users') {
      perms.push({action: 'read', resource: {type, id: userID}})
      perms.push({action: 'write', resource: {type, id: userID}})
    } else {
      perms.push({action: 'read', resource: {type, orgID}})
      perms.push({action: 'write', resource: {type, orgID}})
    }
  }
  return perms
}

export function bucketPermission(action, bucketID, orgID) {
  return {action, resource: {type: 'buckets', id: bucketID, orgID}}
}

/** Checks the Authorization object shape shared by POST/GET/PATCH responses. */
export function assertAuthorizationShape(a, {hashedGet = false} = {}) {
  assert.match(a.id, ID_RE)
  assert.equal(typeof a.token, 'string')
  if (hashedGet) assert.equal(a.token, '')
  assert.ok(a.status === 'active' || a.status === 'inactive', `status ${a.status}`)
  assert.equal(typeof a.description, 'string')
  assert.match(a.orgID, ID_RE)
  assert.equal(typeof a.org, 'string')
  assert.match(a.userID, ID_RE)
  assert.equal(typeof a.user, 'string')
  assert.ok(Array.isArray(a.permissions) && a.permissions.length > 0, 'permissions')
  for (const p of a.permissions) {
    assert.ok(p.action === 'read' || p.action === 'write', `action ${p.action}`)
    assert.equal(typeof p.resource?.type, 'string')
  }
  assert.deepEqual(a.links, {
    self: `/api/v2/authorizations/${a.id}`,
    user: `/api/v2/users/${a.userID}`,
  })
  assert.ok(!Number.isNaN(Date.parse(a.createdAt)), `createdAt ${a.createdAt}`)
  assert.ok(!Number.isNaN(Date.parse(a.updatedAt)), `updatedAt ${a.updatedAt}`)
}

/** Captures response headers/status of a call through RequestOptions.responseStarted. */
export function captureHeaders() {
  const seen = {}
  return {
    seen,
    options: {
      responseStarted(headers, statusCode) {
        seen.headers = headers
        seen.statusCode = statusCode
      },
    },
  }
}
