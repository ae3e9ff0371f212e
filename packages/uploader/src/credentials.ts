/**
 * The tokens `login` stores: `$XDG_CONFIG_HOME/yunzhen/credentials.json` (else
 * `~/.config/yunzhen/credentials.json`), readable by the user only (file 0600, folder 0700),
 * replaced atomically (a temporary file, fsync, rename) so an interrupted write never leaves
 * half a file or a moment where the file is readable by others.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface StoredLogin {
  server: string;
  token: string;
  email?: string;
  expiresAt?: string;
}

interface CredentialsFile {
  /** Most recent login last: the server used when `--server` is not given. */
  logins: StoredLogin[];
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(config, 'yunzhen', 'credentials.json');
}

/**
 * A server address as stored and compared: scheme, host, port and path, no trailing slash,
 * query or fragment. Throws for anything but an http(s) URL (no guessed scheme: a password
 * must not go out unencrypted because `https://` was left off).
 */
export function normalizeServer(input: string): string {
  if (!/^https?:\/\//i.test(input)) throw new TypeError('not an http(s) URL');
  const url = new URL(input);
  if (url.username || url.password) throw new TypeError('credentials in the URL');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

async function readCredentials(path: string): Promise<CredentialsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { logins: [] };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile> & Partial<StoredLogin>;
    // A hand-written `{ "server": …, "token": … }` counts as one login.
    const logins = Array.isArray(parsed.logins) ? parsed.logins : parsed.server && parsed.token ? [parsed as StoredLogin] : [];
    return { logins: logins.filter((l) => typeof l?.server === 'string' && typeof l.token === 'string') };
  } catch {
    return { logins: [] };
  }
}

async function writeCredentials(path: string, file: CredentialsFile): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  if (file.logins.length === 0) {
    await rm(path, { force: true });
    return;
  }
  const temporary = join(dir, `.credentials.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(JSON.stringify(file, null, 2) + '\n');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
}

/** The stored login for `server`, or without a server the most recent one. */
export async function findLogin(server: string | undefined, path = credentialsPath()): Promise<StoredLogin | undefined> {
  const { logins } = await readCredentials(path);
  return server === undefined ? logins.at(-1) : logins.findLast((l) => l.server === server);
}

/** Stores a login, replacing the one for the same server; returns the one it replaced. */
export async function saveLogin(login: StoredLogin, path = credentialsPath()): Promise<StoredLogin | undefined> {
  const { logins } = await readCredentials(path);
  const previous = logins.findLast((l) => l.server === login.server);
  await writeCredentials(path, { logins: [...logins.filter((l) => l.server !== login.server), login] });
  return previous;
}

/** Removes the stored login for `server`. */
export async function removeLogin(server: string, path = credentialsPath()): Promise<void> {
  const { logins } = await readCredentials(path);
  if (!logins.some((l) => l.server === server)) return;
  await writeCredentials(path, { logins: logins.filter((l) => l.server !== server) });
}
