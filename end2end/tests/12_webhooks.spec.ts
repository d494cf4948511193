import { expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address, eventually, inviteOne, open, rowAction, signInAsManager, snapshot } from '../fixtures/app';
import { urlOf, webhookReceiverPort } from '../fixtures/ports';

// Step 10: an Org Manager registers a webhook endpoint in Platform Settings
// (a page of plain forms), copies its signing secret, and a real receiver
// (fixtures/webhook-receiver.mjs, which checks signatures with node:crypto)
// gets the events it asked for; the page lists each delivery's HTTP status.

/** Starts the receiver verifying with `secret`; resolves once it listens. */
function startReceiver(dir: string, secret: string): Promise<ChildProcess> {
  const child = spawn('node', ['fixtures/webhook-receiver.mjs', '--port', String(webhookReceiverPort), '--dir', dir, '--secret', secret], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (line) => (String(line).startsWith('ready') ? resolve(child) : reject(new Error(String(line)))));
    child.once('exit', (code) => reject(new Error(`webhook receiver exited with ${code}`)));
  });
}

test('a webhook endpoint gets the events it chose, signed, and the page shows each delivery', async ({ page, request }) => {
  const ivy = address('ivy-hook');
  const endpoint = `http://127.0.0.1:${webhookReceiverPort}/hooks`;
  await signInAsManager(page);
  await open(page, '/manage/settings/webhooks');
  await expect(page.getByRole('heading', { name: 'Webhooks' })).toBeVisible();
  await expect(page.getByText('No endpoints yet.')).toBeVisible();

  // Refused: plain http to another machine. What was typed and ticked stays.
  const form = page.getByRole('form', { name: 'Add an endpoint' });
  await form.getByLabel('Endpoint URL').fill('http://hr.example.com/roster');
  for (const event of ['invitation.resent', 'invitation.accepted', 'invitation.expired', 'email.failed']) {
    await form.getByRole('checkbox', { name: event }).uncheck();
  }
  await form.getByRole('button', { name: 'Add endpoint' }).click();
  await expect(page.getByRole('alert')).toHaveText(
    'Endpoint URL must use https:// (plain http:// only for a receiver on this machine).',
  );
  await expect(form.getByLabel('Endpoint URL')).toHaveValue('http://hr.example.com/roster');
  await expect(form.getByRole('checkbox', { name: 'invitation.created' })).toBeChecked();
  await expect(form.getByRole('checkbox', { name: 'invitation.revoked' })).toBeChecked();
  await expect(form.getByRole('checkbox', { name: 'email.failed' })).not.toBeChecked();
  await snapshot(page, 'webhooks-refused');

  await form.getByLabel('Endpoint URL').fill(endpoint);
  await form.getByRole('button', { name: 'Add endpoint' }).click();
  await expect(page.getByRole('status')).toHaveText('Endpoint added. Copy its signing secret into your receiver, then send it a test event.');
  const card = page.getByRole('listitem', { name: endpoint });
  await expect(card).toContainText('Events: invitation.created, invitation.revoked');
  const secret = await card.getByRole('textbox', { name: `Signing secret of ${endpoint}` }).inputValue();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  await snapshot(page, 'webhooks-added');

  const dir = mkdtempSync(join(tmpdir(), 'roster-hooks-'));
  const receiver = await startReceiver(dir, secret);
  try {
    // A test event first: the address and the secret are right.
    await page.getByRole('button', { name: `Send a test event to ${endpoint}` }).click();
    await expect(page.getByRole('status')).toHaveText('Test event queued. Its delivery is listed below; reload to see the answer.');
    await eventually(async () => {
      const received = await (await request.get(`${urlOf(webhookReceiverPort)}/received`)).json();
      expect(received.filter((r: { type: string; verified: boolean }) => r.type === 'webhook.test' && r.verified)).toHaveLength(1);
    });

    await open(page, '/manage/settings/users');
    await inviteOne(page, ivy);
    await rowAction(page, ivy, 'Revoke Invite');
    await expect(page.getByRole('status')).toHaveText(`Invitation for ${ivy} revoked`);

    // The receiver verified both, once each.
    await eventually(async () => {
      const received = await (await request.get(`${urlOf(webhookReceiverPort)}/received`)).json();
      const mine = received.filter((r: { body: string }) => r.body.includes(ivy));
      expect(mine.map((r: { type: string }) => r.type)).toEqual(['invitation.created', 'invitation.revoked']);
      expect(mine.every((r: { verified: boolean }) => r.verified)).toBe(true);
      expect(new Set(mine.map((r: { id: string }) => r.id)).size).toBe(2);
    });

    await open(page, '/manage/settings/webhooks');
    const deliveries = page.getByRole('table', { name: 'Recent deliveries' });
    for (const event of ['webhook.test', 'invitation.created', 'invitation.revoked']) {
      const row = deliveries.getByRole('row').filter({ hasText: event }).first();
      await expect(row).toContainText('Delivered');
      await expect(row).toContainText('204');
    }
    await snapshot(page, 'webhooks');
  } finally {
    receiver.kill();
    rmSync(dir, { recursive: true, force: true });
  }

  // Deleted, it hears no more.
  await page.getByRole('button', { name: `Delete ${endpoint}` }).click();
  await expect(page.getByRole('status')).toHaveText('Endpoint deleted.');
  await expect(page.getByText('No endpoints yet.')).toBeVisible();
});
