export * from './object-store.js';
export { createFsStore, type FsStoreConfig } from './fs-store.js';
export { createS3Client, createS3Store, defaultS3Timeouts, ensureBucket, type S3ClientConfig, type S3StoreConfig, type S3Timeouts } from './s3-store.js';
