// What every UI test file needs: a fresh influx-authz server and a fresh headless chromium.
//
// The server binary comes from env INFLUX_AUTHZ_BIN, or <repo>/target/debug/influx-authz (build it with
// `cargo build --bin influx-authz`). Each server gets a free port on 127.0.0.1, its own redb file in a new
// temporary directory, and is set up at start from DOCKER_INFLUXDB_INIT_* (the values in SETUP below).
//
// The browser is Debian's chromium (/usr/bin/chromium; `apt-get install -y chromium`), driven by playwright-core,
// with a fresh user-data dir that is removed afterwards.
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, rm} from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {setTimeout as sleep} from 'node:timers/promises'
import {chromium} from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
export const REPO_ROOT = path.resolve(here, '..', '..', '..')
export const SERVER_BIN = process.env.INFLUX_AUTHZ_BIN || path.join(REPO_ROOT, 'target', 'debug', 'influx-authz')
export const CHROMIUM = '/usr/bin/chromium'
/** Screenshots go under target/ so they are never committed. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'target', 'ui-screenshots')

export const SETUP = {
  username: 'admin',
  password: 'password123',
  org: 'my-org',
  bucket: 'my-bucket',
  token: 'ui-test-operator-token',
}

/** Asks the OS for a free port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Our environment without anything the server reads, plus `extra`. */
function serverEnv(extra) {
  const env = {...process.env}
  for (const key of Object.keys(env)) {
    if (/^(INFLUXD_|INFLUX_AUTHZ_|DOCKER_INFLUXDB_INIT_)/.test(key)) delete env[key]
  }
  return {...env, ...extra}
}

/**
 * Starts a set-up server and waits for GET /health.
 * @returns {Promise<{url: string, stop: () => Promise<void>, logs: () => string}>}
 */
export async function startServer() {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`no server binary at ${SERVER_BIN}: run \`cargo build --bin influx-authz\` or set INFLUX_AUTHZ_BIN`)
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'influx-authz-ui-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(
    SERVER_BIN,
    ['serve', '--http-bind-address', `127.0.0.1:${port}`, '--db-path', path.join(dir, 'influx-authz.redb')],
    {
      env: serverEnv({
        DOCKER_INFLUXDB_INIT_MODE: 'setup',
        DOCKER_INFLUXDB_INIT_USERNAME: SETUP.username,
        DOCKER_INFLUXDB_INIT_PASSWORD: SETUP.password,
        DOCKER_INFLUXDB_INIT_ORG: SETUP.org,
        DOCKER_INFLUXDB_INIT_BUCKET: SETUP.bucket,
        DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: SETUP.token,
      }),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-100_000)
  })
  let exited = false
  const exit = new Promise((resolve) => child.on('exit', () => resolve((exited = true))))
  process.on('exit', () => exited || child.kill('SIGKILL'))

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM')
      const late = await Promise.race([exit, sleep(5000, 'late', {ref: false})])
      if (late === 'late') {
        child.kill('SIGKILL')
        await exit
      }
    }
    await rm(dir, {recursive: true, force: true})
  }

  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (exited) throw new Error(`influx-authz exited during start:\n${stderr}`)
    try {
      const res = await fetch(`${url}/health`, {signal: AbortSignal.timeout(1000)})
      await res.arrayBuffer()
      if (res.ok) return {url, stop, logs: () => stderr}
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  await stop()
  throw new Error(`influx-authz did not become healthy within 30 s:\n${stderr}`)
}

/**
 * Launches headless chromium with a fresh profile.
 * @returns {Promise<{context: import('playwright-core').BrowserContext, page: import('playwright-core').Page,
 *   close: () => Promise<void>}>}
 */
export async function launchBrowser({width = 1280, height = 800} = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``)
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), 'influx-authz-ui-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: {width, height},
    locale: 'en-US',
    timezoneId: 'UTC',
  })
  context.setDefaultTimeout(10_000)
  const page = context.pages()[0] ?? (await context.newPage())
  // Anything the page logs as an error, or a script error, fails loudly in the test output.
  const problems = []
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) {
      problems.push(`console error: ${message.text()}`)
    }
  })
  const close = async () => {
    await context.close()
    await rm(profile, {recursive: true, force: true})
  }
  return {context, page, problems, close}
}

/** Signs in through the form and waits for the token list. */
export async function signIn(page, url, {username = SETUP.username, password = SETUP.password} = {}) {
  await page.goto(url)
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', {name: 'Sign in'}).click()
  await page.getByRole('heading', {name: 'API Tokens'}).waitFor()
  await page.locator('#token-table').waitFor()
}

/** Saves a full-page screenshot under target/ui-screenshots/ and returns its path. */
export async function screenshot(page, name) {
  await mkdir(SCREENSHOT_DIR, {recursive: true})
  const file = path.join(SCREENSHOT_DIR, name)
  await page.screenshot({path: file, fullPage: true})
  return file
}

/** Calls the API from Node (not the browser) with a token, as any client would. */
export async function apiWithToken(url, token, apiPath = '/api/v2/authorizations') {
  const res = await fetch(`${url}${apiPath}`, {headers: {Authorization: `Token ${token}`}})
  const body = await res.text()
  return {status: res.status, body: body ? JSON.parse(body) : null}
}
