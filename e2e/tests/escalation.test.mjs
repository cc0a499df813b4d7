// Escalation and SLA settings in the browser: a TAM escalates a ticket to engineering (a missing
// part of the brief is refused by name, a complete brief scores 5/5); the engineering owner finds
// it under the bell, acknowledges it (time-to-engage); leadership reviews the brief. An admin
// tightens a target of the standard SLA policy and sees the ticket's clock follow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let ticket;

before(async () => {
  context = await browser();
  page = await context.newPage();
  const users = (await api('/api/v1/users')).body.items;
  const tam = users.find((u) => u.email === 'maya.chen@tamhub.example');
  const engineer = users.find((u) => u.email === 'sam.carter@tamhub.example');
  const account = await api('/api/v1/accounts', {
    method: 'POST',
    body: JSON.stringify({
      name: 'Umbrella Logistics', tier: 'business', arr: 9000000, currency: 'EUR', region: 'EMEA',
      timezone: 'Europe/Berlin', phase: 'post_launch', primary_tam_id: tam.id, support_ids: [engineer.id],
    }),
  });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const created = await api('/api/v1/tickets', {
    method: 'POST',
    body: JSON.stringify({
      account_id: account.body.id, title: 'Shipment events arrive out of order', priority: 'medium',
      ticket_type: 'problem', assignee_id: tam.id, description: 'Since Tuesday, tracking events are reordered.',
    }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  ticket = created.body;
});

after(async () => {
  await context?.close();
});

async function signOut() {
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
}

const id = (name) => `[id="${name}"]`;

test('a TAM escalates with a brief: a missing part is named, a complete one scores 5/5', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/tickets/${ticket.id}/escalate`);
  await page.fill(id('engineering_team'), 'Event streaming platform');
  await page.selectOption(id('engineering_owner_id'), { label: 'Sam Carter (Support engineer)' });
  await page.fill(id('brief.summary'), 'Tracking events for one shipment arrive out of order since the Tuesday broker upgrade');
  await page.selectOption(id('brief.severity'), 'P2');
  await page.fill(id('brief.environment'), 'eu-central-1, event-router v5.2, Kafka 3.7 cluster b');
  await page.fill(id('brief.customer_impact'),
    'Umbrella shows customers wrong delivery states for about one parcel in fifty, which triggers support calls and refunds');
  await page.fill(id('brief.reproduction_steps'), '1. Publish ten events for one shipment\n2. Read them back from the tracking API\n3. Two come back reordered');
  await page.fill(id('brief.evidence.logs'), 'WARN partition rebalance during produce, key=shp-4411');
  await page.fill(id('brief.evidence.request_ids'), 'req-1c9e\nreq-77ab');
  await page.fill(id('brief.evidence.timestamps'), '2026-11-24T08:15:00Z');
  await page.fill(id('brief.timeline'), 'Tue 07:00 broker upgrade\nTue 08:15 first reordered events\nWed 10:00 customer report');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Escalate")')]);
  const missing = page.locator('.field.invalid', { has: page.locator(id('brief.comms_plan')) });
  assert.match(await missing.textContent(), /required/);
  assert.equal(await page.inputValue(id('brief.summary')), 'Tracking events for one shipment arrive out of order since the Tuesday broker upgrade');
  await shot(page, '24-escalation-errors');
  await page.fill(id('brief.comms_plan'), 'Maya updates Umbrella operations by email every afternoon until the fix ships');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Escalate")')]);
  const section = page.locator('#escalation');
  assert.match(await section.textContent(), /Brief quality 5\/5/);
  assert.match(await section.textContent(), /Waiting/);
  await signOut();
});

test('the engineering owner finds it under the bell and acknowledges it', async () => {
  await login(page, 'sam.carter@tamhub.example');
  assert.ok(await page.locator('a.bell.has-unread').count(), 'the bell shows unread notifications');
  await page.goto(`${BASE}/notifications`);
  const item = page.locator('main', { hasText: 'escalated to Event streaming platform' });
  assert.equal(await item.count(), 1);
  await page.goto(`${BASE}/tickets/${ticket.id}`);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Acknowledge")')]);
  const section = page.locator('#escalation');
  assert.match(await section.textContent(), /Engaged/);
  await shot(page, '25-escalation-acknowledged');
  await Promise.all([page.waitForNavigation(), page.goto(`${BASE}/notifications`)]);
  const markAll = page.locator('button:has-text("Mark all read")');
  if (await markAll.count()) {
    await Promise.all([page.waitForNavigation(), markAll.click()]);
  }
  assert.equal(await page.locator('a.bell.has-unread').count(), 0, 'nothing unread after marking all read');
  await signOut();
});

test('leadership reviews the brief', async () => {
  await login(page, 'morgan.lee@tamhub.example');
  await page.goto(`${BASE}/tickets/${ticket.id}`);
  await page.check('.review-form input[name=score][value="4"]');
  await page.fill(id('note'), 'Clear and complete; add the error rate next time.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save review")')]);
  assert.match(await page.locator('#escalation').textContent(), /4\/5 by Morgan Lee/);
  await signOut();
});

test('an admin tightens a target of the standard policy and the ticket clock follows', async () => {
  const before = await api(`/api/v1/tickets/${ticket.id}/sla`);
  const resolution = before.body.cycles.find((c) => c.metric === 'resolution');
  assert.equal(resolution.target_seconds, 5 * 8 * 3600);
  await login(page, 'admin@tamhub.example');
  await page.goto(`${BASE}/admin/sla-policies`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Standard support")')]);
  await page.fill('[name="t.resolution.medium.value"]', '16');
  await page.selectOption('[name="t.resolution.medium.unit"]', 'h');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save policy")')]);
  assert.match(await page.textContent('.alert.ok'), /saved/i);
  await shot(page, '26-policy-saved');
  const after = await api(`/api/v1/tickets/${ticket.id}/sla`);
  const retargeted = after.body.cycles.find((c) => c.metric === 'resolution');
  assert.equal(retargeted.target_seconds, 16 * 3600, 'open clocks follow the new target (R-T3)');
  assert.equal(retargeted.started_at, resolution.started_at, 'from their original start');
  await signOut();
});
