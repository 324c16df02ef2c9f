import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { PasswordFile } from '../../exporter/console/index.ts';
import { buildConsole } from '../../scripts/build-console.mjs';
import { connect, eventually, publish, startApp } from '../support/app.ts';
import { axeSerious, launch, screenshot, type Browser } from './browser.ts';

describe('console administration in chromium', () => {
  let env: Awaited<ReturnType<typeof startApp>>;
  let browser: Browser;
  let page: Page;

  before(async () => {
    await buildConsole();
    env = await startApp({ 'mqtt.publicWsPort': -1 });
    await PasswordFile.inDataDir(env.dataDir).set('root', 'admin', 'administrator-pass-1');
    browser = await launch();
    page = await browser.context.newPage();
    await page.goto(env.info.url + '/console');
    await page.fill('input[name="username"]', 'root');
    await page.fill('input[name="password"]', 'administrator-pass-1');
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="alert-board"]');
  });
  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('an admin adds a sensor in the UI; its secret is shown once and it publishes over MQTT right after', async () => {
    await page.goto(env.info.url + '/console#/admin');
    await page.waitForSelector('[data-testid="admin-sensors"]');
    const form = page.locator('[data-testid="add-sensor"]');
    await form.locator('input[name="id"]').fill('fl-console-added');
    await form.locator('select[name="kind"]').selectOption('water-level');
    await form.locator('input[name="nameZh"]').fill('主控台新增 淹水感測器');
    await form.locator('input[name="nameEn"]').fill('Flood sensor added in the console');
    await form.locator('input[name="district"]').fill('68000010');
    await form.locator('input[name="params"]').fill('{"station":"road-flood","floodThresholdCm":10}');
    await form.locator('button[type="submit"]').click();
    const text = (await page.locator('[data-testid="secret-once"]').textContent({ timeout: 5000 })) ?? '';
    const secret = /fl-console-added: (\S+)/.exec(text)?.[1];
    assert.ok(secret, `secret shown once: ${text}`);
    await screenshot(page, 'console-admin');
    assert.deepEqual(await axeSerious(page), []);
    const c = await connect(env.mqttUrl, 'fl-console-added', secret);
    try {
      await publish(c, 'sensors/water-level/fl-console-added/telemetry', JSON.stringify({ dateObserved: Date.now(), floodDepth: 2 }));
    } finally {
      c.end(true);
    }
    await eventually(async () => (await env.json<{ items: { sensorId: string }[] }>('/api/v1/latest')).items.some((i) => i.sensorId === 'fl-console-added'), 'the new sensor in /api/v1/latest');
    // Shown once: after a reload the secret is gone from the page.
    await page.reload();
    await page.waitForSelector('[data-testid="admin-sensors"]');
    assert.equal(await page.locator('[data-testid="secret-once"]').count(), 0);
  });
});
