// The API Tokens page, end to end: sign in, generate tokens, filter, deactivate, edit, delete with the
// confirmation dialog, and the deleted token is refused by the API on the very next request. Then the
// extensions: expiry (7 days, a custom date, an expired badge), last use, and the status filter.
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

  /** An authorization as the API returns it, read with the operator token. */
  async function stored(id) {
    const res = await apiWithToken(server.url, SETUP.token, `/api/v2/authorizations/${id}`)
    assert.equal(res.status, 200)
    return res.body
  }

  const cell = (description, label) => rowFor(description).locator(`td[data-label="${label}"]`)

  test('a 7-day token shows its expiry date and "never" used; using it updates "Last used"', async (t) => {
    const before = Date.now()
    const token = await generate('Read/write buckets token', 'Weekly export', async (dialog) => {
      await dialog.getByLabel(`Read ${SETUP.bucket}`).check()
      await dialog.getByLabel('Expiration', {exact: true}).selectOption({label: '7 days'})
      await dialog.locator('#create-expiry-hint').filter({hasText: 'stops working on'}).waitFor()
    })
    const id = await rowFor('Weekly export').getAttribute('data-id')
    const saved = await stored(id)
    const expiresAt = Date.parse(saved.expiresAt)
    const week = 7 * 86_400_000
    assert.ok(expiresAt >= before + week - 1000 && expiresAt <= Date.now() + week + 1000,
      `expiresAt ${saved.expiresAt} is about 7 days from now`)
    assert.equal(saved.lastUsedAt, undefined)

    // The list shows the date (as the page formats it: en-US, UTC in this browser) and "never" for last use.
    const day = new Intl.DateTimeFormat('en-US', {dateStyle: 'medium', timeZone: 'UTC'}).format(new Date(expiresAt))
    assert.equal((await cell('Weekly export', 'Expires').innerText()).trim(), day)
    assert.equal((await cell('Weekly export', 'Last used').innerText()).trim(), 'never')
    await rowFor('Weekly export').locator('.badge-active').waitFor()
    // Tokens without an expiry say so.
    assert.equal((await cell('Telegraf writer', 'Expires').innerText()).trim(), 'never')

    // Use it from Node, as a client would, then refresh: it was just used.
    assert.equal((await apiWithToken(server.url, token, '/api/v2/buckets')).status, 200)
    await page.getByRole('button', {name: 'Refresh'}).click()
    await cell('Weekly export', 'Last used').filter({hasNotText: 'never'}).waitFor()
    assert.equal((await cell('Weekly export', 'Last used').innerText()).trim(), 'just now')
    assert.ok((await stored(id)).lastUsedAt, 'the API has a lastUsedAt too')
    t.diagnostic('last use shown right after the token authenticated a request')
  })

  test('a custom expiry date is sent as the end of that day; past dates are refused', async () => {
    await page.getByRole('button', {name: 'Custom token'}).click()
    const dialog = page.locator('#create-dialog')
    await dialog.getByLabel('Description').fill('Until new year')
    await dialog.getByLabel('Read Buckets').check()
    await dialog.getByLabel('Expiration', {exact: true}).selectOption({label: 'Custom date…'})
    const date = dialog.getByLabel('Expiration date')
    await date.waitFor()
    await date.fill('2001-01-01')
    await dialog.getByRole('button', {name: 'Generate token'}).click()
    await dialog.locator('#create-error').filter({hasText: 'Pick a date in the future.'}).waitFor()

    const year = new Date().getUTCFullYear() + 1
    await date.fill(`${year}-12-31`)
    await dialog.getByRole('button', {name: 'Generate token'}).click()
    const shown = page.locator('#token-dialog')
    await shown.waitFor()
    await shown.getByRole('button', {name: 'Done'}).click()
    await shown.waitFor({state: 'hidden'})
    const id = await rowFor('Until new year').getAttribute('data-id')
    // The browser runs in UTC, so the end of Dec 31 is midnight UTC on Jan 1.
    assert.equal(Date.parse((await stored(id)).expiresAt), Date.UTC(year + 1, 0, 1))
    assert.equal((await cell('Until new year', 'Expires').innerText()).trim(), `Jan 1, ${year + 1}`)
  })

  test('an expired token gets an Expired badge; the status filter picks it out', async (t) => {
    // The page offers days; the API takes any future time: make one that expires in 3 s.
    const org = (await apiWithToken(server.url, SETUP.token, `/api/v2/orgs?org=${SETUP.org}`)).body.orgs[0].id
    const res = await fetch(`${server.url}/api/v2/authorizations`, {
      method: 'POST',
      headers: {Authorization: `Token ${SETUP.token}`, 'Content-Type': 'application/json'},
      body: JSON.stringify({
        orgID: org,
        description: 'Short-lived job',
        expiresAt: new Date(Date.now() + 3000).toISOString(),
        permissions: [{action: 'read', resource: {type: 'buckets', orgID: org}}],
      }),
    })
    assert.equal(res.status, 201)
    const short = await res.json()
    await page.getByRole('button', {name: 'Refresh'}).click()
    await rowFor('Short-lived job').locator('.badge-active').waitFor()

    // Without a refresh, the badge turns when the time comes; the API refuses the token.
    await rowFor('Short-lived job').locator('.badge-expired').waitFor({timeout: 6000})
    assert.equal((await rowFor('Short-lived job').locator('.badge').innerText()).trim(), 'Expired')
    const refused = await apiWithToken(server.url, short.token, '/api/v2/buckets')
    assert.equal(refused.status, 401)
    assert.equal(refused.body.message, 'token has expired')

    const filter = page.getByLabel('Status', {exact: true})
    await filter.selectOption('expired')
    assert.equal(await rows().count(), 1)
    await rowFor('Short-lived job').waitFor()
    assert.match(await page.locator('#token-count').textContent(), /^1 of \d+ tokens$/)
    t.diagnostic(`screenshot: ${await screenshot(page, 'tokens-expired.png')}`)

    await filter.selectOption('active')
    assert.equal(await rowFor('Short-lived job').count(), 0)
    await rowFor('Weekly export').waitFor()
    await filter.selectOption('inactive')
    await rowFor('Old CI pipeline').waitFor()
    for (const badge of await rows().locator('.badge').allInnerTexts()) assert.equal(badge.trim(), 'Inactive')
    // The text filter and the status filter combine.
    await page.getByLabel('Filter tokens').fill('weekly')
    await page.getByText('No inactive tokens match “weekly”').waitFor()
    await page.getByLabel('Filter tokens').fill('')
    await filter.selectOption('')
    await rowFor('Short-lived job').waitFor()
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
