// Browser tests: Debian's Chromium driven by playwright-core against the real
// release binary on a temp database seeded with the demo. Elements are found
// by accessible name (label, role), never by CSS class.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import AxeBuilder from '@axe-core/playwright'

const ROOT = resolve(import.meta.dirname, '..', '..')
const BIN = process.env.TICKETING_BIN ?? join(ROOT, 'target', 'release', 'ticketing')
const PORT = Number(process.env.E2E_PORT ?? 5173 + Math.floor(Math.random() * 500))
const BASE = `http://127.0.0.1:${PORT}`
const SHOTS = process.env.SCREENSHOT_DIR ?? join(ROOT, 'target', 'screenshots')
const PASSWORD = 'demo-password'
const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }

let dir
let server
let browser

const env = () => ({
  ...process.env,
  TICKETING_DB: join(dir, 'e2e.db'),
  TICKETING_UI_POLL_INTERVAL_SECS: '1',
  TICKETING_AUTH_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000',
  TICKETING_AUTH_RATE_LIMIT_PER_EMAIL_PER_MINUTE: '1000',
  TICKETING_LOG: 'warn',
})

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ticketing-e2e-'))
  mkdirSync(SHOTS, { recursive: true })
  execFileSync(BIN, ['demo'], { env: env(), stdio: 'ignore' })
  server = spawn(BIN, ['serve', '--bind', `127.0.0.1:${PORT}`], { env: env(), stdio: ['ignore', 'ignore', 'inherit'] })
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) break
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  })
})

