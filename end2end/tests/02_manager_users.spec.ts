import { expect, test } from '@playwright/test';
import { inviteOne, manager, open, row, rowAction, signIn, snapshot } from '../fixtures/app';
import { Mailbox } from '../fixtures/mailbox';

// Manager flows on Manage › Platform Settings › Users (SPEC §5, R3–R9, R23–R25).
// The e2e server's resend cooldown is 4 s (ROSTER_RESEND_COOLDOWN) so the
// R8 refusal and a later successful resend both fit in a test.
test.describe.configure({ mode: 'serial' });
const mail = new Mailbox();
const cooldown = () => new Promise((r) => setTimeout(r, 4_500));

test.beforeEach(async ({ page }) => {
  await signIn(page, manager.email, manager.password);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
});

test('R3 invite one person; the email arrives', async ({ page }) => {
  await inviteOne(page, 'Bob@Example.com', 'Bob Builder');
  await expect(row(page, 'bob@example.com')).toContainText('Invited');
  const link = await mail.linkFor('bob@example.com');
  expect(link).toMatch(/\/invite\//);
  await snapshot(page, 'users-after-invite');
});

test('R7 R8 resend sends a new email; a second resend is refused with the exact message', async ({ page }) => {
  await inviteOne(page, 'rita@example.com', 'Rita Resend');
  await rowAction(page, 'rita@example.com', 'Resend Invite');
  await expect(page.getByRole('alert')).toHaveText('Invite sent within the last 15 minutes');
  await expect(page.locator('.alert-box .hint')).toContainText('You can resend at');
  await cooldown();
  await rowAction(page, 'rita@example.com', 'Resend Invite');
  await expect(page.getByRole('status')).toHaveText('Invitation sent to rita@example.com');
  await mail.linkFor('rita@example.com', 2);
  await rowAction(page, 'rita@example.com', 'Resend Invite');
  await expect(page.getByRole('alert')).toHaveText('Invite sent within the last 15 minutes');
  await snapshot(page, 'users-resend-refused');
});

test('R9 R12 copy link puts a URL on the clipboard whose end matches the table', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await rowAction(page, 'bob@example.com', 'Copy Invite Link');
  await expect(page.getByRole('status')).toHaveText('Invite link copied to clipboard');
  const url: string = await page.evaluate(() => navigator.clipboard.readText());
  expect(url).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  const shown = (await row(page, 'bob@example.com').locator('.token-end').innerText()).replace('…', '');
  expect(shown).toHaveLength(6);
  expect(url.endsWith(shown)).toBe(true);
});

test('R21 details: invitation history, each email with its delivery attempts and SMTP reply, activity', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await rowAction(page, 'bob@example.com', 'View details');
  const panel = page.getByRole('dialog', { name: 'Details for bob@example.com' });
  await expect(panel).toBeVisible();
  const invitations = panel.getByRole('region', { name: 'Invitations' });
  await expect(invitations).toContainText('invited by Ada Lovelace');
  // The copy in the previous test replaced the emailed link (R12).
  await expect(invitations.getByRole('listitem').first()).toContainText('Copied link');
  await expect(invitations).toContainText('Replaced by a newer link');
  const emails = panel.getByRole('region', { name: 'Emails' });
  await expect(emails.getByRole('article')).toHaveCount(1);
  await expect(emails.getByRole('list', { name: 'Delivery attempts' }).first()).toContainText(/accepted: 250/);
  await expect(emails).toContainText('Delivered to the mail server');
  const activity = panel.getByRole('region', { name: 'Activity' });
  await expect(activity).toContainText('Ada Lovelace: Invited');
  await expect(activity).toContainText('Ada Lovelace: Copied an invitation link');
  await snapshot(page, 'users-detail');
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Actions for bob@example.com' })).toBeFocused();
});

