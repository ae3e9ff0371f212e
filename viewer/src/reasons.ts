import type { Language } from './i18n.js';

/** Reason codes from the DICOM engine, the server and the uploader, in words a radiographer acts on. */
const reasons: Record<string, { en: string; 'zh-CN': string }> = {
  NotDicom: { en: 'not a DICOM file', 'zh-CN': '不是 DICOM 文件' },
  MissingTransferSyntax: { en: 'file header lacks its transfer syntax', 'zh-CN': '文件头缺少传输语法' },
  UnknownTransferSyntax: { en: 'unknown transfer syntax', 'zh-CN': '未知的传输语法' },
  UnsupportedTransferSyntax: { en: 'unsupported compression', 'zh-CN': '不支持的压缩格式' },
  Truncated: { en: 'file is cut short', 'zh-CN': '文件不完整' },
  LengthPastEnd: { en: 'file is cut short', 'zh-CN': '文件不完整' },
  InvalidStructure: { en: 'damaged DICOM structure', 'zh-CN': 'DICOM 结构损坏' },
  DuplicateTag: { en: 'damaged DICOM structure (repeated attribute)', 'zh-CN': 'DICOM 结构损坏（属性重复）' },
  NestingTooDeep: { en: 'damaged DICOM structure (nesting)', 'zh-CN': 'DICOM 结构损坏（嵌套过深）' },
  TooManyElements: { en: 'too many attributes', 'zh-CN': '属性过多' },
  InstanceTooLarge: { en: 'file too large', 'zh-CN': '文件过大' },
  DecompressionBomb: { en: 'compressed data expands too much', 'zh-CN': '压缩数据异常膨胀' },
  InvalidUid: { en: 'invalid UID', 'zh-CN': 'UID 无效' },
  MissingRequiredUid: { en: 'not an image or document (no SOP class or UIDs)', 'zh-CN': '不是影像或文档（缺少 SOP 类或 UID）' },
  MissingPixelData: { en: 'image without its pixels (file cut short?)', 'zh-CN': '影像缺少像素数据（文件可能不完整）' },
  ImpossiblePixelGeometry: { en: 'image size does not match its pixel data', 'zh-CN': '图像尺寸与像素数据不符' },
  CorruptPixelData: { en: 'damaged compressed image', 'zh-CN': '压缩图像损坏' },
  InvalidValue: { en: 'invalid attribute value', 'zh-CN': '属性值无效' },
  UnsupportedCharacterSet: { en: 'unsupported character set', 'zh-CN': '不支持的字符集' },
  NotAnInstance: { en: 'DICOMDIR index, not an image', 'zh-CN': 'DICOMDIR 索引，不是影像' },
  StudyMismatch: { en: 'belongs to another study', 'zh-CN': '属于其他检查' },
  UidConflict: { en: 'UID conflict', 'zh-CN': 'UID 冲突' },
  InstanceConflict: { en: 'an image with the same UID but different content is already stored', 'zh-CN': '已存有相同 UID 但内容不同的图像' },
  PatientMismatch: { en: 'names another patient than the rest of its study', 'zh-CN': '与同一检查的其他图像患者信息不一致' },
  SystemFile: { en: 'system file', 'zh-CN': '系统文件' },
  Dicomdir: { en: 'DICOMDIR index', 'zh-CN': 'DICOMDIR 索引' },
  EntryTooLarge: { en: 'file too large', 'zh-CN': '文件过大' },
  CorruptEntry: { en: 'damaged archive entry', 'zh-CN': '压缩包条目损坏' },
  InvalidArchive: { en: 'not a readable zip archive', 'zh-CN': '无法读取的 zip 压缩包' },
  NetworkError: { en: 'connection lost', 'zh-CN': '网络中断' },
  StorageUnavailable: { en: 'server storage unavailable', 'zh-CN': '服务器存储不可用' },
  DatabaseUnavailable: { en: 'server database unavailable', 'zh-CN': '服务器数据库不可用' },
  SessionExpired: { en: 'session expired', 'zh-CN': '登录已过期' },
  Forbidden: { en: 'not allowed for your account', 'zh-CN': '您的账户无权操作' },
  ScanFailed: { en: 'could not be checked', 'zh-CN': '无法检查' },
  ClaimedByOther: {
    en: 'another specialist holds this consult: you can read it, not write or sign, until it is released or reassigned',
    'zh-CN': '此会诊已由其他专家认领：在其释放或重新分配之前，您只能查看，不能编辑或签发',
  },
  StudyInConsult: { en: 'a chosen study is already part of an open consult', 'zh-CN': '所选检查已在一个进行中的会诊里' },
  ConsultSpansPatients: {
    en: 'the chosen studies belong to different patients: a consult is about one patient',
    'zh-CN': '所选检查属于不同患者：一个会诊只能针对一位患者',
  },
  PatientUnidentified: {
    en: 'these studies carry neither patient ID nor name, so they cannot be shown to be one patient: send each in its own consult',
    'zh-CN': '这些检查既无患者 ID 也无姓名，无法确认属于同一患者：请分别发起会诊',
  },
};

/** The words for a reason code; `fallback` (the server's English message) only where no words are known. */
export function reasonText(code: string, language: Language, fallback?: string): string {
  return reasons[code]?.[language] ?? fallback ?? code;
}
