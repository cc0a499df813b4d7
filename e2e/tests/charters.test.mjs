// The engagement charter in the browser, on the demo data: Maya (a TAM) opens a chartered
// account's charter (compliance first), holds the next engagement by recording a meeting with an
// action item, skips another with a reason (an empty reason is refused), is refused a recurrence
// that never occurs in the editor, adds a stakeholder (a bad email is named), and makes a calendar
// feed that a client can read. Leadership sees compliance per TAM; a customer reads their charter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let account;

before(async () => {
  context = await browser();
  page = await context.newPage();
  const charters = (await api('/api/v1/charters')).body.items;
  const maya = (await api('/api/v1/users')).body.items.find((u) => u.email === 'maya.chen@tamhub.example');
  for (const c of charters) {
    const a = (await api(`/api/v1/accounts/${c.account_id}`)).body;
    if (a.primary_tam_id === maya.id) {
      account = a;
      break;
    }
  }
  assert.ok(account, 'the demo charters one of Maya\'s accounts');
});

after(async () => {
  await context?.close();
});

async function signOut() {
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
}

test('a TAM reads the charter: compliance first, then the schedule and the people', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/accounts/${account.id}`);
  await Promise.all([page.waitForNavigation(), page.click('.page-head a:has-text("Charter")')]);
  assert.match(await page.textContent('#compliance'), /promised engagements delivered on time/);
  assert.match(await page.textContent('.compliance-number'), /\d+ %|—/);
  assert.match(await page.textContent('#escalation-path'), /responds within/);
  await shot(page, '60-charter');
});

test('holding the next engagement: a meeting with an action item fulfils it', async () => {
  await page.goto(`${BASE}/accounts/${account.id}/charter`);
  const row = page.locator('#schedule tr', { has: page.locator('a:has-text("Hold")') }).first();
  const label = (await row.locator('td').first().textContent()).trim();
  await Promise.all([page.waitForNavigation(), row.locator('a:has-text("Hold")').click()]);
  await page.fill('#notes', 'Reviewed the change calendar and the open tickets.');
  await page.fill('#decisions', 'Move the cut-over to the next window');
  await page.fill('input[name="a0.title"]', 'Send the revised cut-over plan');
  await page.selectOption('select[name="a0.owner_id"]', { index: 1 });
  const due = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  await page.fill('input[name="a0.due"]', due);
  await shot(page, '61-meeting-form');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record meeting")')]);
  assert.match(await page.textContent('.alert.ok'), /It fulfils:/);
  assert.match(await page.textContent('#action-items'), /Send the revised cut-over plan/);
  assert.match(await page.textContent('main'), new RegExp(label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await shot(page, '62-meeting');
});

test('skipping an engagement needs a reason, which compliance then shows', async () => {
  await page.goto(`${BASE}/accounts/${account.id}/charter`);
  const row = page.locator('#schedule tr', { has: page.locator('summary:has-text("Skip")') }).first();
  await row.locator('summary:has-text("Skip")').click();
  await Promise.all([page.waitForNavigation(), row.locator('button:has-text("Skip it")').click()]);
  assert.match(await page.textContent('.alert.error'), /Say why the engagement is skipped/);
  const again = page.locator('#schedule tr', { has: page.locator('summary:has-text("Skip")') }).first();
  await again.locator('summary:has-text("Skip")').click();
  await again.locator('input[name="reason"]').fill('Customer change freeze');
  await Promise.all([page.waitForNavigation(), again.locator('button:has-text("Skip it")').click()]);
  assert.match(await page.textContent('.alert.ok'), /Engagement skipped/);
});

test('the editor refuses a recurrence that never occurs and saves a new version', async () => {
  await page.goto(`${BASE}/accounts/${account.id}/charter/edit`);
  const before = (await api(`/api/v1/charters/${account.id}`)).body.version;
  const blank = page.locator('table.edit-rows').first().locator('tbody tr').last();
  await blank.locator('select').first().selectOption('enablement');
  await blank.locator('input[aria-label="Recurrence"]').fill('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30');
  await blank.locator('input[aria-label="Window days"]').fill('3');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save as version")')]);
  assert.match(await page.textContent('.alert.error'), /rrule: never occurs/);
  assert.equal((await api(`/api/v1/charters/${account.id}`)).body.version, before, 'nothing written');
  await shot(page, '63-charter-editor-error');
  const row = page.locator('table.edit-rows').first().locator('tr.invalid');
  await row.locator('input[aria-label="Recurrence"]').fill('FREQ=MONTHLY;INTERVAL=3');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save as version")')]);
  assert.match(await page.textContent('.alert.ok'), /new version/);
  assert.equal((await api(`/api/v1/charters/${account.id}`)).body.version, before + 1);
});

test('the stakeholder map names a bad email and adds the contact', async () => {
  await page.goto(`${BASE}/accounts/${account.id}/stakeholders`);
  await page.fill('#name', 'Priya Nair');
  await page.fill('#email', 'priya-at-example');
  await page.selectOption('#influence', 'high');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add contact")')]);
  const email = page.locator('.field.invalid', { has: page.locator('#email') });
  assert.match(await email.textContent(), /must be an email address/);
  await page.fill('#email', 'priya.nair@customer.example');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add contact")')]);
  assert.match(await page.textContent('.stakeholder-grid'), /Priya Nair/);
  await shot(page, '64-stakeholders');
});

test('a calendar feed address is shown once and serves iCalendar', async () => {
  await page.goto(`${BASE}/profile`);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create feed address")')]);
  const url = (await page.textContent('#feed-url')).trim();
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/calendar/);
  const text = await res.text();
  assert.match(text, /^BEGIN:VCALENDAR/);
  assert.match(text, /BEGIN:VEVENT/);
  await signOut();
});

test('leadership compares TAMs on charter compliance', async () => {
  await login(page, 'morgan.lee@tamhub.example');
  await Promise.all([page.waitForNavigation(), page.click('nav a:has-text("Compliance")')]);
  assert.match(await page.textContent('main'), /Per TAM/);
  assert.match(await page.textContent('main'), /Maya Chen/);
  assert.ok((await page.locator('table.misses tbody tr').count()) > 0, 'some accounts are behind');
  await shot(page, '65-compliance');
  await signOut();
});

test('a customer reads their own charter, without the team\'s tools', async () => {
  const me = await (async () => {
    await login(page, 'contact1@tamhub.example');
    return page;
  })();
  await me.goto(`${BASE}/`);
  const link = me.locator('a:has-text("Charter")').first();
  await Promise.all([me.waitForNavigation(), link.click()]);
  assert.match(await me.textContent('main'), /Engagement charter/);
  assert.equal(await me.locator('a:has-text("Edit charter")').count(), 0);
  assert.equal(await me.locator('summary:has-text("Skip")').count(), 0);
  await shot(me, '66-customer-charter');
  await signOut();
});