after(async () => {
  await browser?.close()
  server?.kill('SIGTERM')
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function signIn(kind, email, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  await page.goto(`${BASE}${kind === 'admin' ? '/admin/login' : '/login'}`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((url) => url.pathname.startsWith(kind === 'admin' ? '/admin/tickets' : '/manager/tickets'))
  return page
}

/** A token from the CLI, for what the tests do through the API. */
function token(kind, email) {
  return execFileSync(BIN, ['token', kind, email], { env: env() }).toString().trim()
}

/** Calls the API as if from another client. */
async function api(method, path, tokenValue, body, company) {
  const headers = { Authorization: `Bearer ${tokenValue}`, 'Content-Type': 'application/json' }
  if (company) headers['X-Company-Id'] = String(company)
  const res = await fetch(`${BASE}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined })
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`)
  return res.status === 204 ? null : res.json()
}

/** A platform admin's id, by email. */
async function adminId(email) {
  const team = await api('GET', '/platform-admin/team', token('admin', 'owner@example.com'))
  return team.items.find((m) => m.email === email).id
}

/** A fresh invitation link, for a new manager of Acme. */
let invited = 0
async function invitation() {
  invited += 1
  const body = { email: `invitee${invited}@acme.example`, name: `Invitee ${invited}`, company_ids: [1] }
  return (await api('POST', '/platform-admin/users', token('admin', 'owner@example.com'), body)).invitation
}

/** The unread count in a page's title: "(3) Tickets · Ticketing" is 3. */
async function titleCount(page) {
  const match = /^\((\d+)\) /.exec(await page.title())
  return match ? Number(match[1]) : 0
}

async function seriousViolations(page) {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
}

async function noSidewaysScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
}

const DESCRIPTION = 'The checkout button flickers on Safari when the basket is empty.'

test('a manager signs in, opens a ticket through the form, and sees it listed', async () => {
  const page = await signIn('user', 'manager@acme.example')
  await page.getByRole('button', { name: 'New ticket' }).click()
  await page.getByLabel('Subject').selectOption({ label: 'Website' })
  await page.getByLabel('Topic (optional)').selectOption('forms')
  await page.getByLabel('Description').fill(DESCRIPTION)
  await page.getByRole('button', { name: 'Open ticket' }).click()
  await page.waitForURL(/\/manager\/tickets\/\d+/)
  const list = page.getByRole('list', { name: 'Tickets' })
  await list.getByRole('link', { name: /Website · forms/ }).first().waitFor()
  await page.getByRole('list', { name: 'Conversation' }).getByText(DESCRIPTION).waitFor()
  await page.context().close()
})

test('an agent filters, opens, replies, changes the status and assigns, and the manager sees it arrive by polling', async () => {
  const manager = await signIn('user', 'manager@acme.example')
  await manager.getByRole('list', { name: 'Tickets' }).getByRole('link', { name: /Website · forms/ }).first().click()
  await manager.getByRole('list', { name: 'Conversation' }).getByText(DESCRIPTION).waitFor()
  const managerUrl = manager.url()

  const agent = await signIn('admin', 'support@example.com')
  await agent.getByLabel('Status').selectOption({ label: 'New' })
  await agent.waitForURL(/status=new/)
  await agent.getByLabel('Subject').selectOption({ label: 'Website' })
  await agent.waitForURL(/subject=website/)
  await agent.getByLabel('Search').fill('flickers')
  await agent.getByRole('button', { name: 'Search' }).click()
  await agent.waitForURL(/q=flickers/)
  const rows = agent.getByRole('table').getByRole('link', { name: /Website · forms/ })
  await rows.first().waitFor()
  assert.equal(await rows.count(), 1)
  await rows.first().click()
  await agent.waitForURL(/\/admin\/tickets\/\d+$/)
  await agent.getByRole('list', { name: 'Conversation' }).getByText(DESCRIPTION).waitFor()

  // The requester beside the thread, with a way to the company's other tickets.
  const side = agent.getByRole('complementary')
  await side.getByRole('link', { name: 'manager@acme.example' }).waitFor()
  await side.getByRole('link', { name: 'Tickets from Acme Bakery' }).waitFor()

  // "Send and set status": the reply and the status in one step.
  const thread = agent.getByRole('list', { name: 'Conversation' })
  await agent.getByLabel('Reply to the customer').fill('Thanks! We can reproduce it and are on it.')
  await agent.getByRole('button', { name: 'Send and set status…' }).click()
  await agent.getByRole('group', { name: 'Send and set status' }).getByRole('button', { name: 'Send and mark In progress' }).click()
  await thread.getByText('We can reproduce it and are on it.').waitFor()
  await thread.getByText('Status changed from New to In progress').waitFor()
  assert.equal(await agent.getByLabel('Reply to the customer').inputValue(), '', 'the box is empty after sending')

  // A pending choice in the Manage panel survives polling until applied.
  const assign = agent.getByRole('button', { name: 'Assign', exact: true })
  assert.equal(await assign.isDisabled(), true, 'nothing to assign yet')
  await agent.getByLabel('Assignee').selectOption({ label: 'Sam Support (Support)' })
  await agent.getByText('Not saved yet: press “Assign”.').waitFor()
  await agent.waitForTimeout(2500) // two polls at the test's one-second interval
  assert.equal(await agent.getByLabel('Assignee').inputValue(), String(await adminId('support@example.com')))
  await assign.click()
  await thread.getByText('Assigned to Sam Support').waitFor()
  assert.equal(await assign.isDisabled(), true, 'assigned: nothing changed any more')

  // The manager's page was never reloaded: polling brings the changes.
  assert.equal(manager.url(), managerUrl)
  const managerThread = manager.getByRole('list', { name: 'Conversation' })
  await managerThread.getByText('We can reproduce it and are on it.').waitFor({ timeout: 10_000 })
  await managerThread.getByText('Status changed from New to In progress').waitFor({ timeout: 10_000 })
  const detail = manager.getByRole('region', { name: /Website · forms/ })
  await detail.getByText('In progress', { exact: true }).first().waitFor({ timeout: 10_000 })
  await agent.context().close()
  await manager.context().close()
})

test('an owner edits a support agent’s coverage, and that agent’s list changes', async () => {
  const billing = await signIn('admin', 'billing@example.com')
  const table = billing.getByRole('table')
  await table.waitFor()
  assert.equal(await table.getByRole('link', { name: /^Website/ }).count(), 0, 'billing sees no website tickets yet')

  const owner = await signIn('admin', 'owner@example.com')
  await owner.getByRole('link', { name: 'Team' }).click()
  await owner.waitForURL(/\/admin\/team/)
  const group = owner.getByRole('group', { name: 'Subjects Bea Billing covers' })
  await group.getByLabel('Website').check()
  await owner.getByRole('button', { name: 'Save coverage for Bea Billing' }).click()
  await owner.getByText('Saved.').waitFor()

  await table.getByRole('link', { name: /^Website/ }).first().waitFor({ timeout: 10_000 })
  await billing.context().close()
  await owner.context().close()
})

test('a manager who types an /admin URL gets nothing of the admin data', async () => {
  const page = await signIn('user', 'manager@acme.example')
  const adminAnswers = []
  page.on('response', (r) => {
    if (r.url().includes('/platform-admin/') && r.status() === 200) adminAnswers.push(r.url())
  })
  for (const path of ['/admin/tickets', '/admin/tickets/1', '/admin/team']) {
    await page.goto(`${BASE}${path}`)
    await page.waitForURL((url) => url.pathname === '/admin/login')
    await page.getByRole('heading', { name: 'Support team sign in' }).waitFor()
    assert.equal(await page.getByRole('table').count(), 0)
  }
  // The API refuses the manager's token outright.
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('ticketing.session.user')).token)
  const answer = await page.evaluate(async (t) => (await fetch('/platform-admin/tickets', { headers: { Authorization: `Bearer ${t}` } })).status, token)
  assert.equal(answer, 401)
  assert.deepEqual(adminAnswers, [])
  await page.context().close()
})

