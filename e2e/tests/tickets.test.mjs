// Tickets in the browser: a TAM opens a ticket through the form, finds it in their queue with its
// SLA badge, filters the queue (htmx), replies and adds an internal note; the customer contact of
// the account sees the reply but not the note. An admin imports holidays from an .ics file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;
let ticketUrl;

before(async () => {
  context = await browser();
  page = await context.newPage();
  const users = (await api('/api/v1/users')).body.items;
  const tam = users.find((u) => u.email === 'maya.chen@tamhub.example');
  const created = await api('/api/v1/accounts', {
    method: 'POST',
    body: JSON.stringify({
      name: 'Initech Payments', tier: 'enterprise', arr: 42000000, currency: 'USD', region: 'AMER',
      timezone: 'America/Chicago', phase: 'post_launch', primary_tam_id: tam.id,
    }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  account = created.body;
  const contact = await api('/api/v1/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'ops@initech.example', name: 'Initech Ops', role: 'customer', account_id: account.id,
      password: 'tamhub-demo-password' }),
  });
  assert.equal(contact.status, 201, JSON.stringify(contact.body));
});

after(async () => {
  await context?.close();
});

async function signOut() {
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
}

test('a TAM opens a ticket through the form and finds it in their queue with its SLA badge', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/tickets/new?account_id=${account.id}`);
  await page.fill('#title', 'Card authorisations time out for 3% of requests');
  await page.fill('#description', 'Since 09:00 CST, p99 latency of /authorise is above 8 s.');
  await page.selectOption('#priority', 'high');
  await page.selectOption('#ticket_type', 'incident');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create ticket")')]);
  assert.match(await page.textContent('.alert.ok'), /Ticket created/);
  ticketUrl = page.url().split('?')[0];
  assert.match(await page.textContent('#sla-cycles'), /First response/);
  await page.goto(`${BASE}/tickets`);
  const row = page.locator('#tickets-table tbody tr', { hasText: 'Card authorisations time out' });
  assert.equal(await row.count(), 1);
  assert.match(await row.locator('.sla').textContent(), /First response · .* left/);
  assert.match(await row.locator('.sla-cell').textContent(), /business · .* calendar/);
  await shot(page, '20-ticket-queue');
});

test('the queue filters as one types, without a page load', async () => {
  await page.type('input[name=q]', 'authorisations', { delay: 20 });
  await page.waitForURL(/q=authorisations/);
  await page.waitForFunction(() => document.querySelectorAll('#tickets-table tbody tr').length === 1);
  await page.selectOption('select[name=priority]', 'low');
  await page.waitForURL(/priority=low/);
  await page.waitForSelector('#tickets .empty');
});

test('the TAM replies and adds an internal note', async () => {
  await page.goto(ticketUrl);
  await page.fill('textarea[name=body]', 'We are rolling back the 08:45 deploy of the authoriser.');
  await Promise.all([page.waitForNavigation(), page.click('#reply button:has-text("Send")')]);
  assert.match(await page.textContent('.alert.ok'), /Reply added/);
  await page.check('input[name=visibility][value=private]');
  await page.fill('textarea[name=body]', 'Root cause is our connection pool change; not confirmed yet.');
  await Promise.all([page.waitForNavigation(), page.click('#reply button:has-text("Send")')]);
  assert.match(await page.textContent('.alert.ok'), /Internal note added/);
  assert.equal(await page.locator('li.event.private').count(), 1);
  await shot(page, '21-ticket-page');
  await signOut();
});

test('the customer contact sees the reply but not the internal note', async () => {
  await login(page, 'ops@initech.example');
  await page.goto(ticketUrl);
  const timeline = await page.textContent('#timeline');
  assert.match(timeline, /rolling back the 08:45 deploy/);
  assert.doesNotMatch(timeline, /connection pool/);
  assert.equal(await page.locator('#update').count(), 0);
  await shot(page, '22-ticket-customer');
  await signOut();
});

test('an admin imports holidays from an .ics file into a calendar', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ics-'));
  const file = join(dir, 'holidays.ics');
  writeFileSync(file, ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//e2e//EN', 'BEGIN:VEVENT', 'UID:1',
    'DTSTART;VALUE=DATE:20271124', 'SUMMARY:Thanksgiving', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'));
  await login(page, 'admin@tamhub.example');
  await page.goto(`${BASE}/admin/calendars`);
  await Promise.all([page.waitForNavigation(), page.click('#calendars-table tbody tr:first-child td:first-child a')]);
  await page.setInputFiles('#ics-import input[type=file]', file);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Import .ics")')]);
  assert.match(await page.textContent('.alert.ok'), /2027-11-24 · Thanksgiving/);
  assert.match(await page.inputValue('#holidays'), /2027-11-24/);
  await shot(page, '23-calendar-import');
  await signOut();
});
