// The Gate 3 handoff: the PSM completes and signs the checklist, the primary TAM signs and moves
// the account to Post-Launch. A customer contact sees only their own account.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;

before(async () => {
  context = await browser();
  page = await context.newPage();
  const users = (await api('/api/v1/users')).body.items;
  const psm = users.find((u) => u.email === 'grace.kim@tamhub.example');
  const tam = users.find((u) => u.email === 'maya.chen@tamhub.example');
  const backup = users.find((u) => u.email === 'jonas.weber@tamhub.example');
  const created = await api('/api/v1/accounts', {
    method: 'POST',
    body: JSON.stringify({
      name: 'Umbrella Analytics', tier: 'enterprise', arr: 95000000, currency: 'EUR', region: 'EMEA',
      timezone: 'Europe/Amsterdam', phase: 'gate_3', workloads: ['analytics-api', 'etl'],
      psm_id: psm.id, primary_tam_id: tam.id, backup_tam_id: backup.id,
    }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  account = created.body;
});

after(async () => {
  await context?.close();
});

async function signOut() {
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
}

test('the PSM completes the checklist and signs it off', async () => {
  await login(page, 'grace.kim@tamhub.example');
  await page.goto(`${BASE}/accounts/${account.id}/handoff`);
  await page.check('input[name=meeting_held]');
  await page.check('input[name=documentation_reviewed]');
  await page.check('input[name=shadow_period_done]');
  await page.fill('#notes', 'Runbooks, dashboards and the on-call rota handed over; two open risks reviewed.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save checklist")')]);
  assert.match(await page.textContent('.alert.ok'), /Handoff checklist saved/);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign off as")')]);
  assert.match(await page.textContent('.alert.ok'), /Handoff signed off/);
  await shot(page, '08-handoff-psm-signed');
  await signOut();
});

test('moving to Post-Launch is refused until the primary TAM has signed too', async () => {
  const early = await api(`/api/v1/accounts/${account.id}`, { method: 'PATCH', body: JSON.stringify({ phase: 'post_launch' }) });
  assert.equal(early.status, 422);
  assert.match(early.body.error.fields.phase, /handoff/);
});

test('the primary TAM signs and moves the account to Post-Launch', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/accounts/${account.id}/handoff`);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign off as")')]);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Move to Post-Launch")')]);
  await page.goto(`${BASE}/accounts/${account.id}`);
  assert.match(await page.textContent('.page-head'), /Post-Launch/);
  assert.match(await page.textContent('body'), /Gate 3 · Ready to Deliver → Post-Launch/);
  await shot(page, '09-account-after-handoff');
  await signOut();
});

test('a customer contact lands on their own account and cannot list others', async () => {
  await login(page, 'contact1@tamhub.example');
  assert.match(page.url(), /\/accounts\//);
  const own = page.url().split('/accounts/')[1];
  assert.doesNotMatch(await page.textContent('nav'), /Team load|Users/);
  await shot(page, '10-customer-account');
  const response = await page.goto(`${BASE}/accounts/${account.id}`);
  assert.equal(response.status(), 404);
  assert.notEqual(own, account.id);
});
