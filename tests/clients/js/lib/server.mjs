// Starts a fresh influx-authz server for one test file and stops it afterwards.
//
// The binary comes from env INFLUX_AUTHZ_BIN, or <repo>/target/debug/influx-authz.
// Each server gets a free TCP port on 127.0.0.1 and a redb file inside a fresh
// mkdtemp directory; the directory is removed when the server is stopped
// (unless the caller handed in its own directory, e.g. to restart on the same file).
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {setTimeout as sleep} from 'node:timers/promises'

const here = path.dirname(fileURLToPath(import.meta.url))
export const REPO_ROOT = path.resolve(here, '..', '..', '..', '..')
export const SERVER_BIN =
  process.env.INFLUX_AUTHZ_BIN ||
  path.join(REPO_ROOT, 'target', 'debug', 'influx-authz')

const STARTUP_TIMEOUT_MS = 30_000
const live = new Set()
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
})

/** Asks the OS for a free port on 127.0.0.1 (bind to 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** Environment for the child: ours minus every variable the server reads. */
function childEnv(extra) {
  const env = {...process.env}
  for (const key of Object.keys(env)) {
    if (
      key.startsWith('INFLUXD_') ||
      key.startsWith('DOCKER_INFLUXDB_INIT_') ||
      key.startsWith('INFLUX_AUTHZ_')
    ) {
      delete env[key]
    }
  }
  return {...env, ...extra}
}

/**
 * Starts the server and waits until GET /health answers 200.
 * @param {object} [opts]
 * @param {string[]} [opts.args] extra CLI flags, e.g. ['--use-hashed-tokens=false']
 * @param {Record<string,string>} [opts.env] extra environment, e.g. DOCKER_INFLUXDB_INIT_*
 * @param {string} [opts.dir] existing directory holding influx-authz.redb (kept on stop)
 * @returns {Promise<{url: string, port: number, dir: string, dbPath: string,
 *   logs: () => string, kill: () => Promise<void>, stop: () => Promise<void>}>}
 */
export async function startServer(opts = {}) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(
      `influx-authz binary not found at ${SERVER_BIN}; build it with ` +
        '`cargo build --bin influx-authz` or set INFLUX_AUTHZ_BIN'
    )
  }
  const ownDir = !opts.dir
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'influx-authz-js-')))
  const dbPath = path.join(dir, 'influx-authz.redb')
  let lastError
  // A port from freePort() can in theory be taken before the server binds it; retry then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    try {
      return await launch({...opts, port, dir, dbPath, ownDir})
    } catch (e) {
      lastError = e
      if (!/address|in use|bind/i.test(String(e.message))) break
    }
  }
  if (ownDir) await rm(dir, {recursive: true, force: true})
  throw lastError
}

async function launch({args = [], env = {}, port, dir, dbPath, ownDir}) {
  const url = `http://127.0.0.1:${port}`
  const child = spawn(
    SERVER_BIN,
    ['serve', '--http-bind-address', `127.0.0.1:${port}`, '--db-path', dbPath, ...args],
    {env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe']}
  )
  live.add(child)
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk.toString()
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000)
  })
  let exited = null
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = {code, signal}
      live.delete(child)
      resolve(exited)
    })
    child.on('error', (err) => {
      exited = {code: null, signal: null, error: err}
      live.delete(child)
      resolve(exited)
    })
  })

  // kill(): stop the process, keep the directory (for restarts on the same redb file).
  const kill = async () => {
    if (!exited) {
      child.kill('SIGTERM')
      const timer = sleep(5000, 'timeout', {ref: false}) // must not keep the process alive
      if ((await Promise.race([exitPromise, timer])) === 'timeout') {
        child.kill('SIGKILL')
        await exitPromise
      }
    }
  }
  // stop(): kill, then remove the directory if this helper created it.
  const stop = async () => {
    await kill()
    if (ownDir) await rm(dir, {recursive: true, force: true})
  }

  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(
        `influx-authz exited before becoming healthy (${JSON.stringify(exited)}):\n${stderr}`
      )
    }
    try {
      const res = await fetch(`${url}/health`, {signal: AbortSignal.timeout(1000)})
      await res.arrayBuffer()
      if (res.status === 200) {
        return {url, port, dir, dbPath, logs: () => stderr, kill, stop}
      }
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  child.kill('SIGKILL')
  await exitPromise
  throw new Error(`influx-authz did not answer GET /health within ${STARTUP_TIMEOUT_MS} ms:\n${stderr}`)
}
