import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALERTS, openEnv, type Env } from './fixture.ts';
import { requireXsd, xmllint, xpath } from './xml.ts';

const cap = (local: string) => `/*[local-name()='alert']/*[local-name()='${local}']`;
const info = (n: number, local: string) => `/*[local-name()='alert']/*[local-name()='info'][${n}]/*[local-name()='${local}']`;
const text = async (doc: string, expr: string) => (await xpath(doc, `string(${expr})`)).trim();

describe('public alerts: CAP 1.2 and Atom', () => {
  let env: Env;
  let xsd: string;
  before(async () => {
    xsd = requireXsd();
    env = await openEnv();
  });
  after(async () => { await env.close(); });

  it('the Atom feed is well-formed and lists exactly the public Actual alerts', async () => {
    const res = await env.get('/open-data/v1/alerts/atom.xml');
    assert.match(res.headers.get('content-type') ?? '', /^application\/atom\+xml/);
    const feed = await res.text();
    await xmllint(feed, ['--noout']);
    const n = Number(await xpath(feed, "count(/*[local-name()='feed']/*[local-name()='entry'])"));
    assert.equal(n, 4, 'open, updated, resolved (as Cancel) and the private sensor alert');
    const hrefs = (await xpath(feed, "/*[local-name()='feed']/*[local-name()='entry']/*[local-name()='link']/@href")).match(/href="([^"]+)"/g)!.map((h) => h.slice(6, -1));
    const ids = hrefs.map((h) => decodeURIComponent(h.split('/cap/')[1]!.replace(/\.xml$/, ''))).sort();
    assert.deepEqual(ids, [ALERTS.open!.id, ALERTS.updated!.id, ALERTS.resolved!.id, ALERTS.private!.id].sort());
  });

  it('every CAP document validates against the official CAP 1.2 schema', async () => {
    for (const a of [ALERTS.open!, ALERTS.updated!, ALERTS.resolved!, ALERTS.private!]) {
      const res = await env.get(`/open-data/v1/alerts/cap/${encodeURIComponent(a.id)}.xml`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/cap\+xml/);
      const doc = await res.text();
      await assert.doesNotReject(xmllint(doc, ['--noout', '--schema', xsd]), `${a.id} must validate`);
      assert.equal(await text(doc, cap('status')), 'Actual');
      assert.equal(await text(doc, cap('scope')), 'Public');
      assert.equal(await text(doc, info(1, 'language')), 'zh-TW');
      assert.equal(await text(doc, info(2, 'language')), 'en-US');
    }
  });

  it('msgType, references, severity mapping and area follow the alert lifecycle', async () => {
    const get = async (id: string) => (await env.get(`/open-data/v1/alerts/cap/${encodeURIComponent(id)}.xml`)).text();
    const opened = await get(ALERTS.open!.id);
    assert.equal(await text(opened, cap('msgType')), 'Alert');
    assert.equal(await text(opened, cap('references')), '');
    assert.equal(await text(opened, info(1, 'severity')), 'Moderate');
    assert.equal(await text(opened, info(1, 'certainty')), 'Observed');
    assert.equal(await text(opened, info(1, 'category')), 'Met');
    assert.match(await text(opened, `${info(1, 'area')}/*[local-name()='circle']`), /^24\.96,121\.22 0\.5$/);
    assert.equal(await text(opened, `${info(1, 'area')}/*[local-name()='areaDesc']`), '中壢區 中壢區路面淹水感測器');
    const originalId = await text(opened, cap('identifier'));
    const originalSent = await text(opened, cap('sent'));

    const updated = await get(ALERTS.updated!.id);
    assert.equal(await text(updated, cap('msgType')), 'Update');
    assert.equal(await text(updated, info(1, 'severity')), 'Severe');
    assert.equal(await text(updated, info(1, 'urgency')), 'Immediate');
    const refs = (await text(updated, cap('references'))).split(',');
    assert.equal(refs.length, 3);
    assert.notEqual(refs[1], await text(updated, cap('identifier')));

    const resolved = await get(ALERTS.resolved!.id);
    assert.equal(await text(resolved, cap('msgType')), 'Cancel');
    assert.match(await text(resolved, cap('references')), /,.*aq-high-aq-zl-001.*,2026-11-22T09:00:00\+08:00$/);
    void originalId; void originalSent;

    // The private sensor's circle is centred on its coarsened cell and widened to cover it.
    const priv = await get(ALERTS.private!.id);
    const circle = await text(priv, `${info(1, 'area')}/*[local-name()='circle']`);
    assert.equal(circle, '24.985,121.315 0.788');
  });

  it('Test, Exercise and non-public alerts never appear, not even by direct URL', async () => {
    const feed = await (await env.get('/open-data/v1/alerts/atom.xml')).text();
    for (const a of [ALERTS.test!, ALERTS.exercise!, ALERTS.advisory!]) {
      assert.equal((await env.get(`/open-data/v1/alerts/cap/${encodeURIComponent(a.id)}.xml`)).status, 404, a.id);
      const ids = await xpath(feed, "/*[local-name()='feed']/*[local-name()='entry']/*[local-name()='id']");
      assert.ok(!ids.includes(encodeURIComponent(a.id)), a.id);
    }
  });
});
