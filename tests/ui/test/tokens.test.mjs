// The API Tokens page, end to end: sign in, generate tokens, filter, deactivate, edit, delete with the
// confirmation dialog, and the deleted token is refused by the API on the very next request.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {SETUP, apiWithToken, launchBrowser, screenshot, signIn, startServer} from '../lib/harness.mjs'

describe('API Tokens page', () => {
  let server
  let browser
  let page

  before(async () => {
    server = await startServer()
    browser = await launchBrowser()
    page = browser.page
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {origin: server.url})
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    assert.deepEqual(browser?.problems ?? [], [], 'the page logged no errors')
  })

  const rows = () => page.locator('#token-rows tr')
  const rowFor = (description) => rows().filter({hasText: description})

  /** Generates a token through one of the three create buttons; returns the token shown once. */
  async function generate(button, description, pick = async () => {}) {
    await page.getByRole('button', {name: button}).click()
    const dialog = page.locator('#create-dialog')
    await dialog.waitFor()
    await dialog.getByLabel('Description').fill(description)
    await pick(dialog)
    await dialog.getByRole('button', {name: 'Generate token'}).click()
    const shown = page.locator('#token-dialog')
    await shown.waitFor()
    const token = await page.locator('#token-value').inputValue()
    await shown.getByRole('button', {name: 'Done'}).click()
    await shown.waitFor({state: 'hidden'})
    await rowFor(description).waitFor()
    return token
  }

  test('GET / serves the embedded page with a strict CSP and no caching', async () => {
    for (const [file, type] of [
      ['/', 'text/html; charset=utf-8'],
      ['/assets/app.js', 'text/javascript; charset=utf-8'],
      ['/assets/app.css', 'text/css; charset=utf-8'],
    ]) {
      const res = await fetch(`${server.url}${file}`)
      await res.arrayBuffer()
      assert.equal(res.status, 200, file)
      assert.equal(res.headers.get('content-type'), type, file)
      assert.equal(res.headers.get('cache-control'), 'no-cache', file)
      assert.match(res.headers.get('content-security-policy'), /default-src 'self'/, file)
    }
  })

  test('without a session the sign-in form shows, with no message', async () => {
    await page.goto(server.url)
    await page.getByRole('heading', {name: 'Sign in'}).waitFor()
    assert.equal(await page.locator('#signin-notice').isVisible(), false)
    assert.equal(await page.locator('#signin-error').isVisible(), false)
  })

  test('sign in, create, filter, delete with confirmation; the token is refused right after', async (t) => {
    await signIn(page, server.url)
    assert.equal(await page.locator('#account-name').textContent(), SETUP.username)
    // The setup token is listed, by description, without its token.
    await rowFor(`${SETUP.username}'s Token`).waitFor()
    assert.match(await rowFor(`${SETUP.username}'s Token`).textContent(), /Operator/)

    // Generate an all-access token; it is shown once, with a copy button and a warning.
    await page.getByRole('button', {name: 'All-access token'}).click()
    const create = page.locator('#create-dialog')
    await create.getByLabel('Description').fill('e2e delete me')
    await create.getByRole('button', {name: 'Generate token'}).click()
    const shown = page.locator('#token-dialog')
    await shown.waitFor()
    assert.match(await shown.textContent(), /will not be shown again/)
    t.diagnostic(`screenshot: ${await screenshot(page, 'token-created.png')}`)
    const token = await page.locator('#token-value').inputValue()
    assert.equal(token.length, 88, 'an 88-character token')
    await shown.getByRole('button', {name: 'Copy'}).click()
    await page.locator('#token-copied').filter({hasText: 'Copied'}).waitFor()
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token)
    await shown.getByRole('button', {name: 'Done'}).click()
    await shown.waitFor({state: 'hidden'})

    // It works as a token, and the page no longer holds it anywhere.
    assert.equal((await apiWithToken(server.url, token)).status, 200)
    assert.equal((await page.content()).includes(token), false, 'the token left the page')
    assert.match(await rowFor('e2e delete me').textContent(), /All access in my-org/)

    // The filter finds it (and only it).
    await page.getByLabel('Filter tokens').fill('delete me')
    assert.equal(await rows().count(), 1)
    assert.match(await page.locator('#token-count').textContent(), /1 of 2 tokens/)

    // Escape closes the confirmation without deleting.
    await rowFor('e2e delete me').getByRole('button', {name: 'Delete e2e delete me'}).click()
    const confirm = page.locator('#delete-dialog')
    await confirm.waitFor()
    await page.keyboard.press('Escape')
    await confirm.waitFor({state: 'hidden'})
    assert.equal(await rows().count(), 1)
    assert.equal((await apiWithToken(server.url, token)).status, 200)

    // Delete, confirm: gone from the list, and refused by the API on the next request.
    await rowFor('e2e delete me').getByRole('button', {name: 'Delete e2e delete me'}).click()
    await confirm.waitFor()
    assert.match(await confirm.textContent(), /e2e delete me/)
    t.diagnostic(`screenshot: ${await screenshot(page, 'delete-confirm.png')}`)
    await confirm.getByRole('button', {name: 'Delete token'}).click()
    await confirm.waitFor({state: 'hidden'})
    await page.getByText('No tokens match “delete me”').waitFor()
    const refused = await apiWithToken(server.url, token)
    assert.equal(refused.status, 401)
    assert.equal(refused.body.code, 'unauthorized')
    t.diagnostic('deleted token refused with 401 right after the confirmation')

    await page.getByLabel('Filter tokens').fill('')
    assert.equal(await rows().count(), 1)
  })

  test('bucket and custom tokens, deactivate and edit description', async (t) => {
    const writer = await generate('Read/write buckets token', 'Telegraf writer', async (dialog) => {
      await dialog.getByLabel(`Write ${SETUP.bucket}`).check()
    })
    assert.match(await rowFor('Telegraf writer').textContent(), new RegExp(`Write: bucket ${SETUP.bucket}`))
    // It may write that bucket, and nothing else: it cannot even read its own user.
    assert.equal((await apiWithToken(server.url, writer, '/api/v2/me')).status, 401)

    const reader = await generate('Custom token', 'Dashboard reader', async (dialog) => {
      t.diagnostic(`screenshot: ${await screenshot(page, 'create-custom.png')}`)
      await dialog.getByLabel('Read Dashboards').check()
      await dialog.getByLabel('Read Buckets').check()
      await dialog.getByLabel('Read Tokens').check()
      await dialog.getByLabel('Read Users').check() // reading a token also needs reading its owner
    })
    assert.match(await rowFor('Dashboard reader').textContent(), /Read: tokens, buckets, dashboards and 1 more/)
    assert.equal((await apiWithToken(server.url, reader)).status, 200)

    // Deactivate: the badge changes and the API refuses the token at once; activate again.
    const readerID = await rowFor('Dashboard reader').getAttribute('data-id')
    const own = `/api/v2/authorizations/${readerID}`
    assert.equal((await apiWithToken(server.url, reader, own)).status, 200)
    await rowFor('Dashboard reader').getByRole('button', {name: 'Deactivate Dashboard reader'}).click()
    await rowFor('Dashboard reader').locator('.badge-inactive').waitFor()
    const inactive = await apiWithToken(server.url, reader, own)
    assert.equal(inactive.status, 401)
    assert.equal(inactive.body.message, 'token is inactive')
    await rowFor('Dashboard reader').getByRole('button', {name: 'Activate Dashboard reader'}).click()
    await rowFor('Dashboard reader').locator('.badge-active').waitFor()
    assert.equal((await apiWithToken(server.url, reader, own)).status, 200)

    // Edit the description.
    await rowFor('Dashboard reader').getByRole('button', {name: 'Edit description of Dashboard reader'}).click()
    const edit = page.locator('#edit-dialog')
    await edit.getByLabel('Description').fill('Grafana dashboards (read-only)')
    await edit.getByRole('button', {name: 'Save'}).click()
    await edit.waitFor({state: 'hidden'})
    await rowFor('Grafana dashboards (read-only)').waitFor()

    // One more, deactivated, so the screenshot shows both states.
    await generate('Read/write buckets token', 'Old CI pipeline', async (dialog) => {
      await dialog.getByLabel(`Read ${SETUP.bucket}`).check()
      await dialog.getByLabel(`Write ${SETUP.bucket}`).check()
    })
    await rowFor('Old CI pipeline').getByRole('button', {name: 'Deactivate Old CI pipeline'}).click()
    await rowFor('Old CI pipeline').locator('.badge-inactive').waitFor()

    // The list survives a reload (it comes from the server, through the session cookie).
    await page.reload()
    await rowFor('Old CI pipeline').waitFor()
    assert.equal(await rows().count(), 4)
  })

  test('picking nothing is refused with a message', async () => {
    await page.getByRole('button', {name: 'Custom token'}).click()
    const dialog = page.locator('#create-dialog')
    await dialog.getByRole('button', {name: 'Generate token'}).click()
    await dialog.getByText('Pick at least one permission.').waitFor()
    await page.keyboard.press('Escape')
    await dialog.waitFor({state: 'hidden'})
  })

  test('screenshots of the token list, desktop and 390px wide', async (t) => {
    await page.setViewportSize({width: 1280, height: 800})
    await page.locator('#token-table').waitFor()
    await page.evaluate(() => document.activeElement?.blur())
    const desktop = await screenshot(page, 'tokens.png')
    t.diagnostic(`screenshot: ${desktop}`)
    console.log(`screenshot: ${desktop}`)

    await page.setViewportSize({width: 390, height: 844})
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `no horizontal scrolling at 390px (overflow ${overflow}px)`)
    const phone = await screenshot(page, 'tokens-390.png')
    t.diagnostic(`screenshot: ${phone}`)
    console.log(`screenshot: ${phone}`)

    await page.setViewportSize({width: 360, height: 740})
    const narrow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(narrow <= 0, `no horizontal scrolling at 360px (overflow ${narrow}px)`)
    await page.setViewportSize({width: 1280, height: 800})
  })

  test('sign out returns to the sign-in form and ends the session', async () => {
    await page.getByRole('button', {name: 'Sign out'}).click()
    await page.getByRole('heading', {name: 'Sign in'}).waitFor()
    await page.getByText('You have signed out.').waitFor()
    await page.reload()
    await page.getByRole('heading', {name: 'Sign in'}).waitFor()
  })
})
