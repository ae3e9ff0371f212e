import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

import { commandExists } from './lib.js';

/** Debian packages the test suite uses as real components and independent oracles. */
const requirements: { pkg: string; why: string; present: () => boolean }[] = [
  { pkg: 'postgresql', why: 'PostgreSQL integration tests', present: hasPostgresServer },
  { pkg: 'chromium', why: 'browser tests', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'fonts-wqy-zenhei', why: 'Chinese text in browser screenshots', present: hasChineseFont },
  { pkg: 'dcmtk', why: 'dcmdump as a DICOM oracle', present: () => commandExists('dcmdump') },
  { pkg: 'dicom3tools', why: 'dciodvfy as a DICOM validator', present: () => commandExists('dciodvfy') },
  { pkg: 'poppler-utils', why: 'pdftoppm and pdftotext to check report PDFs', present: () => commandExists('pdftoppm') },
  { pkg: 'orthanc', why: 'Orthanc as a hospital PACS receiving returned reports', present: () => existsSync('/usr/sbin/Orthanc') },
  { pkg: 'python3-pydicom', why: 'pydicom as a DICOM oracle', present: () => pythonImports('pydicom') },
  { pkg: 'python3-numpy', why: 'pydicom decoding native pixel data for frame comparisons', present: () => pythonImports('numpy') },
];

function pythonImports(module: string): boolean {
  return existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

function hasPostgresServer(): boolean {
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((v) => existsSync(`${base}/${v}/bin/initdb`));
}

function hasChineseFont(): boolean {
  const result = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim().length > 0;
}

/** Installs missing packages with apt-get when running as root; otherwise explains what is missing. */
export function ensureSystemPackages(): void {
  const missing = requirements.filter((r) => !r.present());
  if (missing.length === 0) return;
  const names = missing.map((r) => r.pkg);
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages: ${names.join(' ')} (${missing.map((r) => r.why).join('; ')}). Install them with: sudo apt-get install -y ${names.join(' ')}`);
  }
  process.stdout.write(`Installing Debian packages: ${names.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { stdio: 'inherit', env });
  if (update.status !== 0 || install.status !== 0) throw new Error(`apt-get could not install ${names.join(' ')}`);
  const stillMissing = requirements.filter((r) => !r.present()).map((r) => r.pkg);
  if (stillMissing.length) throw new Error(`still missing after apt-get: ${stillMissing.join(' ')}`);
}
