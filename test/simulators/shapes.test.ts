import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sensor } from '../../domain/index.ts';
import { createSensorSource, createWeather } from '../../simulators/index.ts';
import { demoRegistry } from './validate.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const registry = demoRegistry();
const ofKind = (kind: Sensor['kind']) => [...registry.sensors()].filter((s) => s.kind === kind);
const SEED = 21;

/** Readings of a sensor at its interval over [from, from + days), as (t, values). */
function series(sensor: Sensor, from: number, days: number, seed = SEED, stepMs = sensor.intervalSeconds * 1000) {
  const src = createSensorSource(sensor, seed);
  const out: Array<{ t: number; v: Record<string, number | string> }> = [];
  for (let t = from; t < from + days * DAY; t += stepMs) out.push({ t, v: src.next(t) });
  return out;
}

const localHour = (t: number) => Math.floor(((t + 8 * HOUR) % DAY) / HOUR);
const localDow = (t: number) => (Math.floor((t + 8 * HOUR) / DAY) + 4) % 7;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('diurnal and weekly shapes', () => {
  it('PM2.5 is higher in the 08:00 rush hour than at 03:00, averaged over weekdays of two months', () => {
    const at: Record<number, number[]> = { 3: [], 8: [] };
    for (const s of ofKind('air-quality')) {
      for (const { t, v } of series(s, Date.parse('2025-10-01T00:00:00+08:00'), 60)) {
        const h = localHour(t);
        const d = localDow(t);
        if ((h === 3 || h === 8) && d >= 1 && d <= 5) at[h]!.push(v.pm25 as number);
      }
    }
    assert.ok(mean(at[8]!) > mean(at[3]!) * 1.15, `08:00 ${mean(at[8]!).toFixed(1)} vs 03:00 ${mean(at[3]!).toFixed(1)}`);
  });

  it('PM2.5 rises during pollution episodes and in winter', () => {
    const weather = createWeather(SEED);
    const calm: number[] = [];
    const episode: number[] = [];
    const winter: number[] = [];
    const summer: number[] = [];
    for (const s of ofKind('air-quality')) {
      for (const month of ['2025-01-01', '2025-07-01']) {
        for (const { t, v } of series(s, Date.parse(`${month}T00:00:00+08:00`), 31, SEED, 10 * 60_000)) {
          const pm = v.pm25 as number;
          (month.startsWith('2025-01') ? winter : summer).push(pm);
          const f = weather.pollutionFactor(t);
          if (f > 1.8) episode.push(pm);
          else if (f === 1) calm.push(pm);
        }
      }
    }
    assert.ok(episode.length > 0, 'no pollution episode in two months');
    assert.ok(mean(episode) > mean(calm) * 1.4, `episode ${mean(episode).toFixed(1)} vs calm ${mean(calm).toFixed(1)}`);
    assert.ok(mean(winter) > mean(summer), `winter ${mean(winter).toFixed(1)} vs summer ${mean(summer).toFixed(1)}`);
  });

  it('parking occupancy follows commuting: weekday 10:00 far above 03:00; the office lot empties at weekends', () => {
    for (const s of ofKind('parking').filter((p) => p.tags.includes('commuter') || p.tags.includes('office'))) {
      const capacity = s.params.capacity as number;
      const by: Record<string, number[]> = { wd10: [], wd03: [], we10: [] };
      for (const { t, v } of series(s, Date.parse('2025-03-03T00:00:00+08:00'), 28)) {
        const ratio = (capacity - (v.availableSpotNumber as number)) / capacity;
        const h = localHour(t);
        const weekend = localDow(t) === 0 || localDow(t) === 6;
        if (h === 10) (weekend ? by.we10 : by.wd10)!.push(ratio);
        if (h === 3 && !weekend) by.wd03!.push(ratio);
      }
      assert.ok(mean(by.wd10!) > mean(by.wd03!) + 0.4, `${s.id}: 10:00 ${mean(by.wd10!)} vs 03:00 ${mean(by.wd03!)}`);
      if (s.tags.includes('office')) assert.ok(mean(by.we10!) < mean(by.wd10!) - 0.4, `${s.id} weekend ${mean(by.we10!)}`);
    }
  });
});

