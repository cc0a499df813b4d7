// A TAM signs in, sees only their accounts, opens one, and cannot open another TAM's account.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;

before(async () => {
  context = await browser();
  page = await context.newPage();
});

after(async () => {
  await context?.close();
});

test('a TAM sees exactly their own Gate 3 and Post-Launch accounts', async () => {
  const me = await api('/api/v1/users?role=tam');
  const maya = me.body.items.find((u) => u.email === 'maya.chen@tamhub.example');
  assert.ok(maya, 'demo TAM exists');
  const mine = await api(`/api/v1/accounts?assignee=${maya.id}&limit=500`);
  const expected = mine.body.items
    .filter((a) => (a.primary_tam_id === maya.id || a.backup_tam_id === maya.id) && ['gate_3', 'post_launch'].includes(a.phase))
    .map((a) => a.name)
    .sort();
  assert.ok(expected.length > 0, 'the demo TAM has accounts');

  await login(page, 'maya.chen@tamhub.example');
  await page.waitForSelector('#accounts-table');
  const shown = (await page.$$eval('#accounts-table tbody tr td:first-child strong', (els) => els.map((e) => e.textContent.trim()))).sort();
  assert.deepEqual(shown, expected);
  assert.match(await page.textContent('h1'), /My portfolio/);
  await shot(page, '01-tam-portfolio');
});

test('the TAM opens one of their accounts', async () => {
  await page.click('#accounts-table tbody tr:first-child td:first-child a');
  await page.waitForSelector('h2:has-text("Account team")');
  assert.match(await page.textContent('.who'), /Maya Chen/);
  assert.match(await page.textContent('body'), /Primary TAM|Backup TAM/);
  await shot(page, '02-tam-account');
});

test("another TAM's account opened by URL answers the not-found page", async () => {
  const tams = await api('/api/v1/users?role=tam');
  const maya = tams.body.items.find((u) => u.email === 'maya.chen@tamhub.example');
  const all = await api('/api/v1/accounts?limit=500');
  const foreign = all.body.items.find((a) => a.primary_tam_id !== maya.id && a.backup_tam_id !== maya.id && a.phase === 'post_launch');
  assert.ok(foreign, 'an account of another TAM exists');
  const response = await page.goto(`${BASE}/accounts/${foreign.id}`);
  assert.equal(response.status(), 404);
  assert.match(await page.textContent('h1'), /Page not found/);
  assert.doesNotMatch(await page.content(), new RegExp(foreign.name));
  await shot(page, '03-foreign-account-not-found');
});

test('filtering the portfolio narrows the table without a page reload', async () => {
  await page.goto(`${BASE}/`);
  await page.selectOption('select[name=phase]', 'post_launch');
  await page.waitForURL(/phase=post_launch/);
  const phases = await page.$$eval('#accounts-table tbody tr td:nth-child(2)', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(phases.length > 0);
  assert.ok(phases.every((p) => p === 'Post-Launch'), phases.join(','));
});
