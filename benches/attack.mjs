// Attacks on a real release server, with the figures SPEC §7 and §8 ask
// for: memory while anonymous sign-in and first-run calls flood in, idle
// sockets, and redirects. Starts its own server on a throw-away SQLite
// database (so the whole run is repeatable) and prints one line a figure.
//
//   cargo leptos build --release && node benches/attack.mjs
//
// ROSTER_RATE_LIMIT is raised for the flood so every call reaches the
// password hashing (the worst case: many clients, not one); the memory
// bound then comes from the hashing gate alone.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';

const port = Number(process.env.ATTACK_PORT ?? 3900);
const base = `http://127.0.0.1:${port}`;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'roster-attack-'));

const server = spawn(path.join(root, 'target/release/roster'), [], {
  cwd: root,
  env: {
    ...process.env,
    LEPTOS_SITE_ROOT: 'target/site',
    LEPTOS_OUTPUT_NAME: 'roster',
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    DATABASE_URL: `sqlite://${dir}/roster.db?mode=rwc`,
    ROSTER_MAIL_DIR: `${dir}/mail`,
    ROSTER_RATE_LIMIT: '100000',
    ROSTER_HEADER_TIMEOUT: process.env.ROSTER_HEADER_TIMEOUT ?? '10s',
    RUST_LOG: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const rssMb = () => {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const post = (p, body) =>
  fetch(base + p, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, accept: 'application/json' },
    body: new URLSearchParams(body).toString(),
    redirect: 'manual',
  });

async function waitReady() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(base + '/healthz')).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error('server did not start');
}

/** Runs `total` calls, `parallel` at a time; samples RSS meanwhile. */
async function flood(name, total, parallel, call) {
  let peak = rssMb();
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 10);
  const statuses = {};
  const started = Date.now();
  for (let sent = 0; sent < total; sent += parallel) {
    const batch = Array.from({ length: Math.min(parallel, total - sent) }, (_, i) => call(sent + i));
    for (const res of await Promise.all(batch)) statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
  clearInterval(sampler);
  const took = Date.now() - started;
  await sleep(2000);
  const after = rssMb();
  console.log(
    `${name}: ${total} calls, ${parallel} at a time, ${took} ms; statuses ${JSON.stringify(statuses)}; ` +
      `peak RSS ${peak.toFixed(1)} MB, 2 s later ${after.toFixed(1)} MB`,
  );
  return { peak, after };
}

/** Opens `count` sockets that send nothing; counts those the server closed after `waitMs`. */
async function idleSockets(count, waitMs) {
  const sockets = await Promise.all(
    Array.from({ length: count }, () => new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.closedByServer = false;
      s.on('end', () => (s.closedByServer = true));
      s.on('close', () => (s.closedByServer = true));
      s.on('error', () => (s.closedByServer = true));
    })),
  );
  await sleep(waitMs);
  const closed = sockets.filter((s) => s.closedByServer).length;
  sockets.forEach((s) => s.destroy());
  const health = await fetch(base + '/healthz').then((r) => r.status).catch(() => 'no answer');
  console.log(`idle sockets: ${count} opened, ${closed} closed by the server after ${waitMs} ms; /healthz meanwhile: ${health}`);
}

async function redirects() {
  const probes = ['/\\evil.example/phish', '/\t/evil.example', '//evil.example', 'https://evil.example', '/ok\u0001', '/manage/settings/users'];
  const out = [];
  for (const next of probes) {
    const res = await post('/api/sign_in', { email: 'ada@example.com', password: 'correct horse battery', next }).catch((e) => ({ status: 'dropped', headers: new Map() }));
    const location = res.headers.get?.('location') ?? '';
    out.push(`${JSON.stringify(next)} -> ${res.status} ${location}`);
  }
  console.log(`redirects after sign-in (${probes.length} probes): ${out.join('; ')}`);
}

try {
  await waitReady();
  await sleep(500);
  const baseline = rssMb();
  console.log(`baseline RSS ${baseline.toFixed(1)} MB`);
  const setup = await post('/api/create_organisation', {
    org_name: 'Acme', your_name: 'Ada', email: 'ada@example.com', password: 'correct horse battery',
  });
  console.log(`first run: ${setup.status}`);
  await flood('first run (setup) flood after setup', 300, 50, (i) =>
    post('/api/create_organisation', {
      org_name: 'Acme', your_name: 'Ada', email: `ada${i}@example.com`, password: 'correct horse battery',
    }),
  );
  const signIn = await flood('sign-in flood', 300, 50, (i) =>
    post('/api/sign_in', { email: i % 2 ? 'ada@example.com' : `nobody${i}@example.com`, password: `wrong password ${i}` }),
  );
  await idleSockets(400, Number(process.env.IDLE_WAIT_MS ?? 12000));
  await redirects();
  const final = rssMb();
  console.log(`after everything: RSS ${final.toFixed(1)} MB (baseline ${baseline.toFixed(1)} MB); peak during sign-in flood ${signIn.peak.toFixed(1)} MB`);
} finally {
  server.kill('SIGTERM');
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
