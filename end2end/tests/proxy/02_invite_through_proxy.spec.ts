import { expect, test } from '@playwright/test';
import { inviteOne, manager, open, row, signIn, snapshot } from '../../fixtures/app';
import { completeProfile } from '../../fixtures/invitee';
import { Mailbox } from '../../fixtures/mailbox';
import { proxyURL, upstreamPort } from '../../fixtures/proxy';

// The main manager flow through the TLS proxy: the emailed link is built from
// ROSTER_PUBLIC_URL (https://localhost:3443), never from the Host header
// nginx rewrote to 127.0.0.1:<upstream port>.
test.describe.configure({ mode: 'serial' });
const mail = new Mailbox(upstreamPort);

test('invite through the proxy; the emailed https link leads to the profile step', async ({ page }) => {
  test.setTimeout(60_000);
  await signIn(page, manager.email, manager.password);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await inviteOne(page, 'grace@example.com', 'Grace Hopper');
  await expect(row(page, 'grace@example.com')).toContainText('Invited');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  const link = await mail.linkFor('grace@example.com');
  expect(link.startsWith(`${proxyURL}/invite/`), link).toBe(true);
  expect(link).toMatch(/^https:\/\/localhost:\d+\/invite\/[A-Za-z0-9_-]{43}$/);

  await open(page, link);
  await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible();
  await snapshot(page, 'proxy-invitee-set-password');
  await page.getByLabel('Password', { exact: true }).fill('grace writes long passwords');
  await page.getByLabel('Confirm password').fill('grace writes long passwords');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('heading', { name: 'Your profile' })).toBeVisible();
  expect(new URL(page.url()).origin).toBe(proxyURL);

  const session = (await page.context().cookies(proxyURL)).find((c) => c.name === 'roster_session');
  expect(session?.secure).toBe(true);
  expect(session?.httpOnly).toBe(true);

  await completeProfile(page, 'Grace Hopper');
  await snapshot(page, 'proxy-invitee-welcome');
});
