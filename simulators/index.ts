/**
 * civicstream simulators: a seeded, reproducible fleet of Taoyuan-style sensors that
 * publish over real MQTT connections (per-sensor credentials, gateways for LoRaWAN
 * devices), with realistic behaviour models and fault injection.
 */
export { createSimulation, type Simulation, type SimulationOptions, type SimulationStats } from './simulation.ts';
export { loadCredentials, credentialsPath, CredentialsError, type SimulatorCredentials } from './credentials.ts';
export type { FaultOptions } from './faults.ts';
export { selectPrincipals } from './selection.ts';
export { Rng } from './rng.ts';
export { createSensorSource, createWeather, modelFor, type SensorSource, type Weather, type Values } from './models/index.ts';
export { jsonPayload, senmlPayload, senmlRecords, type SenmlRecord } from './payload.ts';
export { playScenario, type ScenarioPlayback, type ScriptedReadingLike } from './scenario-player.ts';
