export * from './fixtures.js';
export { samplePng } from './png.js';