describe('streetlights', () => {
  it('switch on at dusk and off at dawn per schedule on nearly every day', () => {
    let days = 0;
    let onTime = 0;
    let offTime = 0;
    for (const s of ofKind('streetlight')) {
      const sched = s.params.schedule as { on: string; off: string };
      const [onH, onM] = sched.on.split(':').map(Number) as [number, number];
      const [offH, offM] = sched.off.split(':').map(Number) as [number, number];
      const src = createSensorSource(s, SEED);
      for (let d = 0; d < 30; d++) {
        const day = Date.parse('2025-04-01T00:00:00+08:00') + d * DAY;
        const onAt = day + (onH * 60 + onM) * 60_000;
        const offAt = day + (offH * 60 + offM) * 60_000;
        // Step through the day every 5 minutes (the sensor's interval), noting the state either side of each switch.
        const state = new Map<number, string>();
        for (let t = day; t < day + DAY; t += 5 * 60_000) state.set(t, src.next(t).powerState as string);
        days++;
        const lit = (t: number) => state.get(t) === 'on' || state.get(t) === 'low';
        if (!lit(onAt - 5 * 60_000) && lit(onAt)) onTime++;
        if (lit(offAt - 5 * 60_000) && !lit(offAt)) offTime++;
      }
    }
    // Stuck relays (lamp burning in daylight) are rare injected failures, so allow a few misses.
    assert.ok(onTime >= days * 0.95, `switched on at schedule on ${onTime}/${days} days`);
    assert.ok(offTime >= days * 0.95, `switched off at schedule on ${offTime}/${days} days`);
  });

  it('show failed lamps as defectiveLamp with zero draw while scheduled on, and draw power otherwise', () => {
    let defectiveOn = 0;
    for (const s of ofKind('streetlight')) {
      const rated = s.params.ratedPowerW as number;
      for (const { v } of series(s, Date.parse('2025-08-01T00:00:00+08:00'), 30)) {
        const lit = v.powerState === 'on' || v.powerState === 'low';
        if (v.status === 'defectiveLamp' && lit) {
          defectiveOn++;
          assert.equal(v.powerConsumption, 0);
        } else if (lit) {
          assert.ok((v.powerConsumption as number) > rated * 0.4, `${s.id} draws ${v.powerConsumption} W`);
        } else {
          assert.equal(v.powerConsumption, 0);
        }
      }
    }
    assert.ok(defectiveOn > 0, 'no lamp failed in a month of 15 lamps');
  });
});

describe('water level', () => {
  it('road flood depth is 0 most of the time, and each flood rises to a peak and recedes to 0 within hours', () => {
    const weather = createWeather(SEED);
    let events = 0;
    for (const s of ofKind('water-level').filter((x) => x.params.station === 'road-flood')) {
      const readings = series(s, Date.parse('2025-06-01T00:00:00+08:00'), 92);
      const dry = readings.filter((r) => r.v.floodDepth === 0).length;
      assert.ok(dry / readings.length > 0.97, `${s.id} dry only ${dry}/${readings.length}`);
      let i = 0;
      while (i < readings.length) {
        if ((readings[i]!.v.floodDepth as number) === 0) {
          i++;
          continue;
        }
        const begin = i;
        while (i < readings.length && (readings[i]!.v.floodDepth as number) > 0) i++;
        const event = readings.slice(begin, i);
        if (i === readings.length) break; // runs past the window: cannot judge the recession
        events++;
        const depths = event.map((r) => r.v.floodDepth as number);
        const peak = Math.max(...depths);
        const peakAt = depths.indexOf(peak);
        // Rise: non-decreasing up to the peak (a reservoir fed by a single storm); recession: back to 0.
        for (let k = 1; k <= peakAt; k++) assert.ok(depths[k]! >= depths[k - 1]! - 0.5, `${s.id} falls during rise`);
        assert.ok(event.length * s.intervalSeconds < 12 * 3600, `${s.id} flood lasted ${event.length} readings`);
        assert.ok(event.some((r) => weather.rainMmPerHour(r.t) > 20), `${s.id} flooded without heavy rain`);
      }
    }
    assert.ok(events >= 3, `only ${events} road flood events in a wet season`);
  });

  it('river stages rise with storms, sometimes past warning level 3, and recede to normal', () => {
    let crossings = 0;
    for (const s of ofKind('water-level').filter((x) => x.params.station === 'river')) {
      const w = s.params.warningLevels as { level3: number; level2: number; level1: number };
      const readings = series(s, Date.parse('2025-05-01T00:00:00+08:00'), 153);
      const levels = readings.map((r) => r.v.currentLevel as number);
      const sorted = [...levels].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      const peak = sorted[sorted.length - 1]!;
      assert.ok(median < w.level3, `${s.id} median ${median} at or above level 3`);
      assert.ok(peak > median + 0.5 * (w.level2 - w.level3), `${s.id} never rose: peak ${peak}, median ${median}`);
      if (peak >= w.level3) crossings++;
      // Recession: two days after the peak the stage is back near normal.
      const peakIdx = levels.indexOf(peak);
      const later = levels[peakIdx + 2 * 144];
      if (later !== undefined) assert.ok(later < median + (peak - median) * 0.6, `${s.id} did not recede: ${later}`);
    }
    assert.ok(crossings >= 1, 'no river reached warning level 3 in a wet season');
  });
});
