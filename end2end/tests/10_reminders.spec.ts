import { expect, test } from '@playwright/test';
import { address, ensureOrganisation, inviteOne, manager, row, rowAction, signIn, snapshot } from '../fixtures/app';
import { Mailbox } from '../fixtures/mailbox';
import { reminderPort, urlOf } from '../fixtures/ports';

// R27 against the fifth e2e server, where a schedule's "day" lasts 2 s
// (ROSTER_REMINDER_DAY=2s; resend cooldown 4 s): the Org Manager sets
// reminders in Platform Settings, an Invited user gets one reminder email
// with a fresh link, a revoked invitation gets none, and the user's details
// show who sent it.
test.use({ baseURL: urlOf(reminderPort) });
const mail = new Mailbox(reminderPort);

test('R27 a reminder on the chosen day: a fresh link by email, in the details; none once revoked', async ({ page }) => {
  test.setTimeout(60_000);
  const [rae, rex] = [address('rae'), address('rex-revoked')];
  await ensureOrganisation(page, 'Reminder Co');
  await signIn(page, manager.email, manager.password);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();

  await page.getByRole('navigation', { name: 'Platform Settings' }).getByRole('link', { name: 'Reminders' }).click();
  await expect(page.getByRole('heading', { name: 'Reminders' })).toBeVisible();
  await page.getByLabel('Remind on days').fill('3, 40');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toHaveText('Reminder days are from 1 to 30; 40 is not.');
  await expect(page.getByLabel('Remind on days')).toHaveValue('3, 40');
  await page.getByLabel('Remind on days').fill('3');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Reminders saved: days 3');
  await snapshot(page, 'reminders-settings');
  await page.reload();
  await expect(page.getByLabel('Remind on days')).toHaveValue('3');

  await page.getByRole('navigation', { name: 'Platform Settings' }).getByRole('link', { name: 'Users' }).click();
  await inviteOne(page, rae);
  await inviteOne(page, rex);
  await rowAction(page, rex, 'Revoke Invite');
  await expect(page.getByRole('status')).toHaveText(`Invitation for ${rex} revoked`);
  const first = await mail.linkFor(rae, 1);

  // Day 3 is 6 s after the invitation; the cooldown (4 s) is over by then.
  const fresh = await mail.linkFor(rae, 2);
  expect(fresh).not.toBe(first);
  const messages = await mail.messagesTo(rae);
  expect(messages[1].subject).toMatch(/^Reminder: /);
  await page.reload();
  await expect(row(page, rae)).toContainText('Invited');
  await rowAction(page, rae, 'View details');
  const details = page.getByRole('dialog', { name: `Details for ${rae}` });
  await expect(details.getByText('Roster (reminder): Sent a reminder')).toBeVisible();
  await snapshot(page, 'reminders-details');
  // One reminder per day of the schedule, and none to the revoked invitation.
  await page.waitForTimeout(4_000);
  expect(await mail.messagesTo(rae)).toHaveLength(2);
  expect(await mail.messagesTo(rex)).toHaveLength(1);
});
