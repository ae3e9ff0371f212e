export { samples, samplesDir, readSample, rewriteInstances, stowBody, storableSamples, type Sample } from './dicom-fixtures.js';
export { demoToken, spawnServer, type SpawnedServer } from './spawn-server.js';
