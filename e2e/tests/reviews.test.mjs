// Reviews in the browser, on the demo data: Maya (a TAM) starts a Well-Architected review of a
// workload, answers a question with nothing in place, saves a milestone, puts the practices in
// place, saves another and sees the risk removed in the comparison; she plans an improvement item
// (an action and a finding); the portfolio shows workloads due a review; an admin imports a lens
// (a broken file is refused by field).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;
let lens;

before(async () => {
  context = await browser();
  page = await context.newPage();
  const maya = (await api('/api/v1/users')).body.items.find((u) => u.email === 'maya.chen@tamhub.example');
  const accounts = (await api(`/api/v1/accounts?assignee=${maya.id}&phase=post_launch&limit=100`)).body.items;
  account = accounts.find((a) => a.primary_tam_id === maya.id && a.workloads.length > 0);
  assert.ok(account);
  lens = (await api('/api/v1/lenses/well-architected')).body;
});

after(async () => {
  await context?.close();
});

test('a review answered and milestoned twice shows the risk removed', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/accounts/${account.id}`);
  await Promise.all([page.waitForNavigation(), page.click('.page-head a:has-text("Reviews")')]);
  await page.selectOption('#workload', account.workloads[0]);
  await page.selectOption('#lens_key', 'well-architected');
  await page.fill('#name', 'Browser test review');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Start review")')]);
  assert.match(await page.textContent('h1'), /Browser test review/);

  const pillar = lens.pillars[0];
  const q = pillar.questions[0];
  const form = page.locator(`#pillar-${pillar.key} form`);
  await form.locator(`input[name="state:${q.key}"][value="none"]`).check();
  await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
  assert.match(await page.textContent(`#q-${q.key} legend`), /High risk/);
  await page.fill('#milestones input[name="name"]', 'Kick-off');
  await Promise.all([page.waitForNavigation(), page.click('#milestones button:has-text("Save milestone")')]);

  const again = page.locator(`#pillar-${pillar.key} form`);
  for (const c of q.choices) {
    await again.locator(`input[name="choice:${q.key}"][value="${c.key}"]`).check();
  }
  await Promise.all([page.waitForNavigation(), again.locator('button[type=submit]').click()]);
  assert.match(await page.textContent(`#q-${q.key} legend`), /No risk/);
  await Promise.all([page.waitForNavigation(), page.click('#milestones button:has-text("Save milestone")')]);
  const compare = await page.textContent('#compare');
  assert.match(compare, /Risks removed\s*1/);
  assert.ok(compare.includes(q.key), compare);
  await shot(page, '80-review-compare');
});

test('an improvement item becomes an action and a finding', async () => {
  const pillar = lens.pillars[2];
  const q = pillar.questions[0];
  const form = page.locator(`#pillar-${pillar.key} form`);
  await form.locator(`input[name="state:${q.key}"][value="none"]`).check();
  await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
  const row = page.locator('#improvements tr', { hasText: q.key }).first();
  await Promise.all([page.waitForNavigation(), row.locator('button:has-text("Plan")').click()]);
  const planned = page.locator('#improvements tr', { hasText: q.key }).first();
  assert.equal(await planned.locator('a:has-text("Action")').count(), 1);
  await shot(page, '81-review-improvements');
  const reviewId = page.url().split('/reviews/')[1].split('#')[0];
  const review = (await api(`/api/v1/reviews/${reviewId}`)).body;
  assert.equal(review.improvements.length, 1);
  const action = (await api(`/api/v1/actions/${review.improvements[0].action_id}`)).body;
  assert.equal(action.status, 'open');
  const finding = (await api(`/api/v1/findings/${review.improvements[0].finding_id}`)).body;
  assert.equal(finding.kind, 'review_improvement');
});

test('the portfolio shows workloads due a review', async () => {
  await page.goto(`${BASE}/reviews`);
  const due = await page.textContent('.stat:has-text("Due a review") .value');
  assert.ok(Number(due) > 0, due);
  assert.ok(await page.locator('#coverage .badge:has-text("Review due")').count() > 0);
  await shot(page, '82-reviews-portfolio');
});

test('an admin imports a lens; a broken one is refused by field', async () => {
  const admin = await context.newPage();
  await admin.context().clearCookies();
  await login(admin, 'admin@tamhub.example');
  await admin.goto(`${BASE}/admin/lenses`);
  const file = {
    format: 'tamhub-lens/1', key: 'data-platform', version: 1, kind: 'custom', name: 'Data platform review',
    description: 'Pipelines and warehouses.',
    pillars: [{ key: 'quality', name: 'Data quality', questions: [{ key: 'dq-1', title: 'How do you catch bad data?', choices: [
      { key: 'contracts', title: 'Schema contracts on every feed', risk_if_absent: 'severe', improvement: 'Add schema contracts.' },
      { key: 'alerts', title: 'Freshness alerts', risk_if_absent: 'medium', improvement: 'Alert on stale tables.' }] }] }],
  };
  await admin.fill('#file', JSON.stringify(file));
  await Promise.all([admin.waitForNavigation(), admin.click('button:has-text("Import lens")')]);
  assert.match(await admin.textContent('.alert.error'), /pillars\[0\]\.questions\[0\]\.choices\[0\]\.risk_if_absent/);
  file.pillars[0].questions[0].choices[0].risk_if_absent = 'high';
  await admin.fill('#file', JSON.stringify(file));
  await Promise.all([admin.waitForNavigation(), admin.click('button:has-text("Import lens")')]);
  assert.match(await admin.textContent('.alert.ok'), /Imported data-platform version 1/);
  await shot(admin, '83-review-lenses');
  await admin.close();
});
