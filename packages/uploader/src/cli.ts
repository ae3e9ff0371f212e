#!/usr/bin/env node
/**
 * The uploader a hospital's radiographer runs (`npx -y pnpm@12.21.0 --silent upload …` in a Yunzhen
 * checkout, `yunzhen-upload …` where installed):
 *
 *   upload login --server URL      asks email and password, stores an API token (0600)
 *   upload -- <file|folder|zip>…   sends DICOM through STOW-RS, zips in parts of a resumable
 *                                  upload; the server de-identifies it
 *   upload logout                  revokes the token on the server and forgets it
 *
 * Resumable: run it again and instances already stored are skipped, and a zip continues
 * from the parts the server has. Everything it prints is
 * in `--lang` (zh-CN or en, default from the locale), refusals in the viewer's words; it
 * never prints the token or the password. A token for one run comes from `--token-file`,
 * `YUNZHEN_TOKEN` or (discouraged, and warned about) `--token`.
 */
import { parseArgs } from 'node:util';

import { requestToken, revokeToken, whoAmI } from './auth.js';
import { credentialsPath, findLogin, normalizeServer, removeLogin, saveLogin } from './credentials.js';
import { endpointOf, UploaderFailure } from './failure.js';
import { languageFromEnv, messages, parseLanguage, PNPM_COMMAND, words, type Language, type MessageContext } from './messages.js';
import { askHidden, askLine, PromptCancelled, readStdinSecret } from './prompt.js';
import { collectSources, type Source } from './sources.js';
import { givenToken } from './token-source.js';
import { uploadStatePath } from './archive-upload.js';
import { upload, type FileResult, type Progress } from './upload.js';

