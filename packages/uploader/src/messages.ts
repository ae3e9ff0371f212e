/**
 * Everything the uploader prints, in Chinese and English. Reason codes (why a file was
 * refused, why the server could not be used) are said in the words of `@yunzhen/dicom`'s
 * table, the same the viewer shows; this file frames them and says what to do next.
 * Nothing here ever includes a token or a password.
 */
import { reasonWords, type ReasonLanguage } from '@yunzhen/dicom';

import type { UploaderFailure } from './failure.js';
import type { FileResult, Progress } from './upload.js';

export type Language = ReasonLanguage;

/** `zh*` → zh-CN, anything else → en; `LC_ALL` over `LC_MESSAGES` over `LANG`, as POSIX orders them. */
export function languageFromEnv(env: NodeJS.ProcessEnv = process.env): Language {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh/i.test(locale) ? 'zh-CN' : 'en';
}

/** `--lang` as typed: zh, zh-CN, zh_CN, zh-Hans… → zh-CN; en, en-US… → en; else undefined. */
export function parseLanguage(value: string): Language | undefined {
  if (/^zh([-_].*)?$/i.test(value)) return 'zh-CN';
  if (/^en([-_].*)?$/i.test(value)) return 'en';
  return undefined;
}

export function words(code: string, lang: Language): string {
  return reasonWords(code, lang) ?? code;
}

/**
 * How the README tells users to run it: pnpm pinned and fetched by npx, no global install.
 * `--silent` because pnpm otherwise prints the script's command line with every argument
 * before running it, a `--token` included.
 */
export const PNPM_COMMAND = 'npx -y pnpm@12.21.0 --silent upload';

/** The upload command: pnpm needs `--` before the uploader's own options. */
const uploadCommand = (c: MessageContext) => (c.command.includes('pnpm') ? `${c.command} --` : c.command);

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '?');

export interface Account {
  email: string;
  displayName: string;
  hospital: string;
}

/** What the CLI needs to say what to do next: how the user runs it, and where. */
export interface MessageContext {
  /** The command as the user types it: `yunzhen-upload` or `npx -y pnpm@12.21.0 --silent upload`. */
  command: string;
  server?: string;
  credentialsPath: string;
}

