import { expect, test } from '@playwright/test';
import { address, ensureOrganisation, eventually, inviteOne, manager, open, signIn, snapshot } from '../fixtures/app';
import { acceptEmailLink } from '../fixtures/invitee';
import { Mailbox } from '../fixtures/mailbox';
import { shortTtlPort, urlOf } from '../fixtures/ports';

// R11 R13 against the second e2e server, whose links live 6 seconds
// (ROSTER_INVITE_TTL=6s; resend cooldown 4 s).
test.use({ baseURL: urlOf(shortTtlPort) });
const mail = new Mailbox(shortTtlPort);
const org = 'Short Links Ltd';

test('R11 R13 an expired link offers Resend invitation; the fresh link works', async ({ page }) => {
  test.setTimeout(90_000);
  const fay = address('fay');
  await ensureOrganisation(page, org);
  await signIn(page, manager.email, manager.password);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await inviteOne(page, fay, 'Fay Late');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);

  const first = await mail.linkFor(fay);
  await open(page, first);
  await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible();
  // Six seconds later the same link has expired.
  await eventually(async () => {
    await open(page, first);
    await expect(page.getByRole('heading', { name: 'This invitation link has expired' })).toBeVisible({ timeout: 500 });
  });
  // R13: the page reveals nothing but the organisation's name.
  await expect(page.getByText(fay)).toHaveCount(0);
  await expect(page.getByText(`Invitation to ${org}`)).toBeVisible();
  await snapshot(page, 'invitee-expired');
  await page.getByRole('button', { name: 'Resend invitation' }).click();
  await expect(page.getByRole('status')).toHaveText('A new invitation link was sent to your email address.');

  const fresh = await mail.linkFor(fay, 2);
  expect(fresh).not.toBe(first);
  await acceptEmailLink(page, fresh, 'fay finally has a password', 'Fay Late', org);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});
