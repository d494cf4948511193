import { expect, test, type Page } from '@playwright/test';
import { address, inviteOne, resendWhenAllowed, manager, open, row, rowAction, runId, signIn, signInAsManager, snapshot } from '../fixtures/app';
import { acceptEmailLink } from '../fixtures/invitee';
import { Mailbox } from '../fixtures/mailbox';

// R1 R2: a Team Manager works only on the members of the teams they manage;
// the screens offer nothing else, and the server refuses the rest. One story
// in three acts: the first builds the teams and people the others use.
test.describe.configure({ mode: 'serial' });
const mail = new Mailbox();
const lead = { email: address('tom'), name: 'Tom Lead', password: 'tom keeps a long password' };
const [bea, gil] = [address('bea'), address('gil')];
const [blue, green] = [`Blue ${runId}`, `Green ${runId}`];
const teamUrls: Record<string, string> = {};
let outsiderId = '';
let insiderId = '';

async function createTeam(page: Page, name: string) {
  await page.getByLabel('New team').fill(name);
  await page.getByRole('button', { name: 'Create team' }).click();
  await expect(page.getByRole('status')).toHaveText(`Team ${name} created`);
  teamUrls[name] = (await page.getByRole('link', { name, exact: true }).getAttribute('href'))!;
}

/** The user id behind a row, from its "…" button (ids are never typed by people). */
async function idOf(page: Page, email: string) {
  const id = await page.getByRole('button', { name: `Actions for ${email}` }).getAttribute('id');
  return id!.replace(/^actions-/, '');
}

test('an Org Manager sets up two teams and appoints a Team Manager', async ({ page }) => {
  test.setTimeout(90_000); // a whole story: three invitations and one registration
  await signInAsManager(page);
  await inviteOne(page, lead.email, lead.name);
  await open(page, '/manage/settings/teams');
  await createTeam(page, blue);
  await createTeam(page, green);
  await open(page, '/manage/settings/users');
  await inviteOne(page, bea, 'Bea Blue', blue);
  await inviteOne(page, gil, 'Gil Green', green);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);

  await acceptEmailLink(page, await mail.linkFor(lead.email), lead.password, lead.name);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);

  await signIn(page, manager.email, manager.password);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await open(page, teamUrls[blue]);
  await page.getByLabel('Add member by email').fill(lead.email);
  await page.getByRole('checkbox', { name: 'Team Manager' }).check();
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByText(`${lead.email} added as Team Manager.`)).toBeVisible();
  insiderId = await idOf(page, bea);
  await open(page, teamUrls[green]);
  outsiderId = await idOf(page, gil);
  await open(page, '/manage/settings/teams');
  await expect(page.getByRole('listitem').filter({ hasText: blue })).toContainText(`Managed by ${lead.name}`);
});

test('a Team Manager sees only their teams and acts only on their members', async ({ page }) => {
  await signIn(page, lead.email, lead.password);
  await expect(page).toHaveURL(/\/manage\/settings\/teams$/);
  await expect(page.getByRole('heading', { name: 'Teams' })).toBeVisible();
  const subnav = page.getByRole('navigation', { name: 'Platform Settings' });
  await expect(subnav.getByRole('link', { name: 'Teams' })).toBeVisible();
  await expect(subnav.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: blue, exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: green, exact: true })).toHaveCount(0);
  await expect(page.getByLabel('New team')).toHaveCount(0);
  await snapshot(page, 'team-manager-teams');

  await page.getByRole('link', { name: blue, exact: true }).click();
  await expect(page.getByRole('heading', { name: blue })).toBeVisible();
  await expect(row(page, bea)).toBeVisible();
  await expect(row(page, gil)).toHaveCount(0);
  await page.getByRole('button', { name: `Actions for ${bea}` }).click();
  const menu = page.getByRole('menu', { name: `Actions for ${bea}` });
  await expect(menu.getByRole('menuitem')).toHaveText(['View details', 'Resend Invite', 'Copy Invite Link']);
  await page.keyboard.press('Escape');
  // Bea was invited moments ago, in the setup: retry until the test
  // server's short cooldown (4 s) has passed.
  await resendWhenAllowed(page, bea);
  await mail.linkFor(bea, 2);
  await snapshot(page, 'team-manager-members');

  await open(page, '/manage/settings/users');
  await expect(page.getByRole('alert')).toHaveText('You do not have access to these users.');
  await expect(row(page, gil)).toHaveCount(0);
  await open(page, teamUrls[green]);
  await expect(page.getByRole('alert').first()).toHaveText('You do not have access to this team.');
  await expect(row(page, gil)).toHaveCount(0);
});

test('the server refuses a Team Manager’s calls about users outside their teams', async ({ page }) => {
  await signIn(page, lead.email, lead.password);
  await expect(page.getByRole('heading', { name: 'Teams' })).toBeVisible();
  const call = (endpoint: string, userId: string) =>
    page.evaluate(
      async ([endpoint, userId]) => {
        const response = await fetch(`/api/${endpoint}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ user_id: userId }),
        });
        return { ok: response.ok, body: await response.text() };
      },
      [endpoint, userId],
    );
  // The same call succeeds for a member of their team, so a refusal below is the rule, not a broken call.
  expect((await call('copy_invite_link', insiderId)).ok).toBe(true);
  for (const endpoint of ['copy_invite_link', 'resend_invite', 'revoke_invite', 'deactivate_user', 'user_details']) {
    const answer = await call(endpoint, outsiderId);
    expect(answer.ok, endpoint).toBe(false);
    // The error travels as JSON; the browser shows its text, "You do not have permission to do that."
    expect(answer.body, endpoint).toBe('"Forbidden"');
  }
  expect(await mail.messagesTo(gil)).toHaveLength(1);
});
