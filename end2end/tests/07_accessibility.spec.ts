import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { ensureOrganisation, inviteOne, manager, open, row, signIn, snapshot } from '../fixtures/app';
import { Mailbox } from '../fixtures/mailbox';

// WCAG 2 A and AA on the main screens, checked by axe-core, and the keyboard
// behaviour of the Invite users dialog. The spec stands alone: it does first
// run itself when no organisation exists yet and invites its own user.
const mail = new Mailbox();
// "ada" in the invitee's address: a search for "ada" shows it (Invited) next to
// the manager Ada (Active), whatever else earlier specs put in the table.
const invitee = `ada.a11y.${Date.now()}@example.com`;
let invited = false;

/** Runs axe on the page as it is; fails with every violation listed readably. */
async function expectNoViolations(page: Page, what: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const report = violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    at ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      return `  ${v.id} [${v.impact}] ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
  expect(report, `axe violations on ${what}`).toBe('');
}

async function usersPage(page: Page) {
  await ensureOrganisation(page);
  await signIn(page, manager.email, manager.password);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
}

/** Signs in as the manager, invites this spec's user unless done, and shows both. */
async function usersPageWithInvitee(page: Page) {
  await usersPage(page);
  // Loaded with the search in the URL, the table holds the search's rows from the start.
  await open(page, '/manage/settings/users?q=ada');
  await expect(page.getByRole('searchbox', { name: 'Search users' })).toHaveValue('ada');
  await expect(row(page, manager.email)).toContainText('Active');
  if (!invited && (await row(page, invitee).count()) === 0) await inviteOne(page, invitee, 'Ada Access');
  invited = true;
  await expect(row(page, invitee)).toContainText('Invited');
}

test('the sign-in page has no WCAG A/AA violations', async ({ page }) => {
  await ensureOrganisation(page);
  await open(page, '/login');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expectNoViolations(page, 'the sign-in page');
});

test('the Users page with Invited and Active badges has no WCAG A/AA violations', async ({ page }) => {
  await usersPageWithInvitee(page);
  await snapshot(page, 'a11y-users-badges');
  await expectNoViolations(page, 'the Users page');
});

test('the Reminders settings page has no WCAG A/AA violations', async ({ page }) => {
  await usersPage(page);
  await open(page, '/manage/settings/reminders');
  await expect(page.getByLabel('Remind on days')).toBeVisible();
  await expectNoViolations(page, 'the Reminders page');
});

test('the Webhooks settings page has no WCAG A/AA violations', async ({ page }) => {
  await usersPage(page);
  await open(page, '/manage/settings/webhooks');
  await expect(page.getByLabel('Endpoint URL')).toBeVisible();
  await expectNoViolations(page, 'the Webhooks page');
});

test('the Invite users dialog has no WCAG A/AA violations', async ({ page }) => {
  await usersPage(page);
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await expect(dialog.getByLabel('Email')).toBeVisible();
  await expectNoViolations(page, 'the Invite users dialog (One person)');
  await dialog.getByRole('tab', { name: 'Many (CSV)' }).click();
  await expect(dialog.getByLabel('CSV rows')).toBeVisible();
  await expectNoViolations(page, 'the Invite users dialog (Many (CSV))');
});

test("the invitee's set-password page has no WCAG A/AA violations", async ({ page }) => {
  await usersPageWithInvitee(page);
  await page.context().clearCookies();
  await open(page, await mail.linkFor(invitee));
  await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible();
  await expectNoViolations(page, "the invitee's set-password page");
});

test('Escape closes the Invite users dialog and focus returns to its button', async ({ page }) => {
  await usersPage(page);
  const opener = page.getByRole('button', { name: 'Invite users' });
  const dialog = page.getByRole('dialog', { name: 'Invite users' });

  await opener.click();
  await expect(dialog).toBeVisible();
  // Focus moves into the dialog, so the keyboard works there at once.
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();

  // Escape from a field inside the dialog, and the Close button, do the same.
  await opener.click();
  await dialog.getByLabel('Email').fill('half-typed@example');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();

  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
});
