export { createTextDetector, OcrError, type DetectTextOptions, type OcrBox, type OcrErrorCode, type OcrImage, type OcrLine, type TextDetector, type TextDetectorConfig } from './detect-text.js';
