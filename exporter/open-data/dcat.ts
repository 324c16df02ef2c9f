import type { OdContext } from './context.ts';
import type { DatasetMeta } from './datasets.ts';

/**
 * DCAT (W3C Data Catalog Vocabulary, v2) as JSON-LD, the form data.gov.tw's metadata maps to
 * and European/US portals harvest. Language-tagged literals carry zh-TW and English;
 * dataset ids are absolute when a public base URL is configured.
 */
const CONTEXT = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  spdx: 'http://spdx.org/rdf/terms#',
  civic: 'https://civicstream.dev/ns/reliability#',
};

/** IANA media type registry IRIs (DCAT 2 §6.8.x: dcat:mediaType ranges over dct:MediaType). */
export const IANA = 'https://www.iana.org/assignments/media-types/';

const lit = (t: { 'zh-TW': string; en: string }) => [
  { '@value': t['zh-TW'], '@language': 'zh-TW' },
  { '@value': t.en, '@language': 'en' },
];

function dataset(ctx: OdContext, m: DatasetMeta) {
  return {
    '@id': `${ctx.baseUrl}/open-data/v1/datasets/${m.id}`,
    '@type': 'dcat:Dataset',
    'dct:identifier': m.id,
    'dct:title': lit(m.title),
    'dct:description': lit(m.description),
    'dct:publisher': { '@type': 'foaf:Organization', 'foaf:name': lit(m.publisher) },
    'dcat:contactPoint': { '@type': 'vcard:Kind', 'vcard:fn': m.contact.name, 'vcard:hasEmail': { '@id': `mailto:${m.contact.email}` }, ...(m.contact.phone ? { 'vcard:hasTelephone': { '@id': `tel:${m.contact.phone.replace(/[^0-9+]/g, '')}` } } : {}) },
    'dct:license': { '@id': m.license.url },
    // OD-C2: IRIs where DCAT's ranges are resources (dct:Frequency, dct:MediaType), literals only for text.
    'dct:accrualPeriodicity': { '@id': m.frequencyIri },
    ...(m.issued ? { 'dct:issued': { '@value': m.issued, '@type': 'xsd:date' } } : {}),
    'dcat:landingPage': { '@id': `${ctx.baseUrl}/open-data/v1/datasets/${m.id}` },
    'dcat:keyword': m.keywords,
    ...(m.lastModified ? { 'dct:modified': { '@value': m.lastModified, '@type': 'xsd:dateTime' } } : {}),
    ...(m.reliability
      ? { 'civic:completeness24h': m.reliability.completeness24h, 'civic:completeness30d': m.reliability.completeness30d, 'civic:silentShare': m.reliability.silentShare }
      : {}),
    'dcat:distribution': m.distributions.map((d) => ({
      '@type': 'dcat:Distribution',
      'dct:title': d.title,
      'dct:format': d.format,
      'dcat:mediaType': { '@id': `${IANA}${d.mediaType}` },
      'dcat:accessURL': { '@id': d.accessURL },
      'dct:license': { '@id': m.license.url },
      ...(d.bytes !== undefined ? { 'dcat:byteSize': { '@value': String(d.bytes), '@type': 'xsd:nonNegativeInteger' }, 'dcat:downloadURL': { '@id': d.accessURL } } : {}),
      ...(d.sha256 ? { 'spdx:checksum': { '@type': 'spdx:Checksum', 'spdx:algorithm': { '@id': 'spdx:checksumAlgorithm_sha256' }, 'spdx:checksumValue': d.sha256 } } : {}),
      ...(d.issued ? { 'dct:issued': { '@value': d.issued, '@type': 'xsd:date' } } : {}),
    })),
  };
}

export function dcatCatalog(ctx: OdContext, datasets: readonly DatasetMeta[]) {
  return {
    '@context': CONTEXT,
    '@id': `${ctx.baseUrl}/open-data/v1/catalog.jsonld`,
    '@type': 'dcat:Catalog',
    'dct:title': lit({ 'zh-TW': '城市感測器開放資料', en: 'City sensor open data' }),
    'dct:publisher': { '@type': 'foaf:Organization', 'foaf:name': lit(ctx.publisher.agency), 'foaf:homepage': { '@id': ctx.publisher.url } },
    'dct:language': ['zh-TW', 'en'],
    'dcat:dataset': datasets.map((m) => dataset(ctx, m)),
  };
}
