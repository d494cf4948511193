import { expect, test } from '@playwright/test';
import { address, inviteOne, rowAction, signInAsManager } from '../fixtures/app';
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

// Step 9: the pages render on the server and only islands hydrate, so with
// the WASM blocked (JavaScript on) the invitee's copied-link flow, its
// refusals and the sign-in page still work: plain forms posting to the
// server functions, errors shown from the answer.
test('with the WASM blocked: copied link, wrong address, password mismatch, profile, sign in', async ({ browser }) => {
  const olga = address('nowasm');
  const managerContext = await browser.newContext();
  const managerPage = await managerContext.newPage();
  await managerContext.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signInAsManager(managerPage);
  await inviteOne(managerPage, olga);
  await rowAction(managerPage, olga, 'Copy Invite Link');
  await expect(managerPage.getByRole('status')).toHaveText('Invite link copied to clipboard');
  const copied = await managerPage.evaluate(() => navigator.clipboard.readText());
  await managerContext.close();

  const context = await browser.newContext();
  const wasmRequests: string[] = [];
  await context.route('**/*.wasm', (route) => {
    wasmRequests.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  await page.goto(copied);
  await expect(page.getByRole('heading', { name: 'Confirm your email address' })).toBeVisible();
  await page.getByLabel('Email address').fill(address('someone-else'));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toContainText('does not match');
  await page.getByLabel('Email address').fill(olga);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible();
  await page.getByLabel('Password', { exact: true }).fill('nothing hydrated here');
  await page.getByLabel('Confirm password').fill('something else entirely');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('alert')).toHaveText('The two passwords do not match.');
  await page.getByLabel('Password', { exact: true }).fill('nothing hydrated here');
  await page.getByLabel('Confirm password').fill('nothing hydrated here');
  await page.getByRole('button', { name: 'Set password' }).click();
  // A copied link confirms the address but does not sign in (R10).
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email').fill(olga);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');
  await page.getByLabel('Email').fill(olga);
  await page.getByLabel('Password').fill('nothing hydrated here');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/welcome\/profile$/);
  await page.getByLabel('Display name').fill('Olga Nowasm');
  await page.getByLabel('I accept the terms of use').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome to Acme Training, Olga Nowasm' })).toBeVisible();
  // The WASM was asked for and refused: nothing above hydrated.
  expect(wasmRequests.length).toBeGreaterThan(0);
  await expect(page.locator('body[data-hydrated]')).toHaveCount(0);
  await context.close();
});