const options = {
  server: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  email: { type: 'string' },
  'password-stdin': { type: 'boolean', default: false },
  lang: { type: 'string' },
  concurrency: { type: 'string', default: '4' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Exit status for a wrong command line. */
const USAGE = 2;

async function main(argv: string[]): Promise<number> {
  // `pnpm upload -- …` hands the `--` on; it ends nothing here.
  let args = argv[0] === '--' ? argv.slice(1) : argv;
  const subcommand = args[0] === 'login' || args[0] === 'logout' ? args[0] : undefined;
  if (subcommand) args = args.slice(1);

  let lang = languageFromEnv();
  const langAt = args.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  const langValue = langAt < 0 ? undefined : args[langAt]!.includes('=') ? args[langAt]!.slice('--lang='.length) : args[langAt + 1];
  if (langValue !== undefined) lang = parseLanguage(langValue) ?? lang;
  const say = messages(lang);
  const out = (text: string) => process.stdout.write(text);
  const err = (text: string) => process.stderr.write(text);
  const context: MessageContext = { command: commandName(), credentialsPath: credentialsPath() };

  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (error) {
    // Node's messages name the option, never its value.
    err(say.badOption((error as Error).message));
    return USAGE;
  }
  const { values, positionals } = parsed;
  if (values.lang !== undefined && !parseLanguage(values.lang)) {
    err(say.badLang(values.lang));
    return USAGE;
  }
  if (values.help) {
    out(say.usage(context));
    return 0;
  }
  let server: string | undefined;
  if (values.server !== undefined) {
    try {
      server = normalizeServer(values.server);
    } catch {
      err(say.badServer());
      return USAGE;
    }
  }
  context.server = server;

  try {
    if (subcommand === 'login') {
      if (positionals.length > 0) {
        err(say.badOption('login'));
        return USAGE;
      }
      return await login(server, values.email, values['password-stdin'], lang, context);
    }
    if (subcommand === 'logout') return await logout(server, lang, context);
    if (values.token !== undefined) process.stderr.write(say.tokenOnCommandLine);
    const token = await givenToken({ flag: values.token, file: values['token-file'], env: process.env.YUNZHEN_TOKEN });
    return await uploadCommand(server, token, positionals, Number(values.concurrency), lang, context);
  } catch (error) {
    if (error instanceof UploaderFailure) {
      err(say.failure(error, context));
      return 1;
    }
    if (error instanceof PromptCancelled) {
      err(say.cancelled);
      return 130;
    }
    throw error;
  }
}

async function login(given: string | undefined, email: string | undefined, passwordStdin: boolean, lang: Language, context: MessageContext): Promise<number> {
  const say = messages(lang);
  const server = given ?? (await findLogin(undefined))?.server;
  if (!server) {
    process.stderr.write(say.needServer(context));
    return USAGE;
  }
  context.server = server;
  const interactive = process.stdin.isTTY === true && !passwordStdin;
  if (!email) {
    if (!interactive) {
      process.stderr.write(say.needEmail);
      return USAGE;
    }
    email = await askLine(say.emailPrompt);
  }
  const password = interactive ? await askHidden(say.passwordPrompt) : await readStdinSecret();
  if (!password) {
    process.stderr.write(say.emptyPassword);
    return 1;
  }
  const url = new URL(server);
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) process.stderr.write(say.insecure(server));

  const { token, expiresAt } = await requestToken(server, email, password);
  const account = await whoAmI(server, token).catch(() => undefined);
  const previous = await saveLogin({ server, token, email: account?.email ?? email, expiresAt });
  // The token this login replaces is of no more use: revoke it rather than leave it valid.
  if (previous && previous.token !== token) await revokeToken(server, previous.token).catch(() => undefined);

  process.stdout.write(say.loggedIn(server, account ?? { email, displayName: email, hospital: '' }, context, expiresAt));
  if (account && !(account.role === 'radiographer' && account.licensed && account.hospitalKind !== 'reading')) process.stdout.write(say.notSender);
  return 0;
}

async function logout(given: string | undefined, lang: Language, context: MessageContext): Promise<number> {
  const say = messages(lang);
  const stored = await findLogin(given);
  if (!stored) {
    process.stdout.write(say.noStoredLogin(given));
    return 0;
  }
  context.server = stored.server;
  try {
    await revokeToken(stored.server, stored.token);
  } catch (error) {
    // Off the disk regardless: the point of logging out is that this computer no longer holds it.
    await removeLogin(stored.server);
    if (!(error instanceof UploaderFailure)) throw error;
    process.stderr.write(say.failure(error, context));
    process.stderr.write(say.logoutOffline(stored.server, words(error.code, lang), stored.expiresAt));
    return 1;
  }
  await removeLogin(stored.server);
  process.stdout.write(say.loggedOut(stored.server, context));
  return 0;
}

async function uploadCommand(
  given: string | undefined,
  givenToken: string | undefined,
  paths: string[],
  concurrency: number,
  lang: Language,
  context: MessageContext,
): Promise<number> {
  const say = messages(lang);
  const stored = givenToken ? undefined : await findLogin(given);
  const server = given ?? stored?.server;
  if (!server) {
    process.stderr.write(say.needServer(context));
    return USAGE;
  }
  context.server = server;
  const token = givenToken ?? stored?.token;
  if (!token) throw new UploaderFailure('NotLoggedIn', { endpoint: endpointOf(server) });
  if (paths.length === 0) {
    process.stderr.write(say.needPaths);
    return USAGE;
  }
  process.stdout.write(say.sendingTo(server, stored?.email));

  const sources: Source[] = [];
  for await (const source of collectSources(paths)) sources.push(source);
  process.stdout.write(say.filesFound(sources.length));

  const bar = progressBar(lang);
  let results: FileResult[];
  try {
    results = await upload(sources, {
      server,
      token,
      concurrency: Math.max(1, Math.min(16, concurrency || 4)),
      batchInstances: 16,
      batchBytes: 32 * 1024 * 1024,
      maxAttempts: 6,
      statePath: uploadStatePath(credentialsPath()),
      onProgress: bar.update,
    });
  } finally {
    bar.end();
  }

  const count = { stored: 0, skipped: 0, invalid: 0, rejected: 0, failed: 0 } satisfies Record<FileResult['status'], number>;
  for (const r of results) count[r.status]++;
  for (const r of results) if ('code' in r) process.stdout.write(say.fileLine(r));
  process.stdout.write(say.summary(count));
  if (count.failed > 0) process.stdout.write(say.failedHint());
  return count.rejected + count.failed + count.invalid > 0 ? 1 : 0;
}

/** One redrawn line on a terminal, a line every few seconds otherwise (CI logs). */
function progressBar(lang: Language) {
  const say = messages(lang);
  const started = Date.now();
  let lastLine = 0;
  const tty = process.stdout.isTTY;
  const render = (p: Progress) => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? p.bytesDone / seconds : 0;
    const eta = rate > 0 ? Math.round((p.bytesTotal - p.bytesDone) / rate) : 0;
    return say.progress(p, rate, eta);
  };
  let drawn = false;
  return {
    update(p: Progress) {
      if (tty) {
        drawn = true;
        process.stdout.write(`\r${render(p)}`);
      } else if (Date.now() - lastLine > 5000 || p.done === p.total) {
        lastLine = Date.now();
        process.stdout.write(render(p) + '\n');
      }
    },
    end() {
      if (tty && drawn) process.stdout.write('\n');
    },
  };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

/** The command as the user typed it, for the messages that say what to run next. */
function commandName(): string {
  return process.env.npm_lifecycle_event === 'upload' ? PNPM_COMMAND : 'yunzhen-upload';
}

// pnpm runs the script in the workspace root; paths typed by the user are relative to where they typed them.
if (process.env.npm_lifecycle_event === 'upload' && process.env.INIT_CWD) {
  try {
    process.chdir(process.env.INIT_CWD);
  } catch {
    // Keep the current directory.
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const lang = parseLanguage(process.argv.find((a, i, all) => all[i - 1] === '--lang') ?? '') ?? languageFromEnv();
    process.stderr.write(messages(lang).unexpected(error instanceof Error ? error.message : String(error)));
    if (process.env.YUNZHEN_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    process.exit(1);
  },
);
