import { useEffect, useMemo, useRef, useState } from 'preact/hooks';

import { api, type Me, type StudySummary } from '../api.js';
import { ConsultForm } from '../components/consult-form.js';
import { PixelReview } from '../components/pixel-review.js';
import { ProgressBar } from '../components/progress-bar.js';
import { displayName, formatDateTime, useI18n, type Language, type MessageKey } from '../i18n.js';
import { reasonText } from '../reasons.js';
import { guardLeaving } from '../router.js';
import { filesFromDrop, filesFromInput, isZip, type PickedFile } from '../upload/collect-files.js';
import type { ScanReply } from '../upload/scan-types.js';
import { createScanner } from '../upload/scanner.js';
import { summarize } from '../upload/summary.js';
import { runUploads, SessionExpiredError, type UploadItem } from '../upload/upload-queue.js';
import { readUnfinishedUpload, writeUnfinishedUpload, type UnfinishedUpload } from '../upload/unfinished-upload.js';

type Phase = 'pick' | 'ready' | 'uploading' | 'done';

/**
 * Where a radiographer sends studies: drop or choose files, folders or zips; check the
 * pre-scan summary; upload with per-file progress, retries and resume; then review held
 * images and create the consult.
 */
export function UploadPage(props: { me: Me }) {
  const { t, language } = useI18n();
  const items = useRef<UploadItem[]>([]);
  const byId = useRef(new Map<number, UploadItem>());
  const zipNames = useRef(new Map<number, string>());
  const nextId = useRef(1);
  const [, setVersion] = useState(0);
  const [phase, setPhase] = useState<Phase>('pick');
  const [pendingScans, setPendingScans] = useState(0);
  const [error, setError] = useState<MessageKey | null>(null);
  const [uploaded, setUploaded] = useState<StudySummary[]>([]);
  const abort = useRef<AbortController | null>(null);
  // When this run started and how many bytes were already sent then: speed and time left count this run only.
  const run = useRef({ startedAt: 0, bytesAtStart: 0 });
  const [unfinished, setUnfinished] = useState<UnfinishedUpload | null>(() => readUnfinishedUpload());
  const online = useOnline();

  // Re-render at most every 100 ms while hundreds of files report progress.
  const scheduled = useRef(false);
  const refresh = () => {
    if (scheduled.current) return;
    scheduled.current = true;
    setTimeout(() => {
      scheduled.current = false;
      setVersion((v) => v + 1);
    }, 100);
  };

  const scanner = useMemo(
    () =>
      createScanner((reply: ScanReply) => {
        if (reply.kind === 'scanned') {
          const item = byId.current.get(reply.id);
          if (item) {
            item.scan = reply.result;
            item.state = reply.result.ok ? 'queued' : 'invalid';
            item.code = reply.result.ok ? undefined : reply.result.code;
          }
          setPendingScans((n) => n - 1);
        } else if (reply.kind === 'zip-entry' || reply.kind === 'zip-skipped') {
          const archive = zipNames.current.get(reply.id) ?? '';
          const item: UploadItem = {
            id: nextId.current++,
            name: `${archive} › ${reply.name}`,
            size: reply.kind === 'zip-entry' ? reply.bytes.length : 0,
            source: reply.kind === 'zip-entry' ? new Blob([reply.bytes as BlobPart]) : new Blob([]),
            state: 'invalid',
            sent: 0,
            attempts: 0,
          };
          const archiveFile = byId.current.get(reply.id)?.source;
          if (archiveFile) item.archive = { file: archiveFile, entryName: reply.name };
          if (reply.kind === 'zip-entry') {
            item.scan = reply.result;
            item.state = reply.result.ok ? 'queued' : 'invalid';
            item.code = reply.result.ok ? undefined : reply.result.code;
          } else {
            item.code = reply.reason;
          }
          items.current.push(item);
          byId.current.set(item.id, item);
        } else if (reply.kind === 'zip-done') {
          const archive = byId.current.get(reply.id);
          if (archive) {
            // The archive is listed by its entries; it goes whole in parts (or entry by entry where the browser cannot hash).
            items.current = items.current.filter((i) => i !== archive);
            if (reply.error) {
              archive.state = 'invalid';
              archive.code = reply.error;
              items.current.push(archive);
            }
          }
          setPendingScans((n) => n - 1);
        }
        refresh();
      }),
    [],
  );
  useEffect(() => () => scanner.stop(), [scanner]);
  useEffect(() => {
    if (phase === 'pick' && items.current.length > 0 && pendingScans === 0) setPhase('ready');
  }, [pendingScans, phase]);

  const add = (picked: PickedFile[]) => {
    if (phase === 'uploading') return;
    if (phase === 'done') reset();
    setPendingScans((n) => n + picked.length);
    for (const { path, file } of picked) {
      const item: UploadItem = { id: nextId.current++, name: path, size: file.size, source: file, state: 'scanning', sent: 0, attempts: 0 };
      items.current.push(item);
      byId.current.set(item.id, item);
      if (isZip(file)) {
        zipNames.current.set(item.id, path);
        scanner.send({ kind: 'zip', id: item.id, file });
      } else {
        scanner.send({ kind: 'file', id: item.id, file });
      }
    }
    setPhase('pick');
    refresh();
  };

  const reset = () => {
    items.current = [];
    byId.current.clear();
    setUploaded([]);
    setError(null);
    setPhase('pick');
    refresh();
  };

  const start = async () => {
    setPhase('uploading');
    setError(null);
    setUnfinished(null);
    abort.current = new AbortController();
    run.current = { startedAt: performance.now(), bytesAtStart: sentBytesOf(items.current) };
    const record = { startedAt: new Date().toISOString(), files: items.current.filter(isSendable).length, stored: 0 };
    writeUnfinishedUpload(record);
    guardLeaving(t('upload.leaveWarning'));
    const progress = () => {
      refresh();
      const stored = items.current.filter((i) => i.state === 'stored' || i.state === 'skipped').length;
      if (stored !== record.stored) writeUnfinishedUpload({ ...record, stored: (record.stored = stored) });
    };
    try {
      await runUploads(items.current, progress, abort.current.signal);
    } catch (caught) {
      setError(caught instanceof SessionExpiredError ? 'upload.sessionExpired' : 'upload.failedToStart');
    }
    guardLeaving(null);
    // A run that ended with files unsent stays "unfinished" until they are sent.
    writeUnfinishedUpload(items.current.some((i) => i.state === 'failed' || i.state === 'queued') ? record : null);
    // Exactly the studies of these files, stored now or before (the check names those too): never the whole inbox.
    const uids = new Set(items.current.flatMap((i) => (i.storedStudyUid ? [i.storedStudyUid] : [])));
    const ids = new Set(items.current.flatMap((i) => (i.storedStudyId ? [i.storedStudyId] : [])));
    const { studies } = await api<{ studies: StudySummary[] }>('/api/studies');
    setUploaded(studies.filter((s) => uids.has(s.studyInstanceUid) || ids.has(s.id)));
    setPhase('done');
  };

  useEffect(
    () => () => {
      abort.current?.abort();
      guardLeaving(null);
    },
    [],
  );

  const all = items.current;
  const summary = summarize(all);
  const sendable = all.filter(isSendable);
  const totalBytes = sendable.reduce((sum, i) => sum + i.size, 0);
  const sentBytes = sentBytesOf(all);
  const counts = countStates(all);
  const notStored = counts.failed + counts.rejected;
  // Problems first: a radiographer acts on the files that did not go, not on the hundreds that did.
  const problems = sendable.filter((i) => i.state === 'failed' || i.state === 'rejected');
  const others = sendable.filter((i) => i.state !== 'failed' && i.state !== 'rejected');
  const elapsed = (performance.now() - run.current.startedAt) / 1000;
  const rate = phase === 'uploading' && elapsed > 1 ? (sentBytes - run.current.bytesAtStart) / elapsed : 0;
  const secondsLeft = rate > 0 ? Math.ceil((totalBytes - sentBytes) / rate) : null;

  return (
    <main class="page upload" data-testid="upload-page">
      <h1>{t('upload.title')}</h1>
      <p class="intro">{t('upload.intro')}</p>
      {!online && (
        <p class="warning banner" role="alert" data-testid="offline-banner">
          {t('upload.offline')}
        </p>
      )}
      {unfinished && phase === 'pick' && all.length === 0 && (
        <div class="warning banner" role="status" data-testid="unfinished-upload">
          <p>
            {t('upload.unfinished')
              .replace('{time}', formatDateTime(unfinished.startedAt, language))
              .replace('{stored}', String(unfinished.stored))
              .replace('{files}', String(unfinished.files))}
          </p>
          <button type="button" class="secondary" onClick={() => (writeUnfinishedUpload(null), setUnfinished(null))} data-testid="unfinished-dismiss">
            {t('upload.unfinishedDismiss')}
          </button>
        </div>
      )}

      {/* Once the files are in, what comes next (the consult, held images) comes first; the file list after. */}
      {phase === 'done' && (
        <p data-testid="upload-done" role="status" class={notStored > 0 ? 'warning banner' : 'banner-ok'}>
          {t(notStored > 0 ? 'upload.doneWithProblems' : 'upload.done').replace('{n}', String(notStored))}: {counts.stored} {t('result.stored')}, {counts.skipped}{' '}
          {t('result.skipped')}, {counts.rejected} {t('result.rejected')}, {counts.failed} {t('result.failed')}
        </p>
      )}
      {phase === 'done' && uploaded.length > 0 && (
        <>
          <ConsultForm me={props.me} studies={uploaded} missingFiles={notStored} />
          <PixelReview studies={uploaded} />
        </>
      )}

      {(phase === 'uploading' || phase === 'done') && (
        <section class="card wide" data-testid="upload-progress">
          <div class="total">
            <span>
              {t('upload.total')}: {counts.stored + counts.skipped}/{sendable.length}
            </span>
            <ProgressBar value={totalBytes ? sentBytes / totalBytes : 1} label={t('upload.total')} testId="total-progress" />
          </div>
          <p class="muted" data-testid="upload-figures">
            {formatMegabytes(sentBytes)} / {formatMegabytes(totalBytes)} MB
            {phase === 'uploading' && rate > 0 && (
              <>
                {' '}
                · {formatMegabytes(rate)} MB/s · {t('upload.timeLeft').replace('{time}', formatDuration(secondsLeft ?? 0, language))}
              </>
            )}
          </p>
          {error && <p class="error">{t(error)}</p>}
          {problems.length > 0 && <FileResults items={problems} testId="file-problems" />}
          <details data-testid="file-results-details" open={phase === 'uploading' && sendable.length <= 20}>
            <summary>
              {t('upload.allFiles')} ({others.length})
            </summary>
            <FileResults items={others} testId="file-results" />
          </details>
        </section>
      )}

      <DropZone onFiles={add} disabled={phase === 'uploading'} />

      {pendingScans > 0 && (
        <p data-testid="scanning">
          {t('upload.scanning')} ({pendingScans})
        </p>
      )}

      {all.length > 0 && (
        <section class="card wide" data-testid="upload-summary">
          <h2>{t('upload.summary')}</h2>
          <dl class="facts">
            <dt>{t('upload.patients')}</dt>
            <dd data-testid="summary-patients">{summary.patients.length}</dd>
            <dt>{t('upload.studies')}</dt>
            <dd data-testid="summary-studies">{summary.studies}</dd>
            <dt>{t('upload.series')}</dt>
            <dd data-testid="summary-series">{summary.series}</dd>
            <dt>{t('upload.instances')}</dt>
            <dd data-testid="summary-instances">{summary.instances}</dd>
            <dt>{t('upload.modalities')}</dt>
            <dd data-testid="summary-modalities">{summary.modalities.join(', ')}</dd>
          </dl>
          <ul class="patients">
            {summary.patients.map((p) => (
              <li key={p.key}>
                <bdi>{displayName(p.name) || '—'}</bdi> · {p.id || '—'} · {t(p.studies === 1 ? 'upload.studyCount.one' : 'upload.studyCount.other').replace('{count}', String(p.studies))}
              </li>
            ))}
          </ul>
          {summary.pixelReview.length > 0 && (
            <p class="warning" data-testid="summary-pixel-review">
              {t('upload.pixelReview')} ({summary.pixelReview.length})
            </p>
          )}
          {summary.invalid.length > 0 && (
            <details class="warning" data-testid="summary-invalid" open={summary.invalid.length <= 10}>
              <summary>
                {t('upload.notDicom')} ({summary.invalid.length})
              </summary>
              <ul>
                {summary.invalid.map((i) => (
                  <li key={i.id}>
                    {i.name}: {reasonText(i.code ?? '', language)}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <div class="actions">
            <button type="button" onClick={start} disabled={phase !== 'ready' || summary.instances === 0} data-testid="start-upload">
              {t('upload.start')} ({summary.instances})
            </button>
            {phase === 'done' && counts.failed > 0 && (
              <button type="button" onClick={start} data-testid="retry-failed">
                {t('upload.retryFailed')} ({counts.failed})
              </button>
            )}
            <button type="button" class="secondary" onClick={reset} disabled={phase === 'uploading'}>
              {t('upload.clear')}
            </button>
          </div>
        </section>
      )}

    </main>
  );
}

const isSendable = (item: UploadItem) => item.state !== 'invalid' && item.state !== 'scanning';

function sentBytesOf(items: UploadItem[]): number {
  return items.filter(isSendable).reduce((sum, i) => sum + (i.state === 'skipped' ? i.size : i.sent), 0);
}

function formatMegabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** Time left as people say it: "45 s", "3 min", "1 h 5 min" (and in Chinese: 45 秒, 3 分钟…). */
function formatDuration(seconds: number, language: Language): string {
  const units = language === 'zh-CN' ? { s: ' 秒', min: ' 分钟', h: ' 小时' } : { s: ' s', min: ' min', h: ' h' };
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))}${units.s}`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}${units.min}`;
  return `${Math.floor(minutes / 60)}${units.h} ${minutes % 60}${units.min}`;
}

/** Whether the browser has a network connection; a radiographer on a flaky link sees when it drops. */
function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

function FileResults(props: { items: UploadItem[]; testId: string }) {
  const { t, language } = useI18n();
  return (
    <table class="table files" data-testid={props.testId}>
      <thead>
        <tr>
          <th>{t('upload.file')}</th>
          <th>{t('upload.result')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.items.map((item) => (
          <tr key={item.id} data-state={item.state}>
            <td class="file-name">{item.name}</td>
            <td>
              {t(`result.${item.state === 'scanning' ? 'queued' : item.state}` as MessageKey)}
              {item.code && item.state !== 'stored' ? ` (${reasonText(item.code, language)})` : ''}
            </td>
            <td class="file-progress">
              <ProgressBar value={item.size ? (item.state === 'skipped' ? 1 : item.sent / item.size) : 1} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function countStates(items: UploadItem[]) {
  const count = (state: UploadItem['state']) => items.filter((i) => i.state === state).length;
  return { stored: count('stored'), skipped: count('skipped'), rejected: count('rejected'), failed: count('failed') };
}

function DropZone(props: { onFiles: (files: PickedFile[]) => void; disabled: boolean }) {
  const { t } = useI18n();
  const [over, setOver] = useState(false);
  return (
    <div
      class={`drop-zone${over ? ' over' : ''}`}
      data-testid="drop-zone"
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={async (event) => {
        event.preventDefault();
        setOver(false);
        if (!props.disabled && event.dataTransfer) props.onFiles(await filesFromDrop(event.dataTransfer));
      }}
    >
      <p>{t('upload.drop')}</p>
      <div class="actions">
        <label class="button">
          {t('upload.chooseFiles')}
          <input
            type="file"
            multiple
            hidden
            data-testid="file-input"
            disabled={props.disabled}
            onChange={(event) => {
              const input = event.currentTarget;
              if (input.files) props.onFiles(filesFromInput(input.files));
              input.value = '';
            }}
          />
        </label>
        <label class="button">
          {t('upload.chooseFolder')}
          <input
            type="file"
            hidden
            data-testid="folder-input"
            disabled={props.disabled}
            {...{ webkitdirectory: true }}
            onChange={(event) => {
              const input = event.currentTarget;
              if (input.files) props.onFiles(filesFromInput(input.files));
              input.value = '';
            }}
          />
        </label>
      </div>
    </div>
  );
}
