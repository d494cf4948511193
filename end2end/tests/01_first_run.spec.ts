import { expect, test } from '@playwright/test';
import { ensureOrganisation, manager, open, signIn, signInAsManager, snapshot } from '../fixtures/app';
import { firstRunPort, urlOf } from '../fixtures/ports';

test.describe('on a server with an empty database', () => {
  // Its own server, so first run happens here whichever spec ran before.
  test.use({ baseURL: urlOf(firstRunPort) });
  test.describe.configure({ mode: 'serial' });

  test('first run creates the organisation and its first Org Manager', async ({ page }) => {
    await open(page, '/');
    await expect(page.getByRole('heading', { name: 'Create your organisation' })).toBeVisible();
    await snapshot(page, 'first-run');

    await page.getByLabel('Organisation name').fill(manager.org);
    await page.getByLabel('Your name').fill(manager.name);
    await page.getByLabel('Email').fill(manager.email);
    await page.getByLabel('Password').fill(manager.password);
    await page.getByRole('button', { name: 'Create organisation' }).click();

    await expect(page).toHaveURL(/\/manage\/settings\/users$/);
    await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
    await expect(page.getByRole('cell', { name: manager.email, exact: true })).toBeVisible();
  });

  test('first run is offered only once', async ({ page }) => {
    await open(page, '/');
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Create your organisation' })).toHaveCount(0);
  });
});

test('the Manage menu leads to Platform Settings; sign out ends the session', async ({ page }) => {
  await signInAsManager(page);

  await open(page, '/');
  await page.getByRole('button', { name: 'Manage' }).click();
  await page.getByRole('link', { name: 'Platform Settings' }).click();
  await expect(page).toHaveURL(/\/manage\/settings\/users$/);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await snapshot(page, 'platform-settings-users');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  // The session is gone on the server, not just hidden: the page sends us back.
  await open(page, '/manage/settings/users');
  await expect(page).toHaveURL(/\/login$/);
});

test('sign in again works; a wrong password is refused without saying why', async ({ page }) => {
  await ensureOrganisation(page);
  await signIn(page, manager.email, 'wrong password!');
  await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');
  // A plain form post: the refusal comes back to /login with the error in the query.
  await expect(page).toHaveURL(/\/login(\?.*)?$/);
  await snapshot(page, 'login-refused');

  await signIn(page, 'nobody@example.com', manager.password);
  await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');

  await signIn(page, manager.email, manager.password);
  await expect(page).toHaveURL(/\/manage\/settings\/users$/);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
});

test('health check answers', async ({ request }) => {
  const response = await request.get('/healthz');
  expect(response.status()).toBe(200);
});
