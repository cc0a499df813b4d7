// Feature requests and expansion in the browser, on the demo data: Maya (a TAM) records a feature
// request for one of her accounts (without an account it is refused by name), sets it planned,
// and adds an expansion opportunity on the account; leadership reads the ranked list.
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

test('a TAM records a feature request and an expansion opportunity', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await Promise.all([page.waitForNavigation(), page.click('nav a:has-text("Feedback")')]);
  await page.fill('#title', 'Private link to the managed queue');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record request")')]);
  assert.match(await page.textContent('.alert.error'), /must name at least one account/);
  await page.selectOption('#account_id', account.id);
  await page.fill('#business_impact', 'Keeps traffic off the internet for the auditors');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record request")')]);
  assert.match(await page.textContent('main'), new RegExp(account.name));
  await page.selectOption('#status', 'planned');
  await page.fill('#status_note', 'Next quarter');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save status")')]);
  assert.match(await page.textContent('.page-head'), /Planned/);
  await page.goto(`${BASE}/accounts/${account.id}/expansion`);
  await page.fill('#title', 'Second region for disaster recovery');
  await page.fill('#value', '90000');
  await page.selectOption('#stage', 'qualified');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add opportunity")')]);
  assert.match(await page.textContent('main'), /Second region for disaster recovery/);
  assert.match(await page.textContent('main'), /Private link to the managed queue/);
  await shot(page, '90-expansion');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
});

test('leadership reads feature requests ranked by ARR', async () => {
  await login(page, 'morgan.lee@tamhub.example');
  await Promise.all([page.waitForNavigation(), page.click('nav a:has-text("Feedback")')]);
  const first = await page.locator('table.data tbody tr').first().textContent();
  assert.match(first, /Cross-region read replicas/);
  await shot(page, '91-feature-requests');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
});