test('a wrong password says so without naming the field, and a 401 returns to sign-in and back', async () => {
  const context = await browser.newContext({ viewport: DESKTOP })
  const page = await context.newPage()
  await page.goto(`${BASE}/manager/tickets/2`)
  await page.waitForURL((url) => url.pathname === '/login')
  await page.getByLabel('Email').fill('manager@acme.example')
  await page.getByLabel('Password').fill('not the password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  const alert = page.getByRole('alert')
  await alert.waitFor()
  assert.equal((await alert.textContent()).trim(), 'Wrong email or password.')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((url) => url.pathname === '/manager/tickets/2')

  // The server stops accepting the token (as after a password change): the
  // next request's 401 sends the person to sign in, and then back here.
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('ticketing.session.user'))
    s.token = 'expired.or.revoked'
    localStorage.setItem('ticketing.session.user', JSON.stringify(s))
  })
  await page.reload()
  await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('redirect') === '/manager/tickets/2')
  await page.getByLabel('Email').fill('manager@acme.example')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((url) => url.pathname === '/manager/tickets/2')
  await context.close()
})

test('a manager sees support’s reply arrive as an unread row and in the tab title, and opening it clears both', async () => {
  const manager = token('user', 'manager@acme.example')
  const owner = token('admin', 'owner@example.com')
  const created = await api('POST', '/api/support/tickets', manager, { subject: 'billing', description: 'Where is the receipt for October?' })
  const id = created.ticket.id
  const page = await signIn('user', 'manager@acme.example')
  const list = page.getByRole('list', { name: 'Tickets' })
  const row = list.getByRole('link', { name: /Billing/ }).filter({ hasText: `#${id} ·` })
  await row.getByText('Where is the receipt for October?').waitFor()
  assert.equal(await row.getByText('New reply from support').count(), 0, 'her own ticket is not new for her')
  await page.waitForFunction(() => document.title.endsWith('Tickets · Ticketing'))
  const before = await titleCount(page)

  // Support answers from elsewhere; polling brings it.
  await api('POST', `/platform-admin/tickets/${id}/messages`, owner, { body: 'The receipt is on its way by email.' })
  await row.getByText('New reply from support').waitFor({ timeout: 10_000 })
  await row.getByText('The receipt is on its way by email.').waitFor()
  await page.waitForFunction((n) => document.title.startsWith(`(${n}) `), before + 1, { timeout: 10_000 })

  await row.click()
  await page.getByRole('list', { name: 'Conversation' }).getByText('The receipt is on its way by email.').waitFor()
  await row.getByText('New reply from support').waitFor({ state: 'detached', timeout: 10_000 })
  await page.waitForFunction((n) => (n ? document.title.startsWith(`(${n}) `) : !document.title.startsWith('(')), before, { timeout: 10_000 })
  await page.context().close()
})

