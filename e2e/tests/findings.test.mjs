// Findings in the browser, on the demo data: Maya (a TAM) records a cost finding on her account,
// resolves it with the savings realised (resolving without them is refused by name), and sees the
// realised savings in the totals; leadership reads the portfolio's findings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;

before(async () => {
  context = await browser();
  page = await context.newPage();
  const maya = (await api('/api/v1/users')).body.items.find((u) => u.email === 'maya.chen@tamhub.example');
  const accounts = (await api(`/api/v1/accounts?assignee=${maya.id}&phase=post_launch&limit=100`)).body.items;
  account = accounts.find((a) => a.primary_tam_id === maya.id);
  assert.ok(account);
});

after(async () => {
  await context?.close();
});

test('a cost finding is resolved with its realised savings', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/accounts/${account.id}`);
  await Promise.all([page.waitForNavigation(), page.click('.page-head a:has-text("Findings")')]);
  const before = (await api(`/api/v1/accounts/${account.id}/findings`)).body.totals.realised_monthly_savings;
  await page.fill('#title', 'Switch the batch fleet to spot capacity');
  await page.selectOption('#kind', 'cost_optimisation');
  await page.fill('#estimated_monthly_savings', '2500');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record finding")')]);
  const row = page.locator('table.findings tr', { hasText: 'Switch the batch fleet to spot capacity' });
  await row.locator('select[name="status"]').selectOption('resolved');
  await Promise.all([page.waitForNavigation(), row.locator('button:has-text("Save")').click()]);
  assert.match(await page.textContent('.alert.error'), /realised_monthly_savings: must be given/);
  const again = page.locator('table.findings tr', { hasText: 'Switch the batch fleet to spot capacity' });
  await again.locator('select[name="status"]').selectOption('resolved');
  await again.locator('input[name="realised_monthly_savings"]').fill('2300');
  await Promise.all([page.waitForNavigation(), again.locator('button:has-text("Save")').click()]);
  const after = (await api(`/api/v1/accounts/${account.id}/findings`)).body.totals.realised_monthly_savings;
  assert.equal(after - before, 230_000);
  await shot(page, '95-findings');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
});

test('leadership reads the portfolio\'s findings and savings', async () => {
  await login(page, 'morgan.lee@tamhub.example');
  await Promise.all([page.waitForNavigation(), page.click('nav a:has-text("Findings")')]);
  assert.match(await page.textContent('.stats'), /Savings realised/);
  assert.ok((await page.locator('table.findings tbody tr').count()) > 10);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
});
