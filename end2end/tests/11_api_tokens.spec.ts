import { expect, test } from '@playwright/test';
import { address, inviteOne, open, signInAsManager, snapshot } from '../fixtures/app';

// Step 10: an Org Manager makes an API token in Platform Settings, copies its
// secret (shown once), a script lists users with it, and revoking it stops it.
test('an API token is shown once, works for /api/v1, and stops when revoked', async ({ page }) => {
  const ivy = address('ivy-api');
  await signInAsManager(page);
  await inviteOne(page, ivy);
  await open(page, '/manage/settings/api-tokens');
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  const name = `HR sync ${Date.now().toString(36)}`;
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Expires after (days, optional)').fill('0');
  await page.getByRole('button', { name: 'Make token' }).click();
  await expect(page.getByRole('alert')).toHaveText('A token lasts from 1 to 3650 days, or until it is revoked.');
  await page.getByLabel('Expires after (days, optional)').fill('30');
  await page.getByRole('button', { name: 'Make token' }).click();
  const secret = await page.getByRole('textbox', { name: 'New API token' }).inputValue();
  expect(secret).toMatch(/^roster_[A-Za-z0-9_-]{43}$/);
  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText('Active');
  await expect(row).toContainText(`…${secret.slice(-4)}`);
  await snapshot(page, 'api-tokens');

  // A script: no cookies, the token only.
  const script = await page.context().browser()!.newContext();
  const users = await script.request.get(`${new URL(page.url()).origin}/api/v1/users?q=${encodeURIComponent(ivy)}`, {
    headers: { Authorization: `Bearer ${secret}` },
  });
  expect(users.status()).toBe(200);
  const body = await users.json();
  expect(body.users.map((u: { email: string }) => u.email)).toEqual([ivy]);

  // Shown once: a reload lists the token without its secret.
  await page.reload();
  await expect(page.getByRole('textbox', { name: 'New API token' })).toHaveCount(0);
  await expect(row).toContainText('Active');
  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(row).toContainText('Revoked');
  const refused = await script.request.get(`${new URL(page.url()).origin}/api/v1/users`, {
    headers: { Authorization: `Bearer ${secret}` },
  });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe('unauthenticated');
  await script.close();
});
