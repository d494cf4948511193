import { defineConfig } from '@playwright/test';

const port = Number(process.env.ROSTER_E2E_PORT ?? 3100);
export const shortTtlPort = port + 100;

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
  // The specs share one server and one database, and first run happens once.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
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
  webServer: [
    server(port, {}),
    // A second server whose links expire in seconds (R11, R13): its own
    // database and SMTP server, used by the expiry spec.
    server(shortTtlPort, { ROSTER_INVITE_TTL: '6s' }),
  ],
});
