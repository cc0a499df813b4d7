// Corrective actions and problems in the browser, on the demo data: Maya (a TAM) finds the
// repeating checkout root cause on the problems page, adds a corrective action to the P0's review
// (a normal action without owner or due date is refused by name first), works it from its page
// (won't-do without a reason is refused), and sees it counted on the action list and on her
// account's page. An admin adds a root-cause category, which the review form then offers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, login, api, shot, BASE } from './helpers.mjs';

let context;
let page;
let outage;

const id = (name) => `[id="${name}"]`;

/** A `datetime-local` value in UTC, `days` from now. */
function utcIn(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 16);
}

before(async () => {
  context = await browser();
  page = await context.newPage();
  const incidents = (await api('/api/v1/incidents?limit=100')).body.items;
  outage = incidents.find((i) => i.title === 'Checkout API outage in eu-west-1');
  assert.ok(outage, 'the demo has the checkout outage');
});

after(async () => {
  await context?.close();
});

async function signOut() {
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
}

test('the problems page shows the checkout root cause repeating across incidents and accounts', async () => {
  await login(page, 'maya.chen@tamhub.example');
  await page.goto(`${BASE}/actions`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Problems")')]);
  const problem = page.locator('.problem', { hasText: 'checkout-api' });
  assert.match(await problem.textContent(), /Configuration change\s+on\s+checkout-api/);
  assert.match(await problem.textContent(), /3 incidents/);
  assert.match(await problem.textContent(), /Checkout API outage in eu-west-1/);
  assert.match(await problem.textContent(), /overdue/);
  await shot(page, '40-problems');
});

test('a TAM adds a corrective action to the review: missing owner and due date are named first', async () => {
  await page.goto(`${BASE}/incidents/${outage.id}`);
  assert.match(await page.textContent('#actions'), /Canary every gateway configuration push/);
  await Promise.all([page.waitForNavigation(), page.click('#actions a:has-text("Add action")')]);
  await page.fill(id('title'), 'Page the gateway team on health-check 404s');
  await page.selectOption(id('type'), 'detect');
  await page.selectOption(id('priority'), 'normal');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add action")')]);
  const owner = page.locator('.field.invalid', { has: page.locator(id('owner_id')) });
  assert.match(await owner.textContent(), /must not be empty/);
  const due = page.locator('.field.invalid', { has: page.locator(id('due_at')) });
  assert.match(await due.textContent(), /must not be empty/);
  assert.equal(await page.inputValue(id('title')), 'Page the gateway team on health-check 404s');
  await shot(page, '41-action-new-errors');

  const maya = (await api('/api/v1/users?limit=200')).body.items.find((u) => u.email === 'maya.chen@tamhub.example');
  await page.selectOption(id('owner_id'), maya.id);
  await page.fill(id('due_at'), utcIn(10));
  await page.selectOption(id('service'), 'checkout-api');
  await page.fill(id('link'), 'https://jira.example.com/browse/GW-214');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add action")')]);
  assert.match(await page.textContent('.alert.ok'), /Corrective action added/);
  const row = page.locator('#actions tr', { hasText: 'Page the gateway team on health-check 404s' });
  assert.match(await row.textContent(), /Maya Chen/);
  assert.match(await row.textContent(), /Open/);
  await shot(page, '42-review-actions');
});

test('the owner works the action from its page; won\'t do needs a reason', async () => {
  await Promise.all([page.waitForNavigation(), page.click('#actions a:has-text("Page the gateway team")')]);
  assert.match(await page.textContent('h1'), /Page the gateway team on health-check 404s/);
  await page.selectOption(id('status'), 'wont_do');
  await Promise.all([page.waitForNavigation(), page.click('#edit button:has-text("Save")')]);
  const note = page.locator('.field.invalid', { has: page.locator(id('status_note')) });
  assert.match(await note.textContent(), /must say why/);
  await page.selectOption(id('status'), 'in_progress');
  await Promise.all([page.waitForNavigation(), page.click('#edit button:has-text("Save")')]);
  assert.match(await page.textContent('.alert.ok'), /Action saved/);
  assert.match(await page.textContent('h1'), /In progress/);
  await shot(page, '43-action');
});

test('the action list counts open and overdue actions per service and account', async () => {
  await page.goto(`${BASE}/actions?view=overdue`);
  assert.match(await page.textContent('#actions'), /Overdue/);
  const service = page.locator('#by-service tr', { hasText: 'checkout-api' });
  assert.match(await service.textContent(), /checkout-api\s*7/, 'six demo actions and the new one are open');
  await shot(page, '44-actions');
  await page.goto(`${BASE}/actions?view=mine`);
  assert.match(await page.textContent('#actions'), /Page the gateway team on health-check 404s/);
  const account = outage.impacted_accounts[0];
  await page.goto(`${BASE}/accounts/${account.id}`);
  assert.match(await page.textContent('#account-actions'), /Page the gateway team on health-check 404s/);
  assert.match(await page.textContent('#account-problems'), /Configuration change/);
  await signOut();
});

test('an admin adds a root-cause category, which reviews then offer', async () => {
  await login(page, 'admin@tamhub.example');
  await page.goto(`${BASE}/admin/incident-taxonomy`);
  const text = await page.inputValue(id('root_cause_categories'));
  await page.fill(id('root_cause_categories'), `${text}\nCertificate expiry: A TLS certificate ran out`);
  await page.fill(id('tier2_services'), 'reporting');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save")')]);
  assert.match(await page.textContent('.alert.ok'), /Incident taxonomy saved/);
  await shot(page, '45-incident-taxonomy');
  const exports = (await api('/api/v1/incidents?limit=100')).body.items.find((i) => i.title === 'Dashboard exports time out');
  await page.goto(`${BASE}/incidents/${exports.id}/review`);
  const options = await page.locator(`${id('root_cause_category')} option`).allTextContents();
  assert.ok(options.includes('Certificate expiry'), options.join(', '));
  await signOut();
});
