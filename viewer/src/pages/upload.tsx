import { useEffect, useMemo, useRef, useState } from 'preact/hooks';

import { api, type Me, type StudySummary } from '../api.js';
import { ConsultForm } from '../components/consult-form.js';
import { PixelReview } from '../components/pixel-review.js';
import { ProgressBar } from '../components/progress-bar.js';
import { useI18n, type MessageKey } from '../i18n.js';
import { reasonText } from '../reasons.js';
import { filesFromDrop, filesFromInput, isZip, type PickedFile } from '../upload/collect-files.js';
import type { ScanReply } from '../upload/scan-types.js';
import { createScanner } from '../upload/scanner.js';
import { summarize } from '../upload/summary.js';
import { runUploads, SessionExpiredError, type UploadItem } from '../upload/upload-queue.js';

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
            // The archive itself is not sent; its entries are.
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
    abort.current = new AbortController();
    try {
      await runUploads(items.current, refresh, abort.current.signal);
    } catch (caught) {
      setError(caught instanceof SessionExpiredError ? 'upload.sessionExpired' : 'upload.failedToStart');
    }
    // Exactly the studies of these files, stored now or before (the check names those too): never the whole inbox.
    const uids = new Set(items.current.flatMap((i) => (i.storedStudyUid ? [i.storedStudyUid] : [])));
    const { studies } = await api<{ studies: StudySummary[] }>('/api/studies');
    setUploaded(studies.filter((s) => uids.has(s.studyInstanceUid)));
    setPhase('done');
  };

  useEffect(() => () => abort.current?.abort(), []);

  const all = items.current;
  const summary = summarize(all);
  const sendable = all.filter((i) => i.state !== 'invalid' && i.state !== 'scanning');
  const totalBytes = sendable.reduce((sum, i) => sum + i.size, 0);
  const sentBytes = sendable.reduce((sum, i) => sum + (i.state === 'skipped' ? i.size : i.sent), 0);
  const counts = countStates(all);

  return (
    <main class="page upload" data-testid="upload-page">
      <h1>{t('upload.title')}</h1>
      <p class="intro">{t('upload.intro')}</p>

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
                <bdi>{p.name || '—'}</bdi> · {p.id || '—'} · {p.studies} {t('upload.studies')}
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

      {(phase === 'uploading' || phase === 'done') && (
        <section class="card wide">
          <div class="total">
            <span>
              {t('upload.total')}: {counts.stored + counts.skipped}/{sendable.length}
            </span>
            <ProgressBar value={totalBytes ? sentBytes / totalBytes : 1} label={t('upload.total')} testId="total-progress" />
          </div>
          {phase === 'done' && (
            <p data-testid="upload-done" role="status">
              {t('upload.done')}: {counts.stored} {t('result.stored')}, {counts.skipped} {t('result.skipped')}, {counts.rejected} {t('result.rejected')}, {counts.failed} {t('result.failed')}
            </p>
          )}
          {error && <p class="error">{t(error)}</p>}
          <table class="table files" data-testid="file-results">
            <thead>
              <tr>
                <th>{t('upload.file')}</th>
                <th>{t('upload.result')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sendable.map((item) => (
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
        </section>
      )}

      {phase === 'done' && uploaded.length > 0 && (
        <>
          <PixelReview studies={uploaded} />
          <ConsultForm me={props.me} studies={uploaded} missingFiles={all.filter((i) => i.state === 'failed' || i.state === 'rejected').length} />
        </>
      )}
    </main>
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
