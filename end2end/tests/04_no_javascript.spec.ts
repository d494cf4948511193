import { expect, test } from '@playwright/test';
import { address, inviteOne, signInAsManager } from '../fixtures/app';
import { Mailbox } from '../fixtures/mailbox';

// Step 4: the invitee's pages are server-rendered forms that post to the
// server functions, so the email-link flow completes without JavaScript.
const mail = new Mailbox();

test('R6 without JavaScript: email link, password, profile, welcome', async ({ browser }) => {
  const nora = address('nojs');
  const managerPage = await browser.newPage();
  await signInAsManager(managerPage);
  await inviteOne(managerPage, nora);
  await managerPage.close();
  const link = await mail.linkFor(nora);

  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible();
  await page.getByLabel('Password', { exact: true }).fill('no script needed here');
  await page.getByLabel('Confirm password').fill('no script needed here');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page).toHaveURL(/\/welcome\/profile$/);
  await page.getByLabel('Display name').fill('Nora Nojs');
  await page.getByLabel('I accept the terms of use').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/welcome$/);
  await expect(page.getByRole('heading', { name: 'Welcome to Acme Training, Nora Nojs' })).toBeVisible();
  await context.close();
});
