// Success plans and the risk register in the browser, on the demo data: Maya (a TAM) opens a
// success plan from her account, updates an objective's progress (a non-number is named), adds
// an action; records a risk with its mitigation (likelihood and impact from 1 to 5) and sees it on
// the account's heat map; leadership reads the portfolio's risks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;
let plan;

before(async () => {
  context = await browser();
  page = await context.newPage();
  const maya = (await api('/api/v1/users')).body.items.find((u) => u.email === 'maya.chen@tamhub.example');
  const accounts = (await api(`/api/v1/accounts?assignee=${maya.id}&phase=post_launch&limit=100`)).body.items;
  for (const a of accounts) {
    const plans = (await api(`/api/v1/accounts/${a.id}/success-plans`)).body.items;
    if (plans.length > 0 && a.primary_tam_id === maya.id) {
      account = a;
      plan = plans[0];
      break;
    }
  }
  assert.ok(plan, 'the demo has a success plan on one of Maya\'s accounts');
});

after(async () => {
  await context?.close();
});

test('a TAM updates a success plan\'s progress and adds an action', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/accounts/${account.id}`);
  await Promise.all([page.waitForNavigation(), page.click('.page-head a:has-text("Success plans")')]);
  await Promise.all([page.waitForNavigation(), page.click(`a:has-text("${plan.title}")`)]);
  const input = `input[name="progress.${plan.objectives[0].key}"]`;
  await page.fill(input, 'lots');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Update progress")')]);
  assert.match(await page.textContent('.alert.error'), /current: must be a number/);
  await page.fill(input, String(plan.objectives[0].target));
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Update progress")')]);
  assert.match(await page.textContent('main'), /Achieved/);
  await page.fill('#actions input[name="title"]', 'Book the migration rehearsal');
  await page.selectOption('#actions select[name="owner_id"]', { index: 1 });
  await page.fill('#actions input[name="due"]', new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10));
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add action")')]);
  assert.match(await page.textContent('#actions'), /Book the migration rehearsal/);
  await shot(page, '70-success-plan');
});

test('a TAM records a risk with its mitigation and sees it on the heat map', async () => {
  await page.goto(`${BASE}/accounts/${account.id}/risks`);
  const cell = page.locator('svg.heatmap g.cell', { has: page.locator('title', { hasText: 'Likelihood 5 × impact 4:' }) });
  const before = Number((await cell.locator('title').textContent()).match(/: (\d+)/)[1]);
  await page.fill('#title', 'Payment provider contract ends before migration');
  await page.selectOption('#category', 'commercial');
  await page.selectOption('#likelihood', '5');
  await page.selectOption('#impact', '4');
  await page.fill('#mitigation', 'Extend the provider contract by six months');
  await page.fill('#due_on', new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10));
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record risk")')]);
  assert.match(await page.textContent('main'), /5 × 4 = 20/);
  const after = Number((await cell.locator('title').textContent()).match(/: (\d+)/)[1]);
  assert.equal(after, before + 1);
  await shot(page, '71-risk-register');
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Payment provider contract ends before migration")')]);
  assert.match(await page.textContent('main'), /Extend the provider contract by six months/);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
});

test('leadership reads every account\'s risks, highest first', async () => {
  await login(page, 'morgan.lee@tamhub.example');
  await Promise.all([page.waitForNavigation(), page.click('nav a:has-text("Risks")')]);
  assert.match(await page.textContent('main'), /Heat map/);
  const first = await page.locator('table.data tbody tr').first().locator('.badge').first().textContent();
  assert.match(first, /= 25/);
  await shot(page, '72-risks-portfolio');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
});
