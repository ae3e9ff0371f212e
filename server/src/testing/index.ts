export { samples, samplesDir, readSample, stowBody, storableSamples, type Sample } from './dicom-fixtures.js';
export { demoToken, spawnServer, type SpawnedServer } from './spawn-server.js';
