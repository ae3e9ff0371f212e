export { collectSources, type Source } from './sources.js';
export { upload, UploadError, type FileResult, type Progress, type UploadOptions } from './upload.js';
