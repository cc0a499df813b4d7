// Event readiness and service quotas in the browser, on the demo data: Maya (a TAM) registers an
// event ten days ahead (refused, then registered with a reason and warned), ticks its checklist,
// records a quota (an unusual usage is named until confirmed) and sees the event flag it;
// leadership reads the upcoming events across accounts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;

/** A `datetime-local` value `days` from now (the account's zone only shifts it by hours). */
function localIn(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 16);
}

before(async () => {
  context = await browser();
  page = await context.newPage();
  const maya = (await api('/api/v1/users')).body.items.find((u) => u.email === 'maya.chen@tamhub.example');
  const accounts = (await api(`/api/v1/accounts?assignee=${maya.id}&phase=post_launch&limit=100`)).body.items;
  account = accounts.find((a) => a.primary_tam_id === maya.id);
  assert.ok(account, 'Maya has a post-launch account');
});

after(async () => {
  await context?.close();
});

test('an event under 14 days ahead needs a reason; its checklist fills its readiness', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/accounts/${account.id}`);
  await Promise.all([page.waitForNavigation(), page.click('.page-head a:has-text("Events")')]);
  await page.fill('#title', 'Flash sale');
  await page.selectOption('#kind', 'peak_traffic');
  await page.fill('#starts_at', localIn(10));
  await page.fill('#ends_at', localIn(11));
  await page.fill('#load_multiplier', '40');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Register event")')]);
  const starts = page.locator('.field.invalid', { has: page.locator('#starts_at') });
  assert.match(await starts.textContent(), /days ahead/);
  await page.fill('#lead_time_override', 'Sale agreed with the retailer this week');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Register event")')]);
  assert.match(await page.textContent('.alert.info'), /Registered \d+ days ahead/);
  assert.match(await page.textContent('#quota-check'), /above the limit|Within limits/);
  await page.check('input[name="done"][value="architecture_review"]');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save checklist")')]);
  assert.match(await page.textContent('.readiness'), /20 %/);
  await shot(page, '80-event');
});

test('a quota with an unusual usage is named until confirmed, then checked against the event', async () => {
  await page.goto(`${BASE}/accounts/${account.id}/quotas`);
  await page.fill('#service', 'DynamoDB');
  await page.fill('#name', 'Write capacity units');
  await page.fill('#limit', '1000');
  await page.fill('#usage', '12000');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record quota")')]);
  const usage = page.locator('.field.invalid', { has: page.locator('#usage') });
  assert.match(await usage.textContent(), /more than 10× the limit/);
  await page.fill('#usage', '120');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record quota")')]);
  const row = page.locator('table.quotas tr', { hasText: 'Write capacity units' });
  assert.match(await row.textContent(), /Flash sale/, 'the 40× sale would exceed it');
  await shot(page, '81-quotas');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
});

test('leadership reads the upcoming events across accounts', async () => {
  await login(page, 'morgan.lee@tamhub.example');
  await Promise.all([page.waitForNavigation(), page.click('nav a:has-text("Events")')]);
  assert.match(await page.textContent('main'), /Flash sale/);
  assert.match(await page.textContent('main'), /Black Friday peak/);
  await shot(page, '82-events');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
});
