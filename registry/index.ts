export { Registry, RegistryError } from './registry.ts';
export { RegistryDoc, type RegistryDocT, type SensorDocT, type GatewayDocT } from './schema.ts';
export { hashSecret, verifySecret, newSecret, VerifiedSecretCache } from './credentials.ts';