test('an agent sees a new ticket arrive in Needs reply with its preview', async () => {
  const page = await signIn('admin', 'support@example.com')
  await page.getByRole('button', { name: /^Needs reply/ }).click()
  await page.waitForURL(/view=needs-reply/)
  const table = page.getByRole('table')
  await table.waitFor()
  const manager = token('user', 'manager@northwind.example')
  await api('POST', '/api/support/tickets', manager, { subject: 'email', sub_subject: 'spam', description: 'Our newsletter lands in spam since Monday.' })
  const row = table.getByRole('row').filter({ hasText: 'Our newsletter lands in spam since Monday.' })
  await row.waitFor({ timeout: 10_000 })
  await row.getByRole('link', { name: 'Email · spam' }).waitFor()
  await row.getByText('Nora West', { exact: true }).waitFor()
  await page.context().close()
})

test('an internal note never reaches the manager: not the thread, the list or the tab title', async () => {
  const manager = token('user', 'manager@acme.example')
  const owner = token('admin', 'owner@example.com')
  const created = await api('POST', '/api/support/tickets', manager, { subject: 'account', sub_subject: 'login', description: 'Tom cannot sign in since this morning.' })
  const id = created.ticket.id
  const page = await signIn('user', 'manager@acme.example')
  await page.goto(`${BASE}/manager/tickets/${id}`)
  const managerThread = page.getByRole('list', { name: 'Conversation' })
  await managerThread.getByText('Tom cannot sign in since this morning.').waitFor()
  await page.goto(`${BASE}/manager/tickets`)
  const row = page.getByRole('list', { name: 'Tickets' }).getByRole('link').filter({ hasText: `#${id} ·` })
  await row.waitFor()
  await page.waitForFunction(() => document.title.endsWith('Tickets · Ticketing'))
  const before = await titleCount(page)

  const agent = await signIn('admin', 'owner@example.com')
  await agent.goto(`${BASE}/admin/tickets/${id}`)
  await agent.getByLabel('Internal note').check()
  await agent.getByLabel('Note for the team (the customer never sees it)').fill('Tom is locked out after five tries; unlock him and say nothing yet.')
  await agent.getByRole('button', { name: 'Add note', exact: true }).click()
  const note = agent.getByRole('list', { name: 'Conversation' }).getByRole('listitem').filter({ hasText: 'unlock him and say nothing yet' })
  await note.getByText('Internal note · not visible to the customer').waitFor()

  // Three polls later nothing has changed for the manager...
  await page.waitForTimeout(3000)
  assert.equal(await titleCount(page), before, 'the title count did not move')
  assert.equal(await row.getByText('New reply from support').count(), 0)
  await row.getByText('Tom cannot sign in since this morning.').waitFor()
  await row.click()
  await managerThread.getByText('Tom cannot sign in since this morning.').waitFor()
  assert.equal(await managerThread.getByText('unlock him').count(), 0, 'the note is not in the thread')

  // ...while a public reply does arrive (so polling was working all along).
  await api('POST', `/platform-admin/tickets/${id}/messages`, owner, { body: 'We unlocked Tom; he can sign in again.' })
  await managerThread.getByText('We unlocked Tom; he can sign in again.').waitFor({ timeout: 10_000 })
  assert.equal(await managerThread.getByText('unlock him').count(), 0)
  await agent.context().close()
  await page.context().close()
})

test('a session that ends while typing keeps the draft across signing in again', async () => {
  const page = await signIn('admin', 'admin@example.com')
  await page.goto(`${BASE}/admin/tickets/2`)
  const box = page.getByLabel('Reply to the customer')
  await box.fill('The credit for both seats is on your next invoice, and')
  // Elsewhere the password is set again: every token of the account stops working.
  execFileSync(BIN, ['admin', 'set-password', '--password-stdin', 'admin@example.com'], { env: env(), input: PASSWORD })
  await page.waitForURL(/\/admin\/login/, { timeout: 10_000 })
  await page.getByText('Your session ended; sign in to continue. Your draft is kept.').waitFor()
  await page.getByLabel('Email').fill('admin@example.com')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/admin\/tickets\/2$/)
  assert.equal(await page.getByLabel('Reply to the customer').inputValue(), 'The credit for both seats is on your next invoice, and')
  await page.context().close()
})

