// Incidents in the browser: a TAM declares a P1 through the form (a missing incident lead is
// refused by name first), posts a public update in its four parts and an internal one, and moves
// the incident to monitoring, then resolved. A customer contact of the impacted account sees the
// public update on the incident's status page, and not the internal one. Then the TAM writes the
// post-incident review on its page (a missing root cause is refused by name first) and submits it
// to a leadership approver, who approves it; the TAM publishes it and closes the incident, and the
// customer reads the customer-facing RCA on the status page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;
let tam;
let morgan;
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
  morgan = users.find((u) => u.email === 'morgan.lee@tamhub.example');
  assert.equal(morgan?.role, 'leadership', 'the demo has a leadership approver');
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

const RCA = 'On this day, a deploy of the shipment tracking API at 14:05 UTC reduced its database connection pool. '
  + 'About a third of tracking lookups failed for 40 minutes. We rolled the deploy back and now check pool '
  + 'settings before every deploy.';

test('the TAM writes the review: a missing root cause is named, then it goes to a leadership approver', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(incidentUrl);
  const card = await page.textContent('#review');
  assert.match(card, /Post-incident review/);
  assert.match(card, /Not started/);
  assert.match(card, /Required\s*Yes/);
  await Promise.all([page.waitForNavigation(), page.click('#review a:has-text("Write the review")')]);
  assert.match(await page.textContent('h1'), /Post-incident review/);

  await page.selectOption(id('owner_id'), tam.id);
  await page.fill(id('meeting_at'), utc(24 * 60));
  await page.check(`input[name=approver_ids][value="${morgan.id}"]`);
  await page.fill(id('summary'), 'Shipment tracking lookups failed for about a third of requests for 40 minutes after a deploy.');
  await page.fill(id('users_affected'), '850');
  await page.fill(id('leadup'), 'The 14:05 deploy of the tracking API changed its database settings.');
  await page.fill(id('fault'), 'The deploy cut the connection pool of tracking-db-2 from 50 to 5 connections.');
  await page.fill(id('detection'), 'Error-rate alerts fired ten minutes later; Wayne Freight reported it at the same time.');
  await page.fill(id('response'), 'Maya led the response; the on-call engineer raised the pool while the rollback ran.');
  await page.fill(id('recovery'), 'The rollback finished at 14:45 UTC and errors stopped.');
  await page.selectOption(id('contributing_factors[0].kind'), 'proximate');
  await page.fill(id('contributing_factors[0].text'), 'The deploy shrank the connection pool');
  await page.selectOption(id('root_cause_category'), 'Configuration change');
  await page.fill(id('five_whys'), 'Why did lookups fail? The pool was exhausted.\nWhy was it exhausted? The deploy set it to 5.');
  await page.fill(id('went_well'), 'Alerts fired quickly\nThe rollback was clean');
  await page.fill(id('went_poorly'), 'The pool change was not reviewed');
  await page.fill(id('lessons_learned'), 'Check database settings in the deploy pipeline');
  await page.fill(id('customer_facing_rca'), RCA);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Submit for review")')]);
  const factors = page.locator('.field.invalid', { has: page.locator(id('contributing_factors[0].text')) });
  assert.match(await factors.textContent(), /name at least one root cause/);
  assert.match(await page.textContent('.alert.error'), /Saved as a draft, not submitted: Contributing factors/);
  assert.equal(await page.inputValue(id('contributing_factors[0].text')), 'The deploy shrank the connection pool');
  assert.equal(await page.inputValue(id('customer_facing_rca')), RCA);
  assert.ok(await page.isChecked(`input[name=approver_ids][value="${morgan.id}"]`), 'the approver stays ticked');
  await shot(page, '32-incident-review-errors');

  await page.selectOption(id('contributing_factors[1].kind'), 'root');
  await page.fill(id('contributing_factors[1].text'), 'Database settings are not checked before a deploy');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Submit for review")')]);
  assert.match(await page.textContent('.alert.ok'), /Review submitted/);
  assert.match(await page.textContent('#review-status'), /In review/);
  assert.match(await page.textContent('#approvals'), /Morgan Lee\s*not yet/);
  await shot(page, '33-incident-review');
  await signOut();
});

test('leadership approves, the TAM publishes and closes the incident, and the customer reads the RCA', async () => {
  await login(page, 'morgan.lee@tamhub.example');
  await page.goto(`${incidentUrl}/review`);
  await Promise.all([page.waitForNavigation(), page.click('#approve button')]);
  assert.match(await page.textContent('.alert.ok'), /Your approval is recorded/);
  assert.match(await page.textContent('#review-status'), /Approved/);
  assert.equal(await page.locator(id('summary')).count(), 0, 'an approved review is read-only');
  await signOut();

  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${incidentUrl}/review`);
  await Promise.all([page.waitForNavigation(), page.click('#publish button')]);
  assert.match(await page.textContent('.alert.ok'), /Review published/);
  await shot(page, '34-incident-review-published');
  await page.goto(incidentUrl);
  assert.match(await page.textContent('#review'), /Published/);
  assert.match(await page.textContent('#review'), /Morgan Lee/);
  await Promise.all([page.waitForNavigation(), page.click('button[name=status][value=closed]')]);
  assert.match(await page.textContent('.page-head'), /Closed/);
  await signOut();

  await login(page, 'ops@waynefreight.example');
  await page.goto(incidentUrl);
  assert.match(await page.textContent('#rca'), /Root cause analysis/);
  assert.match(await page.textContent('#rca'), /now check pool settings before every deploy/);
  assert.doesNotMatch(await page.textContent('main'), /connection pool of tracking-db-2/);
  await shot(page, '35-incident-rca-customer');
  await signOut();
});