test('R25 filter by status and search; the URL keeps them across reloads', async ({ page }) => {
  await page.getByRole('group', { name: 'Filter by:' }).getByRole('checkbox', { name: 'Invited' }).check();
  await expect(page).toHaveURL(/status=invited/);
  await expect(row(page, manager.email)).toHaveCount(0);
  await expect(row(page, 'bob@example.com')).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search users' }).fill('rita');
  await expect(page).toHaveURL(/q=rita/);
  await expect(row(page, 'bob@example.com')).toHaveCount(0);
  await expect(row(page, 'rita@example.com')).toBeVisible();
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'Invited', exact: true })).toBeChecked();
  await expect(page.getByRole('searchbox', { name: 'Search users' })).toHaveValue('rita');
  await expect(row(page, 'rita@example.com')).toBeVisible();
  await snapshot(page, 'users-filtered');
  await page.goBack();
  await expect(page).not.toHaveURL(/q=rita/);
});

test('R23 revoke removes the invitation', async ({ page }) => {
  await inviteOne(page, 'rex@example.com');
  await rowAction(page, 'rex@example.com', 'Revoke Invite');
  await expect(page.getByRole('status')).toHaveText('Invitation for rex@example.com revoked');
  await expect(row(page, 'rex@example.com')).toHaveCount(0);
});

test('R5 R18 deactivate, then inviting again shows the seed message', async ({ page }) => {
  await inviteOne(page, 'dee@example.com');
  await rowAction(page, 'dee@example.com', 'Deactivate');
  await expect(page.getByRole('status')).toHaveText('dee@example.com deactivated');
  await expect(row(page, 'dee@example.com')).toContainText('Deactivated');
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByLabel('Email').fill('dee@example.com');
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await expect(dialog.getByRole('alert')).toHaveText(
    'The user has been deactivated. Contact Organisation Manager/Support to reactivate them.',
  );
});

test('R4 bulk CSV of 1,000 rows with bad rows: progress, per-row results, download', async ({ page }) => {
  const lines = ['email,name'];
  for (let i = 0; i < 995; i++) lines.push(`bulk${String(i).padStart(4, '0')}@example.com,Bulk ${i}`);
  lines.push('not-an-email', 'bulk0001@example.com', 'dee@example.com', 'bob@example.com', `${manager.email}`);
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByRole('tab', { name: 'Many (CSV)' }).click();
  await dialog.getByLabel('CSV rows').fill(lines.join('\n'));
  await dialog.getByRole('button', { name: 'Invite all' }).click();
  await expect(dialog.locator('.summary')).toHaveText(
    '995 invited · 1 already invited · 1 already active · 1 deactivated · 1 invalid email · 1 duplicate row',
    { timeout: 30_000 },
  );
  const results = dialog.getByRole('table', { name: 'Invite results' });
  await expect(results.getByRole('row').filter({ hasText: 'dee@example.com' })).toContainText(
    'The user has been deactivated. Contact Organisation Manager/Support to reactivate them.',
  );
  await expect(results.getByRole('row').filter({ hasText: 'not-an-email' })).toContainText('invalid email');
  const download = dialog.getByRole('link', { name: 'Download results (CSV)' });
  expect(await download.getAttribute('href')).toContain('data:text/csv');
  await snapshot(page, 'bulk-invite-results');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('searchbox', { name: 'Search users' }).fill('bulk0994');
  await expect(row(page, 'bulk0994@example.com')).toBeVisible();
});

test('R24 bulk resend of a selection: sent and skipped are counted', async ({ page }) => {
  await page.getByRole('searchbox', { name: 'Search users' }).fill('bulk000');
  await expect(row(page, 'bulk0009@example.com')).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select bulk0001@example.com' }).check();
  await page.getByRole('checkbox', { name: 'Select bulk0002@example.com' }).check();
  await page.getByRole('button', { name: 'Resend Invite to selected' }).click();
  await expect(page.getByRole('status')).toContainText(/Resent \d+ invitations; skipped \d+ sent within the last 15 minutes/);
  const text = await page.getByRole('status').innerText();
  const [sent, skipped] = text.match(/\d+/g)!.map(Number);
  expect(sent + skipped).toBe(2);
});

test('the Users page works 360 px wide: no sideways page scroll, the row menu still opens', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: 'Actions for bob@example.com' }).click();
  await expect(page.getByRole('menuitem', { name: 'View details' })).toBeVisible();
  await snapshot(page, 'users-360px');
});
