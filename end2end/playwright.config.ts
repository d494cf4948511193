import { defineConfig } from '@playwright/test';
import { firstRunPort, oidc, port, reminderPort, shortTtlPort, ssoPort } from './fixtures/ports';
import { proxyPort, proxyURL, upstreamPort } from './fixtures/proxy';

function server(port: number, env: Record<string, string>) {
  return {
    command: './start-server.sh',
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: { ROSTER_E2E_PORT: String(port), ...env },
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 5000 },
  };
}

export default defineConfig({
  testDir: './tests',
  // Specs build their own state but share the servers' databases: one at a time.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download cannot work here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    // The specs against the plain http servers on loopback.
    {
      name: 'default',
      testIgnore: '**/proxy/**',
      use: { baseURL: `http://127.0.0.1:${port}` },
    },
    // The same app through nginx terminating TLS (tests/proxy/ only).
    {
      name: 'proxy',
      testDir: './tests/proxy',
      use: { baseURL: proxyURL, ignoreHTTPSErrors: true },
    },
  ],
  webServer: [
    server(port, {}),
    // An empty database for the first-run spec; every other spec on the
    // first server creates the organisation itself if it is missing.
    server(firstRunPort, {}),
    // A second server whose links expire in seconds (R11, R13): its own
    // database and SMTP server, used by the expiry spec.
    server(shortTtlPort, { ROSTER_INVITE_TTL: '6s' }),
    // A fourth whose organisation switches to single sign-on (spec 09), and
    // the local OpenID provider it signs in through (oidc/provider.mjs).
    server(ssoPort, {}),
    // A fifth whose reminder schedules count days of 2 s, looked at every
    // second (spec 10, R27).
    server(reminderPort, { ROSTER_REMINDER_DAY: '2s', ROSTER_REMINDER_EVERY: '1s' }),
    {
      command: './oidc/start-provider.sh',
      url: `${oidc.issuer}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe' as const,
      stderr: 'pipe' as const,
      env: { ROSTER_E2E_PORT: String(port), ROSTER_E2E_OIDC_PORT: String(oidc.port) },
      gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 5000 },
    },
    // A third server behind nginx on https://localhost:3443 with a
    // self-signed certificate, trusted proxy 127.0.0.1 and a rate limit of
    // 30 public requests per minute per client (proxy/start-proxy.sh).
    {
      command: './proxy/start-proxy.sh',
      url: `${proxyURL}/healthz`,
      ignoreHTTPSErrors: true,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe' as const,
      stderr: 'pipe' as const,
      env: { ROSTER_E2E_PROXY_PORT: String(proxyPort), ROSTER_E2E_UPSTREAM_PORT: String(upstreamPort) },
      gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 5000 },
    },
  ],
});
