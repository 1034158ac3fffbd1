// The page's error states: a bad sign-in, a session that ends under the page, and a server that is gone.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {SETUP, launchBrowser, screenshot, signIn, startServer} from '../lib/harness.mjs'

describe('API Tokens page: error states', () => {
  let server
  let browser
  let page

  before(async () => {
    server = await startServer()
    browser = await launchBrowser()
    page = browser.page
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    assert.deepEqual(browser?.problems ?? [], [], 'the page logged no errors')
  })

  test('a wrong password shows a clear message and keeps the form', async (t) => {
    await page.goto(server.url)
    await page.getByLabel('Username').fill(SETUP.username)
    await page.getByLabel('Password').fill('not-the-password')
    await page.getByRole('button', {name: 'Sign in'}).click()
    const alert = page.locator('#signin-error')
    await alert.waitFor()
    assert.match(await alert.textContent(), /Wrong username or password/)
    assert.equal(await page.locator('#tokens-view').isVisible(), false)
    t.diagnostic(`screenshot: ${await screenshot(page, 'signin-error.png')}`)
    // Focus is back on the password, ready for another try.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'signin-password')
  })

  test('an unknown user gets the same message; empty fields are caught before sending', async () => {
    await page.getByLabel('Username').fill('nobody')
    await page.getByLabel('Password').fill('whatever123')
    await page.getByRole('button', {name: 'Sign in'}).click()
    await page.locator('#signin-error').filter({hasText: 'Wrong username or password'}).waitFor()

    await page.getByLabel('Password').fill('')
    await page.getByRole('button', {name: 'Sign in'}).click()
    await page.locator('#signin-error').filter({hasText: 'Enter your username and password.'}).waitFor()
  })

  test('a session ended on the server sends the page back to sign-in with a message', async (t) => {
    await signIn(page, server.url)
    const cookies = await browser.context.cookies(`${server.url}/api/v2/me`)
    const session = cookies.find((c) => c.name === 'influxdb-oss-session')
    assert.ok(session, 'the session cookie is set')
    assert.equal(session.httpOnly, true)
    assert.equal(session.sameSite, 'Strict')
    assert.equal(session.path, '/api/')
    assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read the cookie')

    // End the session behind the page's back.
    const out = await fetch(`${server.url}/api/v2/signout`, {
      method: 'POST',
      headers: {Cookie: `${session.name}=${session.value}`},
    })
    assert.equal(out.status, 204)
    const me = await fetch(`${server.url}/api/v2/me`, {headers: {Cookie: `${session.name}=${session.value}`}})
    assert.equal(me.status, 401)

    // The next action finds out and says so.
    await page.getByRole('button', {name: 'Refresh'}).click()
    await page.getByRole('heading', {name: 'Sign in'}).waitFor()
    const notice = page.locator('#signin-notice')
    await notice.waitFor()
    assert.match(await notice.textContent(), /session has expired or was signed out/)
    t.diagnostic(`screenshot: ${await screenshot(page, 'session-expired.png')}`)
    assert.equal(await page.locator('#tokens-view').isVisible(), false)

    // Signing in again works.
    await page.getByLabel('Password').fill(SETUP.password)
    await page.getByRole('button', {name: 'Sign in'}).click()
    await page.locator('#token-table').waitFor()
  })

  test('a server that stopped answering shows an error, not a blank page', async (t) => {
    await page.locator('#token-table').waitFor()
    await server.stop()
    await page.getByRole('button', {name: 'Refresh'}).click()
    const alert = page.locator('#tokens-error')
    await alert.waitFor()
    assert.match(await alert.textContent(), /Cannot reach the server/)
    t.diagnostic(`screenshot: ${await screenshot(page, 'server-error.png')}`)
    // Still on the token page; the last list stays visible.
    assert.equal(await page.locator('#tokens-view').isVisible(), true)

    // Actions say so too.
    await page.getByRole('button', {name: 'Deactivate'}).first().click()
    await alert.filter({hasText: 'Cannot reach the server'}).waitFor()
  })
})