test('j, k, Enter, r and Ctrl+Enter answer a ticket without the mouse; ? lists the keys', async () => {
  const page = await signIn('admin', 'owner@example.com')
  const links = page.getByRole('table').getByRole('link')
  await links.first().waitFor()
  const second = await links.nth(1).getAttribute('href')
  await page.keyboard.press('j')
  await page.keyboard.press('j')
  await page.keyboard.press('j')
  await page.keyboard.press('k')
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), second)
  await page.keyboard.press('?')
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor()
  await page.keyboard.press('Escape')
  await page.getByRole('dialog').waitFor({ state: 'hidden' })
  await page.keyboard.press('Enter')
  await page.waitForURL((url) => url.pathname === second)
  await page.getByRole('list', { name: 'Conversation' }).waitFor()
  await page.keyboard.press('r')
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'reply')
  await page.keyboard.type('Answered from the keyboard. j and k typed here stay text.')
  await page.keyboard.press('Control+Enter')
  await page.getByRole('list', { name: 'Conversation' }).getByText('Answered from the keyboard. j and k typed here stay text.').waitFor()
  // Assign to me: one click.
  const me = page.getByRole('button', { name: 'Assign to me' })
  if (await me.count()) {
    await me.click()
    await page.getByRole('list', { name: 'Conversation' }).getByText('Assigned to Olivia Owner').waitFor()
  }
  await page.context().close()
})

test('an owner creates a company and invites a manager, who sets a password through the link; suspending the company stops their next action', async () => {
  const owner = await signIn('admin', 'owner@example.com')
  await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Companies' }).click()
  await owner.getByLabel('New company').fill('Initech')
  await owner.getByRole('button', { name: 'Create company' }).click()
  await owner.waitForURL(/\/admin\/companies\/\d+/)
  await owner.getByText('Company Initech created.').first().waitFor()
  await owner.getByLabel('Manager name').fill('Peter Gibbons')
  await owner.getByLabel('Manager email').fill('peter@initech.example')
  await owner.getByRole('button', { name: 'Invite manager' }).click()
  await owner.getByText('Peter Gibbons is invited.').first().waitFor()
  const link = await owner.getByLabel('Invitation link for Peter Gibbons').inputValue()
  assert.match(link, /\/invite\/[A-Za-z0-9_-]{43}$/)

  const context = await browser.newContext({ viewport: DESKTOP })
  const manager = await context.newPage()
  await manager.goto(link.replace(/^https?:\/\/[^/]+/, BASE))
  await manager.getByText('Welcome, Peter Gibbons.').waitFor()
  await manager.getByLabel('New password').fill('password1234')
  await manager.getByLabel('The same password again').fill('password1234')
  await manager.getByRole('button', { name: 'Set password and sign in' }).click()
  await manager.getByRole('alert').getByText(/common/).waitFor()
  await manager.getByLabel('New password').fill('staple battery horse correct')
  await manager.getByLabel('The same password again').fill('staple battery horse correct')
  await manager.getByRole('button', { name: 'Set password and sign in' }).click()
  await manager.waitForURL(/\/manager\/tickets/)
  await manager.getByText('No tickets yet.').waitFor()
  await manager.getByRole('button', { name: 'New ticket' }).click()
  await manager.getByLabel('Subject').selectOption({ label: 'Billing' })
  await manager.getByLabel('Description').fill('Where do I find our invoices?')
  await manager.getByRole('button', { name: 'Open ticket' }).click()
  await manager.getByRole('list', { name: 'Tickets' }).getByRole('link', { name: /Billing/ }).first().click()
  await manager.getByRole('list', { name: 'Conversation' }).getByText('Where do I find our invoices?').waitFor()
  // The link worked once.
  const again = await fetch(`${BASE}/api/auth/invitations/${link.split('/').pop()}`)
  assert.equal(again.status, 404)

  owner.once('dialog', (dialog) => dialog.accept())
  await owner.getByRole('button', { name: 'Suspend company' }).click()
  await owner.getByText('Initech is suspended.').first().waitFor()
  await manager.getByLabel('Your reply').fill('Any news?')
  await manager.getByRole('button', { name: 'Send reply' }).click()
  await manager.getByRole('alert').getByText(/suspended/).first().waitFor()
  await owner.getByRole('button', { name: 'Reactivate company' }).click()
  await owner.getByText('Initech is active again').first().waitFor()
  await context.close()
  await owner.context().close()
})

