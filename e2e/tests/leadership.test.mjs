// Leadership sees the whole team's load and fixes an account that has no TAM; an admin manages users.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, shot, BASE } from './helpers.mjs';

let context;
let page;

before(async () => {
  context = await browser();
  page = await context.newPage();
});

after(async () => {
  await context?.close();
});

test('leadership sees every TAM against the load band and assigns a missing TAM', async () => {
  await login(page, 'morgan.lee@tamhub.example');
  await page.goto(`${BASE}/team`);
  const rows = await page.$$eval('table.data tbody tr', (els) => els.length);
  assert.ok(rows >= 10, `TAM rows: ${rows}`);
  await shot(page, '04-leadership-team-load');
  const before = await page.$$eval('form[action="/team/assign"]', (els) => els.length);
  assert.ok(before > 0, 'the demo has accounts missing a TAM');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/team/assign"] button')]);
  assert.match(await page.textContent('.alert.ok'), /Assignment saved/);
});

test('an account form with bad input keeps what was typed and names the fields', async () => {
  await page.goto(`${BASE}/accounts/new`);
  await page.fill('#name', 'Globex Robotics');
  await page.fill('#arr', '-5');
  await page.fill('#region', 'EMEA');
  await page.fill('#timezone', 'Mars/Olympus');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save account")')]);
  assert.equal(await page.inputValue('#name'), 'Globex Robotics');
  assert.match(await page.textContent('body'), /must not be negative/);
  assert.match(await page.textContent('body'), /must be an IANA time zone/);
  await shot(page, '05-account-form-errors');
  await page.fill('#arr', '250,000');
  await page.fill('#timezone', 'Europe/Berlin');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save account")')]);
  assert.match(await page.textContent('.alert.ok'), /Account created/);
  assert.match(await page.textContent('h1'), /Globex Robotics/);
});

test('an admin sees users and the audit log', async () => {
  await page.click('button:has-text("Sign out")');
  await login(page, 'admin@tamhub.example');
  await page.goto(`${BASE}/admin/users`);
  assert.match(await page.textContent('body'), /maya\.chen@tamhub\.example/);
  await shot(page, '06-admin-users');
  await page.goto(`${BASE}/admin/audit`);
  assert.match(await page.textContent('body'), /Globex Robotics/);
  await shot(page, '07-admin-audit');
});
