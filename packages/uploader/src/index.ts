export { requestToken, revokeToken, whoAmI, type Account } from './auth.js';
export { credentialsPath, findLogin, normalizeServer, removeLogin, saveLogin, type StoredLogin } from './credentials.js';
export { endpointOf, networkCode, UploaderFailure, uploaderCodes, type UploaderCode } from './failure.js';
export { collectSources, type Source } from './sources.js';
export { upload, type FileResult, type Progress, type UploadOptions } from './upload.js';