test('a manager changes their password, which ends their other sessions, and signs out', async () => {
  const elsewhere = token('user', 'manager@northwind.example')
  const page = await signIn('user', 'manager@northwind.example')
  await page.getByRole('link', { name: 'Account', exact: true }).click()
  await page.getByLabel('Current password').fill(PASSWORD)
  await page.getByLabel('New password', { exact: true }).fill('harbour lantern quietly')
  await page.getByLabel('The new password again').fill('harbour lantern quietly')
  await page.getByRole('button', { name: 'Change password' }).click()
  await page.getByText('Your password is changed.').first().waitFor()
  const me = (t) => fetch(`${BASE}/api/me`, { headers: { Authorization: `Bearer ${t}` } }).then((r) => r.status)
  assert.equal(await me(elsewhere), 401, 'the other session is over')
  const current = await page.evaluate(() => JSON.parse(localStorage.getItem('ticketing.session.user')).token)
  assert.equal(await me(current), 200, 'this one goes on')
  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await page.getByText('You are signed out.').first().waitFor()
  assert.equal(await me(current), 401, 'signing out revoked the token on the server')
  await page.getByLabel('Email').fill('manager@northwind.example')
  await page.getByLabel('Password').fill('harbour lantern quietly')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/manager\/tickets/)
  await page.context().close()
})

const PAGES = [
  { name: 'login', kind: null, path: '/login' },
  { name: 'admin-login', kind: null, path: '/admin/login' },
  { name: 'manager-tickets', kind: 'user', email: 'manager@acme.example', path: '/manager/tickets' },
  { name: 'manager-ticket', kind: 'user', email: 'manager@acme.example', path: '/manager/tickets/2' },
  { name: 'admin-tickets', kind: 'admin', email: 'owner@example.com', path: '/admin/tickets' },
  { name: 'admin-needs-reply', kind: 'admin', email: 'support@example.com', path: '/admin/tickets?view=needs-reply&order=oldest' },
  { name: 'admin-ticket', kind: 'admin', email: 'owner@example.com', path: '/admin/tickets/2' },
  {
    name: 'admin-ticket-note',
    kind: 'admin',
    email: 'support@example.com',
    path: '/admin/tickets/4',
    then: async (page) => {
      await page.getByLabel('Internal note').check()
      await page.getByRole('button', { name: 'Add note and set status…' }).click()
    },
  },
  {
    name: 'admin-shortcuts',
    kind: 'admin',
    email: 'owner@example.com',
    path: '/admin/tickets',
    then: async (page) => {
      await page.getByRole('table').waitFor()
      await page.keyboard.press('?')
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor()
    },
  },
  { name: 'admin-team', kind: 'admin', email: 'owner@example.com', path: '/admin/team' },
  { name: 'admin-companies', kind: 'admin', email: 'owner@example.com', path: '/admin/companies' },
  { name: 'admin-company', kind: 'admin', email: 'owner@example.com', path: '/admin/companies/1' },
  { name: 'manager-account', kind: 'user', email: 'manager@acme.example', path: '/manager/account' },
  { name: 'invite', kind: null, path: async () => new URL((await invitation()).url).pathname },
  { name: 'session-ended', kind: null, path: '/admin/login?ended=1' },
]

test('every page passes axe, fits a 390 px phone, and is photographed', async () => {
  const problems = []
  for (const { name, kind, email, path, then } of PAGES) {
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      let page
      if (kind) {
        page = await signIn(kind, email, viewport)
      } else {
        page = await (await browser.newContext({ viewport })).newPage()
      }
      await page.goto(`${BASE}${typeof path === 'function' ? await path() : path}`)
      await page.getByRole('heading', { level: 1 }).waitFor()
      await page.waitForLoadState('networkidle')
      if (then) await then(page)
      problems.push(...(await seriousViolations(page)).map((v) => `${name} (${label}): ${v}`))
      if (label === 'phone' && !(await noSidewaysScroll(page))) problems.push(`${name}: scrolls sideways at 390 px`)
      await page.screenshot({ path: join(SHOTS, `${name}-${label}.png`), fullPage: true })
      await page.context().close()
    }
  }
  assert.deepEqual(problems, [])
})
