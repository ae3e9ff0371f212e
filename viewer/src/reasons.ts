import { ApiError } from './api.js';
import type { Language } from './i18n.js';

/** Reason codes from the DICOM engine, the server and the uploader, in words a radiographer acts on. */
export const reasons: Record<string, { en: string; 'zh-CN': string }> = {
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
  MalformedJson: { en: 'the request was not valid JSON', 'zh-CN': '请求不是有效的 JSON' },
  InvalidRequest: { en: 'the request is missing or has invalid fields', 'zh-CN': '请求缺少字段或字段无效' },
  InvalidKey: { en: 'invalid object key', 'zh-CN': '对象键无效' },
  IntegrityMismatch: { en: 'the data arrived damaged (checksum mismatch)', 'zh-CN': '数据传输损坏（校验不符）' },
  Unauthenticated: { en: 'please sign in', 'zh-CN': '请先登录' },
  InvalidCredentials: { en: 'wrong email or password', 'zh-CN': '邮箱或密码错误' },
  CsrfTokenInvalid: { en: 'the page is out of date: reload it', 'zh-CN': '页面已过期：请刷新' },
  CrossOriginRequest: { en: 'request from another site refused', 'zh-CN': '拒绝来自其他站点的请求' },
  NotFound: { en: 'not found', 'zh-CN': '未找到' },
  Conflict: { en: 'changed elsewhere in the meantime: reload and try again', 'zh-CN': '已在别处被修改：请刷新后重试' },
  NotAcceptable: { en: 'the server cannot answer in the format asked for', 'zh-CN': '服务器无法以所请求的格式应答' },
  PayloadTooLarge: { en: 'too large', 'zh-CN': '内容过大' },
  UnsupportedMediaType: { en: 'unsupported file type', 'zh-CN': '不支持的文件类型' },
  InvalidRange: { en: 'invalid byte range', 'zh-CN': '字节范围无效' },
  TooManyAttempts: { en: 'too many failed sign-ins: wait a moment and try again', 'zh-CN': '登录失败次数过多：请稍后再试' },
  InternalError: { en: 'server error: please try again', 'zh-CN': '服务器错误：请重试' },
  UnknownTemplate: { en: 'unknown report template', 'zh-CN': '未知的报告模板' },
  UnsupportedSchemaVersion: { en: 'report saved by a newer version', 'zh-CN': '报告由更新的版本保存' },
  InvalidTransition: { en: 'not possible in the report’s current state', 'zh-CN': '报告当前状态下无法执行此操作' },
  ReportLocked: { en: 'the report is signed: add an addendum instead', 'zh-CN': '报告已签发：请改为添加补充说明' },
  SignerNotLicensed: { en: 'only licensed specialists can sign', 'zh-CN': '只有持证专家可以签发' },
  SelfReview: { en: 'the author cannot give the second opinion', 'zh-CN': '报告作者不能提供第二意见' },
  ReportIncomplete: { en: 'the report is incomplete', 'zh-CN': '报告不完整' },
  CompressionRatioTooHigh: { en: 'archive entry expands too much', 'zh-CN': '压缩包条目膨胀比例异常' },
  EncryptedEntry: { en: 'encrypted archive entry', 'zh-CN': '压缩包条目已加密' },
  UnsupportedCompression: { en: 'unsupported zip compression', 'zh-CN': '不支持的 zip 压缩方式' },
  TimeBudgetExceeded: { en: 'the archive took too long to check', 'zh-CN': '压缩包检查超时' },
  NotADerivedObject: { en: 'only reports, segmentations and key objects can be added here', 'zh-CN': '此处只能添加报告、分割或关键对象' },
  BurnedInAnnotation: { en: 'the image says it has text burned in', 'zh-CN': '图像声明含有烧录文字' },
  ModalityBurnsInText: { en: 'this kind of image (ultrasound, photo…) often shows patient data in its pixels', 'zh-CN': '此类图像（超声、照片等）常在像素中显示患者信息' },
  SecondaryCapture: { en: 'a screen capture or scan, which may show patient data', 'zh-CN': '屏幕截图或扫描件，可能显示患者信息' },
  RecognizableVisualFeatures: { en: 'the face or body may be recognizable', 'zh-CN': '面部或身体可能可被识别' },
  OverlayRetained: { en: 'an overlay that may carry text was kept', 'zh-CN': '保留了可能含文字的叠加层' },
  OverlayInPixelData: { en: 'an overlay drawn into the pixels may carry text', 'zh-CN': '像素中的叠加层可能含有文字' },
  StudyInConsult: { en: 'a chosen study is already part of an open consult', 'zh-CN': '所选检查已在一个进行中的会诊里' },
  ConsultSpansPatients: {
    en: 'the chosen studies belong to different patients: a consult is about one patient',
    'zh-CN': '所选检查属于不同患者：一个会诊只能针对一位患者',
  },
  PatientUnidentified: {
    en: 'these studies carry neither patient ID nor name, so they cannot be shown to be one patient: send each in its own consult',
    'zh-CN': '这些检查既无患者 ID 也无姓名，无法确认属于同一患者：请分别发起会诊',
  },
  // Report webhook addresses the server refuses (server/src/reports/webhooks.ts).
  WebhookUrlInvalid: { en: 'not a valid web address', 'zh-CN': '不是有效的网址' },
  WebhookUrlScheme: { en: 'the address must start with https://', 'zh-CN': '地址必须以 https:// 开头' },
  WebhookUrlCredentials: { en: 'no user name or password in the address: the signature proves the sender', 'zh-CN': '地址中不能包含用户名或密码：由签名证明发送方' },
  WebhookHttpsRequired: { en: 'https is required (plain http only to this machine, where the server allows it)', 'zh-CN': '必须使用 https（仅在服务器允许时，可对本机使用 http）' },
};

/** The words for a reason code; `fallback` (the server's English message) only where no words are known. */
export function reasonText(code: string, language: Language, fallback?: string): string {
  return reasons[code]?.[language] ?? fallback ?? code;
}

/** What to tell the user when an API call was refused: the code's words, else the server's message. */
export function refusalText(caught: unknown, language: Language): string {
  return caught instanceof ApiError ? reasonText(caught.code, language, caught.message) : String(caught);
}