export function messages(lang: Language) {
  const zh = lang === 'zh-CN';
  return {
    usage: (c: MessageContext) => (zh ? usageZh : usageEn)(c),
    filesFound: (n: number) => (zh ? `找到 ${n} 个文件\n` : `${n} files found\n`),
    sendingTo: (server: string, email: string | undefined) =>
      zh ? `服务器 ${server}${email ? `，账户 ${email}` : ''}\n` : `server ${server}${email ? `, account ${email}` : ''}\n`,
    progress: (p: Progress, rate: number, eta: number) => {
      const filled = Math.round((p.bytesTotal ? p.bytesDone / p.bytesTotal : 1) * 30);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}]`;
      const mb = (p.bytesDone / 1e6).toFixed(1);
      const speed = (rate / 1e6).toFixed(1);
      return zh ? `${bar} ${p.done}/${p.total} 个文件 ${mb} MB ${speed} MB/s 剩余 ${eta} 秒` : `${bar} ${p.done}/${p.total} files ${mb} MB ${speed} MB/s ETA ${eta}s`;
    },
    /** One line per file not stored: what happened, which file, why (the code last, for support). */
    fileLine: (r: Extract<FileResult, { code: string }>) => {
      const status = zh
        ? { invalid: '未发送', rejected: '被拒收', failed: '失败' }[r.status]
        : { invalid: 'NOT SENT', rejected: 'REFUSED', failed: 'FAILED' }[r.status];
      return `${status} ${r.label}${zh ? '：' : ': '}${words(r.code, lang)} [${r.code}]\n`;
    },
    summary: (n: Record<FileResult['status'], number>) =>
      zh
        ? `已存储 ${n.stored}，此前已存储 ${n.skipped}，非 DICOM 或无效 ${n.invalid}，被拒收 ${n.rejected}，失败 ${n.failed}\n`
        : `stored ${n.stored}, already stored ${n.skipped}, not DICOM or invalid ${n.invalid}, refused ${n.rejected}, failed ${n.failed}\n`,
    failedHint: () =>
      zh ? `网络或服务器恢复后重新运行同一命令即可继续：已存储的文件会被跳过。\n` : `Run the same command again when the network or server is back: files already stored are skipped.\n`,

    tokenOnCommandLine: zh
      ? '注意：命令行上的令牌可被本机其他用户在进程列表中看到，并留在命令历史中；请改用 --token-file 或 YUNZHEN_TOKEN。\n'
      : 'Note: a token on the command line is visible to other users of this computer in the process list and stays in shell history; use --token-file or YUNZHEN_TOKEN instead.\n',
    emailPrompt: zh ? '邮箱：' : 'Email: ',
    passwordPrompt: zh ? '密码（输入时不显示）：' : 'Password (not shown): ',
    loggedIn: (server: string, account: Account, c: MessageContext, expiresAt: string | undefined) =>
      zh
        ? `已登录 ${server}：${account.displayName} <${account.email}>，${account.hospital}。\n令牌已保存到 ${c.credentialsPath}（仅您可读，有效期至 ${day(expiresAt)}）。\n上传：${uploadCommand(c)} <文件夹或 zip>\n`
        : `Logged in to ${server} as ${account.displayName} <${account.email}>, ${account.hospital}.\nToken stored in ${c.credentialsPath} (readable by you only, valid until ${day(expiresAt)}).\nUpload with: ${uploadCommand(c)} <folder or zip>\n`,
    notSender: zh
      ? '注意：此账户不能发送检查（只有发送医院的持证技师可以）。\n'
      : 'Note: this account cannot send studies (only licensed radiographers of a sending hospital can).\n',
    insecure: (server: string) =>
      zh
        ? `警告：${server} 使用 http://，密码和令牌以明文传输；除本机测试外请使用 https://。\n`
        : `Warning: ${server} is http://, so the password and token travel unencrypted; use https:// except for a test on this computer.\n`,
    loggedOut: (server: string, c: MessageContext) =>
      zh ? `已退出 ${server}：令牌已在服务器上撤销，并已从 ${c.credentialsPath} 删除。\n` : `Logged out of ${server}: the token is revoked on the server and removed from ${c.credentialsPath}.\n`,
    logoutOffline: (server: string, cause: string, expiresAt: string | undefined) =>
      zh
        ? `无法在服务器上撤销令牌（${cause}）。令牌已从本机删除，但在服务器上有效至 ${day(expiresAt)}；请让管理员撤销，或服务器恢复后重新登录再退出。\n`
        : `Could not revoke the token on ${server} (${cause}). It is removed from this computer but stays valid on the server until ${day(expiresAt)}: ask an admin to revoke it, or log in and out again when the server is back.\n`,
    noStoredLogin: (server: string | undefined) =>
      zh ? `本机没有${server ? ` ${server} 的` : ''}登录信息。\n` : `No login stored${server ? ` for ${server}` : ''} on this computer.\n`,
    cancelled: zh ? '已取消。\n' : 'Cancelled.\n',

    badServer: () =>
      zh ? '--server 需要以 http:// 或 https:// 开头的地址，例如 https://yunzhen.example.org\n' : '--server needs an address starting with http:// or https://, e.g. https://yunzhen.example.org\n',
    badLang: (value: string) => (zh ? `--lang 只能是 zh-CN 或 en（收到的是“${value}”）。\n` : `--lang is zh-CN or en (got "${value}").\n`),
    badOption: (detail: string) => (zh ? `命令行有误：${detail}\n运行 --help 查看用法。\n` : `Wrong command line: ${detail}\nRun with --help for how to use it.\n`),
    needServer: (c: MessageContext) =>
      zh ? `请用 --server 指定服务器，或先登录：${c.command} login --server https://…\n` : `Give the server with --server, or log in first: ${c.command} login --server https://…\n`,
    needPaths: zh ? '请给出要上传的文件、文件夹或 zip。\n' : 'Give the files, folders or zips to upload.\n',
    needEmail: zh ? '从标准输入读取密码时，请用 --email 给出邮箱。\n' : 'Give --email when the password comes from standard input.\n',
    emptyPassword: zh ? '密码为空。\n' : 'The password is empty.\n',
    unexpected: (message: string) =>
      zh ? `上传程序出错：${message}（设置 YUNZHEN_DEBUG=1 可查看详情）\n` : `The uploader failed: ${message} (set YUNZHEN_DEBUG=1 for details)\n`,

    /** An expected failure: what happened, where, and what to do. */
    failure: (f: UploaderFailure, c: MessageContext) => {
      const w = words(f.code, lang);
      const at = f.details.endpoint ?? '';
      const loginAgain = `${c.command} login --server ${c.server ?? 'https://…'}`;
      switch (f.code) {
        case 'ConnectionRefused':
        case 'HostNotFound':
        case 'HostUnreachable':
        case 'ConnectTimeout':
        case 'TlsError':
        case 'NetworkError':
          return zh ? `无法连接 ${at}：${w}\n` : `Cannot reach ${at}: ${w}\n`;
        case 'Redirected':
          return f.details.location
            ? zh
              ? `${at} 把请求转到了 ${f.details.location}：请改用 --server ${f.details.location}${c.server && new URL(c.server).pathname !== '/' ? new URL(c.server).pathname : ''}\n`
              : `${at} sends requests on to ${f.details.location}: use --server ${f.details.location}${c.server && new URL(c.server).pathname !== '/' ? new URL(c.server).pathname : ''}\n`
            : zh
              ? `${at}：${w}\n`
              : `${at}: ${w}\n`;
        case 'WrongServer':
          return zh
            ? `${at} 有应答，但不是云诊服务器的应答${f.details.status ? `（HTTP ${f.details.status}）` : ''}：请检查 --server 地址（即浏览器中打开云诊的地址，例如 https://yunzhen.example.org）。\n`
            : `${at} answered, but not as a Yunzhen server does${f.details.status ? ` (HTTP ${f.details.status})` : ''}: check the --server address (the one you open Yunzhen at in the browser, e.g. https://yunzhen.example.org).\n`;
        case 'TokenRefused':
          return zh ? `服务器 ${at} 拒绝了令牌：${w}：\n  ${loginAgain}\n` : `The server ${at} refused the token: ${w}:\n  ${loginAgain}\n`;
        case 'NotLoggedIn':
          return zh ? `尚未登录 ${c.server}。请先登录：\n  ${loginAgain}\n` : `Not logged in to ${c.server}. Log in first:\n  ${loginAgain}\n`;
        case 'Forbidden':
          return zh
            ? `服务器拒绝：${w}（只有发送医院的持证技师可以发送检查）。\n`
            : `The server refused: ${w} (only licensed radiographers of a sending hospital send studies).\n`;
        case 'TooManyAttempts':
        case 'TooManyRequests':
        case 'ServerUnavailable':
        case 'DatabaseUnavailable':
        case 'StorageUnavailable':
          return zh
            ? `${at}：${w}${f.details.retryAfter ? `（${f.details.retryAfter} 秒后）` : ''}\n`
            : `${at}: ${w}${f.details.retryAfter ? ` (in ${f.details.retryAfter} s)` : ''}\n`;
        case 'PathNotFound':
        case 'Unreadable':
          return `${f.details.path ?? ''}${zh ? '：' : ': '}${w}\n`;
        default:
          return zh ? `服务器 ${at} 拒绝：${w} [${f.code}]\n` : `The server ${at} refused: ${w} [${f.code}]\n`;
      }
    },
  };
}

