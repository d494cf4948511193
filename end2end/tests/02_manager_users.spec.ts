import { expect, test } from '@playwright/test';
import { address, eventually, inviteOne, manager, open, resendWhenAllowed, row, rowAction, signInAsManager, snapshot } from '../fixtures/app';
import { Mailbox } from '../fixtures/mailbox';

// Manager flows on Manage › Platform Settings › Users (SPEC §5, R3–R9, R23–R25).
// Each test invites its own users. The e2e server's resend cooldown is 4 s
// (ROSTER_RESEND_COOLDOWN) so the R8 refusal and a later successful resend
// both fit in a test.
const mail = new Mailbox();

test.beforeEach(async ({ page }) => {
  await signInAsManager(page);
});

test('R3 invite one person; the email arrives', async ({ page }) => {
  const bob = address('bob');
  await inviteOne(page, bob.replace('bob', 'Bob'), 'Bob Builder');
  await expect(row(page, bob)).toContainText('Invited');
  expect(await mail.linkFor(bob)).toMatch(/\/invite\//);
  await snapshot(page, 'users-after-invite');
});

test('R7 R8 resend sends a new email; a second resend is refused with the exact message', async ({ page }) => {
  const rita = address('rita');
  await inviteOne(page, rita, 'Rita Resend');
  await rowAction(page, rita, 'Resend Invite');
  await expect(page.getByRole('alert')).toHaveText('Invite sent within the last 15 minutes');
  await expect(page.getByText(/You can resend at/)).toBeVisible();
  await resendWhenAllowed(page, rita);
  await mail.linkFor(rita, 2);
  await rowAction(page, rita, 'Resend Invite');
  await expect(page.getByRole('alert')).toHaveText('Invite sent within the last 15 minutes');
  await snapshot(page, 'users-resend-refused');
});

test('R9 R12 copy link puts a URL on the clipboard whose end matches the table', async ({ page, context }) => {
  const cole = address('cole');
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await inviteOne(page, cole);
  await rowAction(page, cole, 'Copy Invite Link');
  await expect(page.getByRole('status')).toHaveText('Invite link copied to clipboard');
  const url: string = await page.evaluate(() => navigator.clipboard.readText());
  expect(url).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  const shown = (await row(page, cole).getByText(/^…[A-Za-z0-9_-]{6}$/).innerText()).replace('…', '');
  expect(shown).toHaveLength(6);
  expect(url.endsWith(shown)).toBe(true);
});

test('R21 details: invitation history, each email with its delivery attempts and SMTP reply, activity', async ({ page, context }) => {
  const dora = address('dora');
  await page.setViewportSize({ width: 1280, height: 900 });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await inviteOne(page, dora);
  await mail.linkFor(dora);
  await rowAction(page, dora, 'Copy Invite Link');
  await expect(page.getByRole('status')).toHaveText('Invite link copied to clipboard');

  const panel = page.getByRole('dialog', { name: `Details for ${dora}` });
  // The email reached the SMTP server a moment before its reply was recorded.
  await eventually(async () => {
    await rowAction(page, dora, 'View details');
    const attempts = panel.getByRole('region', { name: 'Emails' }).getByRole('list', { name: 'Delivery attempts' });
    try {
      await expect(attempts).toContainText(/accepted: 250/, { timeout: 1000 });
    } finally {
      await page.keyboard.press('Escape');
    }
  });
  await rowAction(page, dora, 'View details');
  await expect(panel).toBeVisible();
  const invitations = panel.getByRole('region', { name: 'Invitations' });
  await expect(invitations).toContainText('invited by Ada Lovelace');
  // Copying replaced the emailed link (R12).
  await expect(invitations.getByRole('listitem').first()).toContainText('Copied link');
  await expect(invitations).toContainText('Replaced by a newer link');
  const emails = panel.getByRole('region', { name: 'Emails' });
  await expect(emails.getByRole('article')).toHaveCount(1);
  await expect(emails).toContainText('Delivered to the mail server');
  const activity = panel.getByRole('region', { name: 'Activity' });
  await expect(activity).toContainText('Ada Lovelace: Invited');
  await expect(activity).toContainText('Ada Lovelace: Copied an invitation link');
  await snapshot(page, 'users-detail');
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(page.getByRole('button', { name: `Actions for ${dora}` })).toBeFocused();
});

test('R25 filter by status and search; the URL keeps them across reloads', async ({ page }) => {
  // Both names carry this test's word, so the search shows exactly these rows.
  const word = `filt${Date.now().toString(36)}`;
  const [fern, finn] = [`fern.${word}@example.com`, `finn.${word}@example.com`];
  await inviteOne(page, fern);
  await inviteOne(page, finn);
  // R25: the Invitation links views count invitations: All is every Invited user.
  const invitedCount = page.locator('.filters .check').filter({ hasText: 'Invited' }).locator('.count');
  const allCount = page.getByRole('group', { name: 'Invitation links' }).getByRole('button', { name: /^All/ }).locator('.count');
  await expect(allCount).toHaveText(await invitedCount.innerText());
  expect(Number(await allCount.innerText())).toBeGreaterThanOrEqual(2);
  await page.getByRole('group', { name: 'Filter by:' }).getByRole('checkbox', { name: 'Invited' }).check();
  await expect(page).toHaveURL(/status=invited/);
  await expect(row(page, manager.email)).toHaveCount(0);
  await page.getByRole('searchbox', { name: 'Search users' }).fill(`fern.${word}`);
  await expect(page).toHaveURL(new RegExp(`q=fern\\.${word}`));
  await expect(row(page, finn)).toHaveCount(0);
  await expect(row(page, fern)).toBeVisible();
  // "All that match" counts whom it would send to: the Invited users (R24).
  await expect(page.getByRole('button', { name: 'Resend Invite to all 1 Invited matching' })).toBeVisible();
  // Back and forward move through the table's states without a page load.
  await page.goBack();
  await expect(page.getByRole('searchbox', { name: 'Search users' })).toHaveValue('');
  await expect(row(page, finn)).toBeVisible();
  await page.goForward();
  await expect(page.getByRole('searchbox', { name: 'Search users' })).toHaveValue(`fern.${word}`);
  await expect(row(page, finn)).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'Invited', exact: true })).toBeChecked();
  await expect(page.getByRole('searchbox', { name: 'Search users' })).toHaveValue(`fern.${word}`);
  await expect(row(page, fern)).toBeVisible();
  await expect(row(page, finn)).toHaveCount(0);
  await snapshot(page, 'users-filtered');
  await page.goBack();
  await expect(page).not.toHaveURL(/q=fern/);
  await expect(row(page, finn)).toBeVisible();
});

