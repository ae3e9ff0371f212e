import { expect, test } from 'vitest';

import { reasonWords } from '@yunzhen/dicom';

import { networkCode, uploaderCodes } from './failure.js';
import { languageFromEnv, parseLanguage } from './messages.js';

test('every code the uploader produces has words in both languages, from the table the viewer uses', () => {
  const missing = uploaderCodes.filter((code) => !reasonWords(code, 'en') || !reasonWords(code, 'zh-CN'));
  expect(missing).toEqual([]);
  for (const code of uploaderCodes) expect(reasonWords(code, 'zh-CN'), code).toMatch(/[\u4e00-\u9fff]/);
});

test('the language comes from --lang, else from the locale (zh* is Chinese)', () => {
  expect(languageFromEnv({ LANG: 'zh_CN.UTF-8' })).toBe('zh-CN');
  expect(languageFromEnv({ LANG: 'zh_CN.UTF-8', LC_ALL: 'C' })).toBe('en');
  expect(languageFromEnv({ LANG: 'en_US.UTF-8', LC_ALL: 'zh_TW.UTF-8' })).toBe('zh-CN');
  expect(languageFromEnv({})).toBe('en');
  expect(parseLanguage('zh_CN')).toBe('zh-CN');
  expect(parseLanguage('en')).toBe('en');
  expect(parseLanguage('fr')).toBeUndefined();
});

test('fetch failures are told apart by their system error code', () => {
  const fetchFailed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
  expect(networkCode(fetchFailed('ECONNREFUSED'))).toBe('ConnectionRefused');
  expect(networkCode(fetchFailed('ENOTFOUND'))).toBe('HostNotFound');
  expect(networkCode(fetchFailed('UND_ERR_CONNECT_TIMEOUT'))).toBe('ConnectTimeout');
  expect(networkCode(fetchFailed('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe('TlsError');
  expect(networkCode(fetchFailed('ERR_SSL_WRONG_VERSION_NUMBER'))).toBe('TlsError');
  expect(networkCode(fetchFailed('ECONNRESET'))).toBe('NetworkError');
  // localhost: both addresses refused, as an AggregateError.
  const both = new TypeError('fetch failed', { cause: Object.assign(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })]), { code: 'ECONNREFUSED' }) });
  expect(networkCode(both)).toBe('ConnectionRefused');
  expect(networkCode(new DOMException('timed out', 'TimeoutError'))).toBe('ConnectTimeout');
});
