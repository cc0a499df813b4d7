// Health scores in the browser, on the demo data: Maya (a TAM) reads the health column of her
// portfolio and an account's breakdown, sets an override (a missing reason is refused first) and
// tries a what-if; leadership reads the at-risk list; an admin saves a new scorecard version and
// re-scores history; a CSV of signals with a bad row is refused whole, then a good one lands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;

const id = (name) => `[id="${name}"]`;

before(async () => {
  context = await browser();
  page = await context.newPage();
});

after(async () => {
  await context?.close();
});

async function signOut() {
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
}

test('the portfolio shows health with sparklines and an account explains its score', async () => {
  await login(page, 'maya.chen@tamhub.example');
  const cells = page.locator('#accounts-table .health-cell');
  assert.ok((await cells.count()) > 5, 'health on most rows');
  assert.ok((await page.locator('#accounts-table svg.spark').count()) > 5, 'sparklines');
  await shot(page, '50-portfolio-health');
  const row = page.locator('#accounts-table tbody tr', { has: page.locator('.badge.health-green, .badge.health-yellow') }).first();
  await Promise.all([page.waitForNavigation(), row.locator('a').first().click()]);
  account = page.url().split('/accounts/')[1].split(/[?#]/)[0];
  const breakdown = await page.textContent('#health-breakdown');
  assert.match(breakdown, /Uptime %/);
  assert.match(breakdown, /Open critical and high tickets/);
  // The points lost add up to 100 minus the score.
  const score = Number(await page.textContent('#health .health-score'));
  const lost = (await page.locator('#health-breakdown td:last-child').allTextContents())
    .map((t) => Number(t.replace('−', '').trim() || 0)).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(100 - score - lost) < 0.6, `score ${score}, lost ${lost}`);
});

test('a TAM overrides the band: a missing reason is named, then the override stands beside the number', async () => {
  await page.click('#health summary');
  await page.selectOption(id('band'), 'red');
  const until = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  await page.fill(id('expires_at'), until);
  await Promise.all([page.waitForNavigation(), page.click('#override-form button:has-text("Save override")')]);
  const reason = page.locator('.field.invalid', { has: page.locator(id('reason')) });
  assert.match(await reason.textContent(), /must not be empty/);
  await page.fill(id('reason'), 'The executive sponsor moved to another company');
  await Promise.all([page.waitForNavigation(), page.click('#override-form button:has-text("Save override")')]);
  assert.match(await page.textContent('#health'), /Override: The executive sponsor moved to another company/);
  assert.match(await page.textContent('#health'), /Red/);
  await shot(page, '51-account-health');
});

test('what if: the score with another uptime', async () => {
  await Promise.all([page.waitForNavigation(), page.click('#health a:has-text("What if")')]);
  await page.fill(id('v.uptime'), '99.99');
  await page.fill(id('v.error_rate'), '0.05');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Recompute")')]);
  const before = Number(await page.textContent('.health-head .badge[title="Today"]'));
  const after = Number(await page.textContent('#what-if-score'));
  assert.ok(after >= before, `${after} >= ${before}`);
  await shot(page, '52-health-what-if');
  await signOut();
});

test('leadership sees the accounts at risk', async () => {
  await login(page, 'morgan.lee@tamhub.example');
  await Promise.all([page.waitForNavigation(), page.click('nav a:has-text("At risk")')]);
  const rows = page.locator('#at-risk tbody tr');
  assert.ok((await rows.count()) > 0, 'some accounts are at risk in the demo');
  assert.match(await page.textContent('#at-risk'), /Red|Dropped/);
  await shot(page, '53-at-risk');
  await signOut();
});

test('an admin saves a new scorecard version and re-scores history', async () => {
  await login(page, 'admin@tamhub.example');
  await page.goto(`${BASE}/admin/scorecards`);
  await Promise.all([page.waitForNavigation(), page.click('#scorecards tr:has-text("Business") a:has-text("Edit")')]);
  await page.fill('[name="measures[0].weight"]', '-2');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save as a new version")')]);
  assert.match(await page.textContent('.alert.error'), /Not saved/);
  assert.match(await page.textContent('tr.invalid'), /must be a number of zero or more/);
  await page.fill('[name="measures[0].weight"]', '4');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save as a new version")')]);
  assert.match(await page.textContent('.alert.ok'), /Saved as a new version/);
  await page.fill('#rescore input[name=days]', '7');
  await Promise.all([page.waitForNavigation(), page.click('#rescore button')]);
  assert.match(await page.textContent('.alert.ok'), /Re-scoring started/);
  await shot(page, '54-scorecard');
  const versions = await api('/api/v1/scorecards/business');
  assert.equal(versions.body.items.at(-1).measures[0].weight, 4);
});

test('a CSV of signals with a bad row is refused whole, then a good one lands', async () => {
  const dir = tmpdir();
  const bad = join(dir, 'signals-bad.csv');
  const good = join(dir, 'signals-good.csv');
  const at = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  writeFileSync(bad, `account_id,name,value,at\n${account},uptime_pct,99.9,${at}\n${account},uptime_pct,high,${at}\n`);
  writeFileSync(good, `account_id,name,value,at\n${account},uptime_pct,99.97,${at}\n`);
  await page.goto(`${BASE}/health/signals`);
  await page.setInputFiles(id('file'), bad);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Import")')]);
  assert.match(await page.textContent('#import-errors'), /line 3.value: must be a number/);
  await page.setInputFiles(id('file'), good);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Import")')]);
  assert.match(await page.textContent('.alert.ok'), /1 row read, 1 new point stored/);
  await signOut();
});
