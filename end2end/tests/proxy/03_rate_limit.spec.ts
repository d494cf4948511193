import { expect, test } from '@playwright/test';
import { manager, signIn } from '../../fixtures/app';
import { proxyURL, rateLimit, type RawResponse, wrongSignInFrom } from '../../fixtures/proxy';

// Behind a trusted proxy (ROSTER_TRUSTED_PROXIES=127.0.0.1) the rate limit
// counts real clients: each loopback address below is a different client to
// nginx, which overwrites X-Forwarded-For with it. ROSTER_RATE_LIMIT=30 per
// minute. The browser is 127.0.0.1 and stays well under its own allowance.
//
// The limiter refills continuously (one request every 2 s at 30 a minute),
// so a client's requests are sent at once: then exactly 30 get through
// however long the password checks behind them take.
test.describe.configure({ mode: 'serial' });

const statuses = (responses: RawResponse[]) => responses.map((r) => r.status).sort((a, b) => a - b);

test('a client over the limit gets 429 with a JSON body; a spoofed X-Forwarded-For does not help', async () => {
  test.setTimeout(90_000);
  const plain = Array.from({ length: rateLimit + 1 }, () => wrongSignInFrom('127.0.0.2'));
  // nginx replaces the header with 127.0.0.2: no allowance of its own.
  const spoofed = wrongSignInFrom('127.0.0.2', { 'x-forwarded-for': '203.0.113.9' });
  const responses = await Promise.all([...plain, spoofed]);

  // 32 requests from one client: 30 answered on their merits (bad credentials), 2 refused.
  expect(statuses(responses)).toEqual([...Array(rateLimit).fill(401), 429, 429]);
  for (const refused of responses.filter((r) => r.status === 429)) {
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(() => JSON.parse(refused.body), refused.body).not.toThrow();
  }
});

test('other clients are unaffected: another address gets 401, the browser signs in', async ({ page }) => {
  // 127.0.0.2 has just used up its allowance; 127.0.0.3 has its own.
  const other = await wrongSignInFrom('127.0.0.3');
  expect(other.status, other.body).toBe(401);

  // The browser (127.0.0.1) still signs in.
  await signIn(page, manager.email, manager.password);
  await expect(page).toHaveURL(`${proxyURL}/manage/settings/users`);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
});

test('varying X-Forwarded-For does not buy a client fresh allowances', async () => {
  test.setTimeout(90_000);
  // If Roster believed the client's header, each of these would be a new client.
  const responses = await Promise.all(
    Array.from({ length: rateLimit + 1 }, (_, i) =>
      wrongSignInFrom('127.0.0.5', { 'x-forwarded-for': `203.0.113.${i + 1}` }),
    ),
  );
  expect(statuses(responses)).toEqual([...Array(rateLimit).fill(401), 429]);
});