test('R23 revoke removes the invitation', async ({ page }) => {
  const rex = address('rex');
  await inviteOne(page, rex);
  await rowAction(page, rex, 'Revoke Invite');
  await expect(page.getByRole('status')).toHaveText(`Invitation for ${rex} revoked`);
  await expect(row(page, rex)).toHaveCount(0);
});

test('R5 R18 deactivate, then inviting again shows the seed message', async ({ page }) => {
  const dee = address('dee');
  await inviteOne(page, dee);
  await rowAction(page, dee, 'Deactivate');
  await expect(page.getByRole('status')).toHaveText(`${dee} deactivated`);
  await expect(row(page, dee)).toContainText('Deactivated');
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByLabel('Email').fill(dee);
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await expect(dialog.getByRole('alert')).toHaveText(
    'The user has been deactivated. Contact Organisation Manager/Support to reactivate them.',
  );
});

test('R4 bulk CSV of 1,000 rows with bad rows: progress, per-row results, download', async ({ page }) => {
  const [invited, deactivated] = [address('bulk-invited'), address('bulk-gone')];
  await inviteOne(page, invited);
  await inviteOne(page, deactivated);
  await rowAction(page, deactivated, 'Deactivate');
  await expect(page.getByRole('status')).toHaveText(`${deactivated} deactivated`);

  const bulk = (i: number) => address(`bulk${String(i).padStart(4, '0')}`);
  const lines = ['email,name'];
  for (let i = 0; i < 995; i++) lines.push(`${bulk(i)},Bulk ${i}`);
  lines.push('not-an-email', bulk(1), deactivated, invited, manager.email);
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByRole('tab', { name: 'Many (CSV)' }).click();
  await dialog.getByLabel('CSV rows').fill(lines.join('\n'));
  await dialog.getByRole('button', { name: 'Invite all' }).click();
  await expect(
    dialog.getByText('995 invited · 1 already invited · 1 already active · 1 deactivated · 1 invalid email · 1 duplicate row', {
      exact: true,
    }),
  ).toBeVisible({ timeout: 30_000 });
  const results = dialog.getByRole('table', { name: 'Invite results' });
  await expect(results.getByRole('row').filter({ hasText: deactivated })).toContainText(
    'The user has been deactivated. Contact Organisation Manager/Support to reactivate them.',
  );
  await expect(results.getByRole('row').filter({ hasText: 'not-an-email' })).toContainText('invalid email');
  const download = dialog.getByRole('link', { name: 'Download results (CSV)' });
  expect(await download.getAttribute('href')).toContain('data:text/csv');
  await snapshot(page, 'bulk-invite-results');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('searchbox', { name: 'Search users' }).fill(bulk(994));
  await expect(row(page, bulk(994))).toBeVisible();
});

test('R24 bulk resend of a selection: sent and skipped are counted', async ({ page }) => {
  const word = `sel${Date.now().toString(36)}`;
  const [one, two] = [`one.${word}@example.com`, `two.${word}@example.com`];
  await inviteOne(page, one);
  await inviteOne(page, two);
  await page.getByRole('searchbox', { name: 'Search users' }).fill(word);
  // Applying the search clears the selection: select once it is applied.
  await expect(page).toHaveURL(new RegExp(`q=${word}`));
  await expect(page.getByText('Page 1 of 1 · 2 users')).toBeVisible();
  await page.getByRole('checkbox', { name: `Select ${one}` }).check();
  await page.getByRole('checkbox', { name: `Select ${two}` }).check();
  await page.getByRole('button', { name: 'Resend Invite to selected' }).click();
  // Both were invited moments ago: the cooldown skips them (R8).
  await expect(page.getByRole('status')).toHaveText(
    'Resent 0 invitations; skipped 2 sent within the last 15 minutes; 0 not invited.',
  );
  await eventually(async () => {
    await page.getByRole('checkbox', { name: `Select ${one}` }).check();
    await page.getByRole('button', { name: 'Resend Invite to selected' }).click();
    await expect(page.getByRole('status')).toHaveText(
      'Resent 1 invitations; skipped 0 sent within the last 15 minutes; 0 not invited.',
      { timeout: 1000 },
    );
  });
  await mail.linkFor(one, 2);
});

test('the Users page works 360 px wide: no sideways page scroll, the row menu still opens', async ({ page }) => {
  const tiny = address('tiny');
  await inviteOne(page, tiny);
  await page.setViewportSize({ width: 360, height: 740 });
  await open(page, `/manage/settings/users?q=${encodeURIComponent(tiny)}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: `Actions for ${tiny}` }).click();
  await expect(page.getByRole('menuitem', { name: 'View details' })).toBeVisible();
  await snapshot(page, 'users-360px');
});
