export { testObjectStore, type ConformanceOptions } from './object-store-conformance.js';
export { startTestS3Server, type TestS3Server } from './s3-server.js';
export { startFrozenServer, type FrozenServer, type FrozenServerOptions } from './frozen-server.js';