function usageEn(c: MessageContext): string {
  return `Yunzhen uploader: sends folders and zips of DICOM files to a Yunzhen server, which removes
the patient identity on arrival. After an interruption run the same command again: files
already stored are skipped.

Usage:
  ${c.command} login --server URL [--email EMAIL] [--password-stdin]
  ${uploadCommand(c)} [--server URL] <file|folder|zip>...
  ${c.command} logout [--server URL]

  login              asks for your email and password (the password is not shown as you type)
                     and stores a token for that server in
                     ${c.credentialsPath} (readable by you only)
  logout             revokes the stored token on the server and deletes it from this computer
  --server URL       the Yunzhen server, e.g. https://yunzhen.example.org
                     (default: the one you last logged in to)
  --email EMAIL      your login email (login asks when it is not given)
  --password-stdin   login reads the password from standard input (for scripts)
  --lang zh-CN|en    language of everything printed (default from LC_ALL / LANG)
  --concurrency N    parallel requests (default 4)
  --token-file FILE  an API token instead of login, for scripts: the file holds only the
                     token (make it readable by you only); or set YUNZHEN_TOKEN
  --token TOKEN      the same on the command line: visible to other users of this computer in
                     the process list and kept in shell history, so prefer the two above
  --help             this text

Exit status: 0 when every file was stored (or already was), 1 when any was not or the server
could not be used, 2 for a wrong command line.
`;
}

function usageZh(c: MessageContext): string {
  return `云诊上传程序：把 DICOM 文件夹和 zip 发送到云诊服务器，服务器在接收时去除患者身份信息。
中断后重新运行同一命令即可：已存储的文件会被跳过。

用法：
  ${c.command} login --server URL [--email 邮箱] [--password-stdin]
  ${uploadCommand(c)} [--server URL] <文件|文件夹|zip>...
  ${c.command} logout [--server URL]

  login              询问邮箱和密码（输入密码时不显示），并把该服务器的令牌保存到
                     ${c.credentialsPath}（仅您可读）
  logout             在服务器上撤销已保存的令牌，并从本机删除
  --server URL       云诊服务器，例如 https://yunzhen.example.org（默认：最近登录的服务器）
  --email 邮箱       登录邮箱（不提供时 login 会询问）
  --password-stdin   login 从标准输入读取密码（用于脚本）
  --lang zh-CN|en    输出语言（默认取自 LC_ALL / LANG）
  --concurrency N    并行请求数（默认 4）
  --token-file 文件  用于脚本的 API 令牌，代替 login：文件中只有令牌（请设为仅您可读）；
                     也可设置 YUNZHEN_TOKEN
  --token 令牌       同上，但写在命令行上：本机其他用户可在进程列表中看到，且会留在命令历史中，
                     请优先使用以上两种方式
  --help             显示本说明

退出码：0 表示所有文件均已存储（或此前已存储），1 表示有文件未能存储或无法使用服务器，
2 表示命令行有误。
`;
}
