export { samples, samplesDir, readSample, rewriteInstances, stowBody, storableSamples, type Sample } from './dicom-fixtures.js';
export { demoToken, spawnServer, type SpawnedServer } from './spawn-server.js';
export { createConsult, seedConsult, stowInstances, type SeededConsult } from './seed-consult.js';
export { DEMO_PASSWORD } from '../demo-union.js';
export { scannedPdf, textPdf } from './pdf-fixtures.js';
export { freePort, startOrthanc, type OrthancOptions, type OrthancServer } from './orthanc.js';
export { mailText, startLoopbackSmtp, type LoopbackSmtp, type ReceivedMail } from './smtp.js';
export { startRoundRobinProxy, type Backend, type RoundRobinProxy } from './round-robin-proxy.js';
export { startTestS3Server, type TestS3Server } from '@yunzhen/storage/testing/s3-server';
