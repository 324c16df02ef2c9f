// SW1: entry of the DuckDB store's worker thread. It is started without the parent's node
// flags, so it registers the TypeScript loader itself (whether the parent runs under `tsx`,
// `node --import tsx` or bin/civicstream.mjs) and then loads the worker's code.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
