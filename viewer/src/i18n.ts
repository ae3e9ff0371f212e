import { useEffect, useState } from 'preact/hooks';

export type Language = 'zh-CN' | 'en';
export const languages: readonly Language[] = ['zh-CN', 'en'];

const en = {
  appName: 'Yunzhen',
  appTagline: 'Remote imaging diagnosis for medical unions',
  'login.title': 'Sign in',
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'Email or password is wrong.',
  'login.throttled': 'Too many failed attempts. Try again later.',
  'login.error': 'Sign-in failed. Please try again.',
  logout: 'Sign out',
  language: 'Language',
  loading: 'Loading…',
  empty: 'Nothing here yet.',
  'role.radiographer': 'Radiographer',
  'role.specialist': 'Specialist',
  'role.referring_doctor': 'Referring doctor',
  'role.admin': 'Administrator',
  licensed: 'Licensed',
  unlicensed: 'Not licensed',
  'landing.radiographer.title': 'Uploads and consults',
  'landing.radiographer.intro': 'Send studies to your reading centre and follow your consults.',
  'landing.radiographer.consults': 'My hospital’s consults',
  'landing.readingCentres': 'Reading centres of your union',
  'landing.specialist.title': 'Worklist',
  'landing.specialist.intro': 'Consults addressed to your centre, most urgent first.',
  'landing.referring_doctor.title': 'Results for my hospital',
  'landing.referring_doctor.intro': 'Consults sent by your hospital and their signed reports.',
  'landing.admin.title': 'Hospital administration',
  'landing.admin.intro': 'Staff accounts of your hospital.',
  'users.email': 'Email',
  'users.name': 'Name',
  'users.role': 'Role',
  'users.status': 'Status',
  'users.disabled': 'Disabled',
  'users.active': 'Active',
} as const;

export type MessageKey = keyof typeof en;

const zhCN: Record<MessageKey, string> = {
  appName: '云诊',
  appTagline: '医联体远程影像诊断平台',
  'login.title': '登录',
  'login.email': '邮箱',
  'login.password': '密码',
  'login.submit': '登录',
  'login.failed': '邮箱或密码错误。',
  'login.throttled': '失败次数过多，请稍后再试。',
  'login.error': '登录失败，请重试。',
  logout: '退出登录',
  language: '语言',
  loading: '加载中…',
  empty: '暂无内容。',
  'role.radiographer': '技师',
  'role.specialist': '专家',
  'role.referring_doctor': '临床医生',
  'role.admin': '管理员',
  licensed: '有执业资格',
  unlicensed: '无执业资格',
  'landing.radiographer.title': '上传与会诊',
  'landing.radiographer.intro': '将检查发送至阅片中心，跟踪会诊进度。',
  'landing.radiographer.consults': '本院会诊',
  'landing.readingCentres': '医联体阅片中心',
  'landing.specialist.title': '工作列表',
  'landing.specialist.intro': '发往本中心的会诊，按紧急程度排序。',
  'landing.referring_doctor.title': '本院诊断结果',
  'landing.referring_doctor.intro': '本院发出的会诊及已签发的报告。',
  'landing.admin.title': '医院管理',
  'landing.admin.intro': '本院工作人员账户。',
  'users.email': '邮箱',
  'users.name': '姓名',
  'users.role': '角色',
  'users.status': '状态',
  'users.disabled': '已停用',
  'users.active': '正常',
};

const catalogs: Record<Language, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const STORAGE_KEY = 'yunzhen.language';

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'zh-CN' || stored === 'en') return stored;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

let current: Language = initialLanguage();
const listeners = new Set<(language: Language) => void>();

export function getLanguage(): Language {
  return current;
}

export function setLanguage(language: Language): void {
  current = language;
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
  for (const listener of listeners) listener(language);
}

export function translate(language: Language, key: MessageKey): string {
  return catalogs[language][key];
}

/** The current language and its translator; re-renders the caller when the language changes. */
export function useI18n() {
  const [language, setState] = useState(current);
  useEffect(() => {
    listeners.add(setState);
    return () => void listeners.delete(setState);
  }, []);
  return { language, t: (key: MessageKey) => translate(language, key) };
}

document.documentElement.lang = current;
