export { Registry, RegistryError, isOwnIntegrationPattern, type Integration, type PrincipalKind, type RegistryChange, type RegistryPrincipal, type GatewayEntry } from './registry.ts';
export { SensorDoc as SensorDocSchema, GatewayDoc as GatewayDocSchema, IntegrationDoc as IntegrationDocSchema, RegistryDoc, type RegistryDocT, type SensorDocT, type GatewayDocT, type IntegrationDocT } from './schema.ts';
export { hashSecret, verifySecret, newSecret, VerifiedSecretCache } from './credentials.ts';
export { RegistryWriter, EditError, RegistryLockedError, acquireRegistryLock, pidAlive, fieldErrors, type RegistryEdit, type FieldError, type EntryKind } from './writer.ts';
export { isLineFile, renderLines, LINE_FORMAT } from './lines.ts';
