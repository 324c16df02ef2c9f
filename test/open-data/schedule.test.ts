import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { scheduleDailyExport, taipeiDate } from '../../exporter/open-data/index.ts';

describe('daily export job', () => {
  it('taipeiDate uses the Taipei calendar day', () => {
    assert.equal(taipeiDate(Date.parse('2026-11-21T16:30:00Z')), '2026-11-22');
    assert.equal(taipeiDate(Date.parse('2026-11-21T15:59:59Z')), '2026-11-21');
  });

  it('fires at the configured minute after Taipei midnight and exports the previous day, then re-arms', async () => {
    // 100 ms before 00:30 Taipei on 2026-11-23.
    let now = Date.parse('2026-11-23T00:29:59.900+08:00');
    const ran: string[] = [];
    const fired = new Promise<void>((resolve) => {
      const job = scheduleDailyExport({
        minuteOfDay: 30,
        now: () => now,
        logger: pino({ level: 'silent' }),
        run: async (date) => {
          ran.push(date);
          now += 86_400_000; // the next arm must target the following day, not fire again at once
          job.stop();
          resolve();
        },
      });
    });
    // The job's timer is unref'd (it must not keep a stopping process alive); hold the loop open here.
    const keepAlive = setTimeout(() => undefined, 5000);
    await fired;
    clearTimeout(keepAlive);
    assert.deepEqual(ran, ['2026-11-22']);
  });
});
