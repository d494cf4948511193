import { expect, test } from '@playwright/test';
import { manager, open, signIn, snapshot } from '../../fixtures/app';
import { proxyURL, requestFrom, upstreamPort } from '../../fixtures/proxy';

// Roster behind nginx terminating TLS (proxy/start-proxy.sh): nginx rewrites
// Host to 127.0.0.1:<upstream port>, so links, cookies and the CSRF check
// must follow ROSTER_PUBLIC_URL (https://localhost:3443), not the request.
// This server has its own empty database: first run happens here.
test.describe.configure({ mode: 'serial' });

test('first run through the proxy; the session cookie is Secure and HttpOnly', async ({ page, context }) => {
  await open(page, '/');
  await expect(page.getByRole('heading', { name: 'Create your organisation' })).toBeVisible();
  await page.getByLabel('Organisation name').fill(manager.org);
  await page.getByLabel('Your name').fill(manager.name);
  await page.getByLabel('Email').fill(manager.email);
  await page.getByLabel('Password').fill(manager.password);
  // A POST whose Origin (https://localhost:3443) differs from the Host nginx sent.
  await page.getByRole('button', { name: 'Create organisation' }).click();

  await expect(page).toHaveURL(`${proxyURL}/manage/settings/users`);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await expect(page.getByRole('cell', { name: manager.email, exact: true })).toBeVisible();
  await snapshot(page, 'proxy-first-run-done');

  const session = (await context.cookies(proxyURL)).find((c) => c.name === 'roster_session');
  expect(session, 'the session cookie').toBeDefined();
  expect(session!.secure).toBe(true);
  expect(session!.httpOnly).toBe(true);
  expect(session!.sameSite).toBe('Lax');
});

test('pages carry Strict-Transport-Security over https', async ({ page }) => {
  const response = await page.goto('/login');
  expect(response?.status()).toBe(200);
  expect(response?.headers()['strict-transport-security']).toMatch(/max-age=\d+/);
});

test('sign out and sign in through the proxy: the POSTs pass the CSRF check', async ({ page, context }) => {
  await signIn(page, manager.email, manager.password);
  await expect(page).toHaveURL(`${proxyURL}/manage/settings/users`);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect((await context.cookies(proxyURL)).find((c) => c.name === 'roster_session' && c.value)).toBeUndefined();
  await open(page, '/manage/settings/users');
  await expect(page).toHaveURL(/\/login$/);

  await signIn(page, manager.email, manager.password);
  await expect(page).toHaveURL(`${proxyURL}/manage/settings/users`);
  const session = (await context.cookies(proxyURL)).find((c) => c.name === 'roster_session');
  expect(session?.secure).toBe(true);
  expect(session?.httpOnly).toBe(true);
});

test('the CSRF check compares Origin with ROSTER_PUBLIC_URL, not with the Host nginx sent', async () => {
  // Another client (127.0.0.4), so the browser's rate-limit allowance is untouched.
  // Origin equal to the rewritten Host, but not the public URL: refused.
  const hostLike = await requestFrom('127.0.0.4', 'POST', '/api/sign_out', '', {
    origin: `http://127.0.0.1:${upstreamPort}`,
    'content-type': 'application/x-www-form-urlencoded',
  });
  expect(hostLike.status, hostLike.body).toBe(403);
  const evil = await requestFrom('127.0.0.4', 'POST', '/api/sign_out', '', {
    origin: 'https://evil.example',
    'content-type': 'application/x-www-form-urlencoded',
  });
  expect(evil.status, evil.body).toBe(403);
  // The public origin is our own site.
  const own = await requestFrom('127.0.0.4', 'POST', '/api/sign_out', '', {
    origin: proxyURL,
    'content-type': 'application/x-www-form-urlencoded',
  });
  expect(own.status, own.body).not.toBe(403);
});
