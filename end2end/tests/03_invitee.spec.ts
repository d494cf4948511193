import { expect, test, type Page } from '@playwright/test';
import { address, eventually, inviteOne, open, resendWhenAllowed, rowAction, signInAsManager, snapshot } from '../fixtures/app';
import { completeProfile } from '../fixtures/invitee';
import { Mailbox } from '../fixtures/mailbox';

// The invitee's flow (R6, R10, R12, R13, R15). Each test invites its own user.
const mail = new Mailbox();

async function asManager(page: Page, work: () => Promise<void>) {
  await signInAsManager(page);
  await work();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

async function copiedLinkFor(page: Page, email: string): Promise<string> {
  let url = '';
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await asManager(page, async () => {
    await inviteOne(page, email);
    await rowAction(page, email, 'Copy Invite Link');
    await expect(page.getByRole('status')).toHaveText('Invite link copied to clipboard');
    url = await page.evaluate(() => navigator.clipboard.readText());
  });
  return url;
}

test('R6 email link: set password, profile, welcome; R15 then the link says accepted', async ({ page }) => {
  const carol = address('carol');
  await asManager(page, () => inviteOne(page, carol));
  const link = await mail.linkFor(carol);
  await open(page, link);
  await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible();
  await snapshot(page, 'invitee-set-password');
  await page.getByLabel('Password', { exact: true }).fill('carol has a long password');
  await page.getByLabel('Confirm password').fill('carol has a long password');
  await page.getByRole('button', { name: 'Set password' }).click();
  await completeProfile(page, 'Carol Jones');
  await snapshot(page, 'invitee-welcome');

  await open(page, link);
  await expect(page.getByRole('heading', { name: 'This invitation was already accepted' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
});

test('R10 copied link: five wrong emails lock it', async ({ page }) => {
  const url = await copiedLinkFor(page, address('locky'));
  await open(page, url);
  await expect(page.getByRole('heading', { name: 'Confirm your email address' })).toBeVisible();
  for (const left of [4, 3, 2, 1]) {
    await page.getByLabel('Email address').fill('someone.else@example.com');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('alert')).toHaveText(`That email address does not match this invitation. ${left} tries left.`);
  }
  await page.getByLabel('Email address').fill('someone.else@example.com');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toContainText('This link is locked');
  await open(page, url);
  await expect(page.getByRole('heading', { name: 'This link is locked' })).toBeVisible();
  await snapshot(page, 'invitee-locked');
});

test('R10 copied link: right email, password, sign in, profile, welcome', async ({ page }) => {
  const dan = address('dan');
  const url = await copiedLinkFor(page, dan);
  await open(page, url);
  await snapshot(page, 'invitee-confirm-email');
  await page.getByLabel('Email address').fill(`  ${dan.toUpperCase()} `);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible();
  await page.getByLabel('Password', { exact: true }).fill('dan likes long passwords');
  await page.getByLabel('Confirm password').fill('dan likes long passwords');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email').fill(dan);
  await page.getByLabel('Password').fill('dan likes long passwords');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await completeProfile(page, 'Dan Smith');
});

test('R12 R13 an older link says a newer one was sent; Resend invitation obeys the cooldown', async ({ page }) => {
  const eve = address('eve');
  await asManager(page, async () => {
    await inviteOne(page, eve);
    await resendWhenAllowed(page, eve);
  });
  await mail.linkFor(eve, 2);
  const older = (await mail.messagesTo(eve))[0].text!.match(/https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/)![0];
  await open(page, older);
  await expect(page.getByRole('heading', { name: 'A newer invitation link was sent' })).toBeVisible();
  await page.getByRole('button', { name: 'Resend invitation' }).click();
  await expect(page.getByRole('alert')).toHaveText('Invite sent within the last 15 minutes');
  await expect(page.getByText(/You can try again at/)).toBeVisible();
  await snapshot(page, 'invitee-superseded');
  // Again once the cooldown has passed; the answer itself is awaited.
  await eventually(async () => {
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/resend_from_link'));
    await page.getByRole('button', { name: 'Resend invitation' }).click();
    // A plain form post: a refusal comes back with the error in the URL, a
    // success to the link's page with ?sent=1.
    expect((await answer).headers()['location'] ?? '').toMatch(/\?sent=1$/);
  });
  await expect(page.getByRole('status')).toHaveText('A new invitation link was sent to your email address.');
  await mail.linkFor(eve, 3);
});

test('unknown tokens get a 404 that says nothing about tokens', async ({ page }) => {
  const response = await page.goto('/invite/' + 'x'.repeat(43));
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});
