import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { createMailer } from '../../alerts/delivery/email.ts';
import { backoffMs, withRetry, type AttemptReport } from '../../alerts/delivery/retry.ts';
import { postWebhook, signWebhook, verifyWebhook } from '../../alerts/delivery/webhook.ts';
import { AlertStateStore } from '../../alerts/state-store.ts';
import { addStaff, verifyToken } from '../../alerts/staff-tokens.ts';

const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let s = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (s += c));
  req.on('end', () => resolve(s));
});
const listen = (srv: Server) => new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port)));

describe('webhook (WH1–WH3) against a real HTTP receiver', () => {
  const secret = 'a-test-secret-of-32-characters!!';
  it('the receiver verifies the HMAC over timestamp.body; tampering, wrong secret and old timestamps fail', async () => {
    const got: { ok: boolean; raw: string }[] = [];
    const srv = createServer(async (req, res) => {
      const raw = await body(req);
      const v = verifyWebhook(secret, req.headers, raw, Date.now());
      got.push({ ok: v.ok, raw });
      res.statusCode = v.ok ? 204 : 401;
      res.end();
    });
    const port = await listen(srv);
    await postWebhook({ url: `http://127.0.0.1:${port}/hook`, secret }, { hello: '世界' }, Date.now());
    await assert.rejects(postWebhook({ url: `http://127.0.0.1:${port}/hook`, secret: 'another-secret-of-32-characters!' }, { x: 1 }, Date.now()), /answered 401/);
    srv.close();
    assert.deepEqual(got.map((g) => g.ok), [true, false]);
    assert.equal(JSON.parse(got[0]!.raw).hello, '世界');
    const ts = Math.floor(Date.now() / 1000);
    const sig = signWebhook(secret, ts, '{"a":1}');
    assert.equal(verifyWebhook(secret, { 'x-civic-timestamp': String(ts), 'x-civic-signature': sig }, '{"a":2}', Date.now()).ok, false, 'body tampered');
    assert.deepEqual(verifyWebhook(secret, { 'x-civic-timestamp': String(ts - 600), 'x-civic-signature': signWebhook(secret, ts - 600, '{}') }, '{}', Date.now()), { ok: false, reason: 'timestamp outside the replay window' });
  });

  it('RY1/RY2 retries with doubling backoff, then dead-letters', async () => {
    let calls = 0;
    const srv = createServer((_req, res) => {
      calls++;
      res.statusCode = calls < 3 ? 503 : 200;
      res.end();
    });
    const port = await listen(srv);
    const reports: AttemptReport[] = [];
    const slept: number[] = [];
    const policy = { maxAttempts: 5, baseMs: 100, maxMs: 250 };
    const ok = await withRetry(() => postWebhook({ url: `http://127.0.0.1:${port}/`, secret }, {}, Date.now()), policy, (r) => reports.push(r), async (ms) => void slept.push(ms));
    assert.equal(ok, true);
    assert.deepEqual(reports.map((r) => r.ok), [false, false, true]);
    assert.deepEqual(slept, [100, 200]);
    srv.close();
    const dead: AttemptReport[] = [];
    const ok2 = await withRetry(() => postWebhook({ url: `http://127.0.0.1:${port}/`, secret }, {}, Date.now(), 500), { maxAttempts: 2, baseMs: 1, maxMs: 1 }, (r) => dead.push(r), async () => undefined);
    assert.equal(ok2, false);
    assert.deepEqual(dead.map((r) => r.dead), [false, true]);
    assert.equal(backoffMs(policy, 10), 250);
  });
});

describe('e-mail over a real SMTP server (smtp-server)', () => {
  it('delivers a bilingual message; a refused RCPT is an error', async () => {
    const mails: { to: string[]; data: string }[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(addr, _s, cb) {
        cb(addr.address.endsWith('@example.org') ? null : new Error('no such mailbox'));
      },
      onData(stream, session, cb) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
          cb();
        });
      },
    });
    const port = await new Promise<number>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve((smtp.server.address() as AddressInfo).port)));
    const mailer = createMailer({ host: '127.0.0.1', port, ignoreTLS: true, from: 'alerts@civicstream.example' });
    await mailer.send('duty@example.org', '[緊急 Critical] 測試 test', '河川水位達一級警戒\nRiver at warning level 1');
    await assert.rejects(mailer.send('someone@elsewhere.net', 's', 't'));
    mailer.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0]!.to, ['duty@example.org']);
    assert.match(mails[0]!.data, /Subject: =\?UTF-8\?/);
  });
});

describe('alert state store (SS-1..SS-3) and staff tokens (TK1–TK2)', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('survives a reopen, skips a torn last line, stores only token hashes', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-alerts-'));
    dirs.push(dir);
    const s1 = await AlertStateStore.open(dir);
    const alert = { id: 'r:s:1', ruleId: 'r', subject: 's', kind: 'water-level' as const, district: 'd', severity: 'critical' as const, state: 'open' as const, openedAt: 1, updatedAt: 1, field: 'f', value: 1, threshold: 1, message: { 'zh-TW': 'x', en: 'x' } };
    await Promise.all([s1.recordChanges([{ type: 'opened', alert }], 1), s1.addNote({ alertId: alert.id, by: 'amy', at: 2, text: '已派員' }), s1.addDelivery({ alertId: alert.id, channel: 'email', target: 'a@b', reason: 'opened', attempt: 1, status: 'sent', at: 3 })]);
    const { token } = await addStaff(s1, 'amy', 'operator', 4);
    await s1.close();
    await appendFile(path.join(dir, 'alert-state.jsonl'), '{"t":"note","v":{"alertId":"r:s:1"'); // torn write
    const file = await readFile(path.join(dir, 'alert-state.jsonl'), 'utf8');
    assert.ok(!file.includes(token), 'the token itself is never stored');
    const s2 = await AlertStateStore.open(dir);
    assert.equal(s2.openAlerts()[0]!.id, alert.id);
    assert.equal(s2.notes.get(alert.id)!.length, 1);
    assert.equal(s2.deliveries.get(alert.id)![0]!.status, 'sent');
    assert.equal(verifyToken(s2, token)?.name, 'amy');
    assert.equal(verifyToken(s2, token + 'x'), undefined);
    await s2.close();
  });
});
