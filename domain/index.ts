export * from './types.ts';
export * from './kind.ts';
export * from './topics.ts';
export * from './time.ts';
export * from './errors.ts';
export * from './error-catalogue.ts';
export { KINDS, KIND_NAMES, isSensorKind, kindOf, perKind, registerKind } from './kinds/index.ts';
