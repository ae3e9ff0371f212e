export * from './object-store.js';
export { createFsStore, type FsStoreConfig } from './fs-store.js';
export { createS3Client, createS3Store, ensureBucket, type S3ClientConfig, type S3StoreConfig } from './s3-store.js';
