// Incidents in the browser: a TAM declares a P1 through the form (a missing incident lead is
// refused by name first), posts a public update in its four parts and an internal one, and moves
// the incident to monitoring, then resolved. A customer contact of the impacted account sees the
// public update on the incident's status page, and not the internal one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;
let tam;
let incidentUrl;

/** A `datetime-local` value in UTC, `minutes` from now. */
function utc(minutes) {
  return new Date(Date.now() + minutes * 60_000).toISOString().slice(0, 16);
}

before(async () => {
  context = await browser();
  page = await context.newPage();
  const users = (await api('/api/v1/users')).body.items;
  tam = users.find((u) => u.email === 'maya.chen@tamhub.example');
  const created = await api('/api/v1/accounts', {
    method: 'POST',
    body: JSON.stringify({
      name: 'Wayne Freight', tier: 'enterprise', arr: 31000000, currency: 'USD', region: 'AMER',
      timezone: 'America/New_York', phase: 'post_launch', primary_tam_id: tam.id,
    }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  account = created.body;
  const contact = await api('/api/v1/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'ops@waynefreight.example', name: 'Wayne Ops', role: 'customer',
      account_id: account.id, password: 'tamhub-demo-password' }),
  });
  assert.equal(contact.status, 201, JSON.stringify(contact.body));
});

after(async () => {
  await context?.close();
});

async function signOut() {
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
}

const id = (name) => `[id="${name}"]`;

test('a TAM declares a P1: a missing incident lead is named, then the incident is declared', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/incidents`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Declare incident")')]);
  await page.fill(id('title'), 'Shipment tracking API returns 503');
  await page.fill(id('summary'), 'The tracking API answers 503 for about a third of requests since the 14:05 deploy.');
  await page.check('input[name=severity][value=P1]');
  await page.check(`input[name=impacted_account_ids][value="${account.id}"]`);
  await page.fill(id('impacted_services'), 'tracking-api, event-router');
  await page.fill(id('impact_started_at'), utc(-25));
  await page.fill(id('detected_at'), utc(-15));
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Declare incident")')]);
  const lead = page.locator('.field.invalid', { has: page.locator(id('roles.incident_commander')) });
  assert.match(await lead.textContent(), /a P1 incident needs an incident lead/);
  assert.equal(await page.inputValue(id('title')), 'Shipment tracking API returns 503');
  assert.ok(await page.isChecked(`input[name=impacted_account_ids][value="${account.id}"]`), 'the account stays ticked');
  await shot(page, '27-incident-declare-errors');

  await page.selectOption(id('roles.incident_commander'), tam.id);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Declare incident")')]);
  assert.match(await page.textContent('.alert.ok'), /Incident declared/);
  incidentUrl = page.url().split('?')[0];
  assert.match(await page.textContent('.page-head'), /P1/);
  assert.match(await page.textContent('#roles'), /Incident lead/);
  assert.equal(await page.inputValue(id('roles.incident_commander')), tam.id);
  await signOut();
});

test('the TAM posts a public update in four parts and an internal one, then resolves the incident', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(incidentUrl);
  await Promise.all([page.waitForNavigation(), page.click('#acknowledge button')]);
  assert.match(await page.textContent('.alert.ok'), /acknowledged/);

  await page.check('#update input[name=visibility][value=public]');
  await page.fill(id('what_we_know'), 'Tracking lookups fail for about a third of requests since 14:05 UTC.');
  await page.fill(id('what_we_dont_know'), 'Why only some regions are affected.');
  await page.fill(id('what_we_are_doing'), 'We are rolling back the 14:05 deploy of the tracking API.');
  await page.fill(id('next_update_at'), utc(60));
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Post update")')]);
  assert.match(await page.textContent('.alert.ok'), /Update posted/);
  const update = page.locator('#timeline li', { hasText: 'posted a customer update' });
  assert.match(await update.textContent(), /What we know.*a third of requests.*What we don’t know yet.*What we are doing.*rolling back/s);
  assert.match(await update.locator('.badge').first().textContent(), /Public/);

  await page.check('#update input[name=visibility][value=internal]');
  await page.fill(id('what_we_know'), 'Connection pool exhaustion on tracking-db-2.');
  await page.fill(id('what_we_are_doing'), 'Raising the pool size while the rollback runs.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Post update")')]);
  const internal = page.locator('#timeline li', { hasText: 'posted an internal update' });
  assert.match(await internal.locator('.badge').first().textContent(), /Internal/);

  await Promise.all([page.waitForNavigation(), page.click('button[name=status][value=monitoring]')]);
  assert.match(await page.textContent('.page-head'), /Monitoring/);
  await shot(page, '28-incident-monitoring');
  await Promise.all([page.waitForNavigation(), page.click('button[name=status][value=resolved]')]);
  assert.match(await page.textContent('.page-head'), /Resolved/);
  assert.match(await page.textContent('#timeline'), /moved the incident from Monitoring to Resolved/);
  assert.ok(await page.locator('button:has-text("Reopen")').count(), 'a resolved incident may be reopened');

  await page.goto(`${BASE}/incidents?view=all`);
  const row = page.locator('#incidents-table tbody tr', { hasText: 'Shipment tracking API returns 503' });
  assert.equal(await row.count(), 1);
  assert.match(await row.textContent(), /Wayne Freight/);
  assert.match(await row.textContent(), /Maya Chen/);
  await shot(page, '29-incident-list');

  // The update cadence on the page, and the period's metrics, each named by both milestones.
  await page.goto(incidentUrl);
  assert.match(await page.textContent('#cadence'), /1 of 1 updates on time/);
  await page.goto(`${BASE}/incidents/metrics`);
  const metrics = await page.textContent('#incident-metrics');
  assert.match(metrics, /Time to acknowledge \(declared → acknowledged\)/);
  assert.match(metrics, /Time to resolve \(impact started → resolved\)/);
  await shot(page, '31-incident-metrics');
  await signOut();
});

test('the customer contact sees the public update and not the internal one', async () => {
  await login(page, 'ops@waynefreight.example');
  await page.goto(`${BASE}/incidents?view=all`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Shipment tracking API returns 503")')]);
  assert.equal(page.url().split('?')[0], incidentUrl);
  const updates = await page.textContent('#timeline');
  assert.match(updates, /rolling back the 14:05 deploy/);
  assert.match(updates, /Why only some regions are affected/);
  assert.doesNotMatch(updates, /Connection pool exhaustion/);
  assert.match(await page.textContent('.page-head'), /Resolved/);
  assert.equal(await page.locator('#update').count(), 0, 'no update form');
  assert.equal(await page.locator('#roles').count(), 0, 'no roles');
  assert.doesNotMatch(await page.textContent('main'), /Maya Chen/);
  await shot(page, '30-incident-customer');
  await signOut();
});
