import { expect, test, type Page } from '@playwright/test';
import { ensureOrganisation, inviteOne, manager, open, rowAction, signIn, snapshot } from '../fixtures/app';
import { completeProfile } from '../fixtures/invitee';
import { Mailbox } from '../fixtures/mailbox';
import { oidc, ssoPort, urlOf } from '../fixtures/ports';

// R17 end to end: an organisation switched to single sign-on against a real
// OpenID provider (oidc/provider.mjs, accounts match / other / unverified /
// copy), on its own server so the other specs keep password sign-in.
test.use({ baseURL: urlOf(ssoPort) });
test.describe.configure({ mode: 'serial' });
const mail = new Mailbox(ssoPort);
const org = 'Single Sign Ltd';
const invitee = 'sso.match@example.com';

async function asManager(page: Page) {
  await ensureOrganisation(page, org);
  await signIn(page, manager.email, manager.password);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
}

/** Signs in at the provider's own page as one of its test accounts. */
async function atProvider(page: Page, login: string) {
  await expect(page.getByRole('heading', { name: 'Sign in to the test provider' })).toBeVisible();
  await page.getByLabel('Username').fill(login);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('an Org Manager switches the organisation to single sign-on', async ({ page }) => {
  await asManager(page);
  await open(page, '/manage/settings/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign-in' })).toBeVisible();
  await expect(page.getByText(`${urlOf(ssoPort)}/sso/callback`)).toBeVisible();
  await page.getByRole('radio', { name: 'Single sign-on (OpenID Connect)' }).check();
  await page.getByLabel('Issuer URL').fill('https://127.0.0.1:1/');
  await page.getByLabel('Client ID').fill(oidc.clientId);
  await page.getByLabel('Client secret').fill(oidc.clientSecret);
  await page.getByRole('button', { name: 'Save' }).click();
  // An issuer that cannot be reached is refused, with the reason.
  await expect(page.getByRole('alert')).toContainText('Could not use https://127.0.0.1:1');

  await page.getByLabel('Issuer URL').fill(oidc.issuer);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Sign-in settings saved');
  await open(page, '/manage/settings/sign-in');
  await expect(page.getByRole('radio', { name: 'Single sign-on (OpenID Connect)' })).toBeChecked();
  await expect(page.getByLabel('Issuer URL')).toHaveValue(oidc.issuer);
  await expect(page.getByLabel('Client secret')).toHaveValue('');
  // Write-only: the page never carries the secret.
  expect(await page.content()).not.toContain(oidc.clientSecret);
  await snapshot(page, 'sso-settings');
});

test('R17 the email link signs in through the provider; another account is refused and the link still works', async ({ page }) => {
  test.setTimeout(60_000);
  await asManager(page);
  await inviteOne(page, invitee, 'Sam Match');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  const link = await mail.linkFor(invitee);

  await open(page, link);
  await expect(page.getByRole('heading', { name: 'Sign in with single sign-on' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Set your password' })).toHaveCount(0);
  await snapshot(page, 'sso-invitee');
  await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
  await atProvider(page, 'other');
  await expect(page.getByRole('alert')).toHaveText("This account's email does not match the invitation");
  await snapshot(page, 'sso-mismatch');

  await page.getByRole('link', { name: 'Back to your invitation' }).click();
  await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
  await atProvider(page, 'unverified');
  await expect(page.getByRole('alert')).toContainText('has not verified');

  await open(page, link);
  await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
  await atProvider(page, 'match');
  await completeProfile(page, 'Sam Match', org);

  // R15: used once.
  await open(page, link);
  await expect(page.getByRole('heading', { name: 'This invitation was already accepted' })).toBeVisible();
});

test('later sign-ins go through the provider; a password attempt points to single sign-on', async ({ page }) => {
  await open(page, '/login');
  await page.getByLabel('Email').fill(invitee);
  await page.getByLabel('Password').fill('any password at all');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('single sign-on');
  await snapshot(page, 'sso-login');

  await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
  await atProvider(page, 'match');
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await open(page, '/');
  await expect(page.getByRole('heading', { name: 'Welcome, Sam Match' })).toBeVisible();

  // The Org Manager's own password still works after the switch.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await signIn(page, manager.email, manager.password);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
});

test('R10 a copied SSO link asks for the email address first', async ({ page, browser }) => {
  const copied = 'sso.copy@example.com';
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await asManager(page);
  await inviteOne(page, copied);
  await rowAction(page, copied, 'Copy Invite Link');
  await expect(page.getByRole('status')).toHaveText('Invite link copied to clipboard');
  const url: string = await page.evaluate(() => navigator.clipboard.readText());

  const visitor = await (await browser.newContext()).newPage();
  await open(visitor, url);
  await expect(visitor.getByRole('heading', { name: 'Confirm your email address' })).toBeVisible();
  await expect(visitor.getByRole('button', { name: 'Continue with single sign-on' })).toHaveCount(0);
  await visitor.getByLabel('Email address').fill(copied);
  await visitor.getByRole('button', { name: 'Continue' }).click();
  await visitor.getByRole('button', { name: 'Continue with single sign-on' }).click();
  await atProvider(visitor, 'copy');
  await completeProfile(visitor, 'Cody Copy', org);
  await visitor.context().close();
});
