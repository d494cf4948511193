import { expect, test } from '@playwright/test';
import { inviteOne, manager, open, snapshot } from '../fixtures/app';
import { acceptEmailLink } from '../fixtures/invitee';
import { Mailbox } from '../fixtures/mailbox';

// R11 R13 against the second e2e server, whose links live 6 seconds
// (ROSTER_INVITE_TTL=6s; resend cooldown 4 s). It starts with an empty database.
const port = Number(process.env.ROSTER_E2E_PORT ?? 3100) + 100;
test.use({ baseURL: `http://127.0.0.1:${port}` });
test.describe.configure({ mode: 'serial' });
const mail = new Mailbox(port);
const org = 'Short Links Ltd';

test('R11 R13 an expired link offers Resend invitation; the fresh link works', async ({ page }) => {
  test.setTimeout(90_000);
  await open(page, '/');
  await page.getByLabel('Organisation name').fill(org);
  await page.getByLabel('Your name').fill(manager.name);
  await page.getByLabel('Email').fill(manager.email);
  await page.getByLabel('Password').fill(manager.password);
  await page.getByRole('button', { name: 'Create organisation' }).click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await inviteOne(page, 'fay@example.com', 'Fay Late');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);

  const first = await mail.linkFor('fay@example.com');
  await new Promise((r) => setTimeout(r, 6_500));
  await open(page, first);
  await expect(page.getByRole('heading', { name: 'This invitation link has expired' })).toBeVisible();
  // R13: the page reveals nothing but the organisation's name.
  await expect(page.getByText('fay@example.com')).toHaveCount(0);
  await snapshot(page, 'invitee-expired');
  await page.getByRole('button', { name: 'Resend invitation' }).click();
  await expect(page.getByRole('status')).toHaveText('A new invitation link was sent to your email address.');

  const fresh = await mail.linkFor('fay@example.com', 2);
  expect(fresh).not.toBe(first);
  await acceptEmailLink(page, fresh, 'fay finally has a password', 'Fay Late', org);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});
