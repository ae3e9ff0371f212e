import { useEffect, useRef, useState } from 'preact/hooks';

import {
  assessmentLines,
  computeAssessment,
  describeIssue,
  getTemplate,
  localesOf,
  lungLobeLabels,
  measurementSummary,
  noduleTypeLabels,
  reportTemplates,
  type FieldDefinition,
  type ImageRef,
  type LocalizedText,
  type LungLobe,
  type LungNodule,
  type Measurement,
  type NoduleType,
  type ReportDocument,
  type ReportLanguage,
  type ValidationIssue,
} from '@yunzhen/report';

import { ApiError, onBeforeSignOut, type Me } from '../api.js';
import { useI18n } from '../i18n.js';
import { LocalizedInput } from './localized-input.js';
import { reportText, type ReportMessage } from './messages.js';
import { reportApi, type ReportView } from './report-api.js';
import { RecistEditor } from './recist-editor.js';
import { ReportDetails } from './report-view.js';

type ContentPart = 'language' | 'values' | 'findings' | 'measurements' | 'keyImages' | 'nodules' | 'recist';
type SaveState = { kind: 'saved' } | { kind: 'saving' } | { kind: 'conflict'; latest: ReportView } | { kind: 'error'; message: string };

const AUTOSAVE_MS = 1200;

export interface ReportPanelProps {
  consultId: string;
  me: Me;
  /** The reader's current measurements in the viewer, in the report's neutral shape. */
  measurements: Measurement[];
  /** Captures the active viewport as a PNG with the image it shows; absent when no image is open. */
  captureKeyImage?: () => Promise<{ png: Blob; image: ImageRef } | null>;
  /** Study the report is about (the consult's first study by default). */
  studyInstanceUid?: string;
  /** A pre-arrival consult: reported in Chinese and English (the server refuses anything else). */
  bilingual?: boolean;
}

/**
 * The report editor beside the images: template fields in the report's language(s), findings
 * with measurements and key images inserted in one action, autosaved drafts with optimistic
 * concurrency (a conflict asks, never overwrites), signing, addenda and second opinions.
 */
export function ReportPanel(props: ReportPanelProps) {
  const { language } = useI18n();
  const t = (key: ReportMessage) => reportText(language, key);
  const [view, setView] = useState<ReportView | null | 'none' | 'loading'>('loading');
  const [doc, setDoc] = useState<ReportDocument | null>(null);
  const [save, setSave] = useState<SaveState>({ kind: 'saved' });
  const [issues, setIssues] = useState<string[]>([]);
  const dirty = useRef(new Set<ContentPart>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const docRef = useRef<ReportDocument | null>(null);
  docRef.current = doc;

  const load = async () => {
    const loaded = await reportApi.get(props.consultId);
    if (!loaded) return setView('none');
    setView(loaded);
    setDoc(loaded.report);
    dirty.current.clear();
    setSave({ kind: 'saved' });
  };
  useEffect(() => {
    void load();
  }, [props.consultId]);

  /** Sends the changed parts against `version`; on 409 offers the choice instead of overwriting. */
  const flush = async (version: number) => {
    const current = docRef.current;
    if (!current || dirty.current.size === 0) return;
    const parts = [...dirty.current];
    const changes = Object.fromEntries(parts.map((part) => [part, current[part]]));
    setSave({ kind: 'saving' });
    try {
      const saved = await reportApi.save(props.consultId, version, changes);
      for (const part of parts) dirty.current.delete(part);
      setDoc((d) => (d ? { ...d, version: saved.version, updatedAt: saved.updatedAt } : d));
      setSave({ kind: 'saved' });
    } catch (error) {
      const latest = error instanceof ApiError && error.code === 'Conflict' ? await reportApi.get(props.consultId) : null;
      if (latest) setSave({ kind: 'conflict', latest });
      else setSave({ kind: 'error', message: error instanceof ApiError ? error.message : String(error) });
    }
  };

  /** `next` as a function reads the latest document: for changes made outside an input event, which may land after other edits. */
  const change = (part: ContentPart, next: Partial<ReportDocument> | ((current: ReportDocument) => Partial<ReportDocument>)) => {
    setDoc((d) => (d ? { ...d, ...(typeof next === 'function' ? next(d) : next) } : d));
    dirty.current.add(part);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void flush(docRef.current!.version), AUTOSAVE_MS);
  };
  useEffect(() => () => clearTimeout(timer.current), []);
  // Signing out saves a draft change still waiting for its timer, while the session lasts.
  useEffect(
    () =>
      onBeforeSignOut(async () => {
        if (timer.current === undefined || dirty.current.size === 0 || !docRef.current) return;
        clearTimeout(timer.current);
        await flush(docRef.current.version);
      }),
    [],
  );

  if (view === 'loading') return <aside class="report-panel" data-testid="report-panel" />;
  if (view === 'none' || !doc || !view) return <CreateReport {...props} onCreated={(created) => (setView(created), setDoc(created.report))} />;

  const template = getTemplate(doc.template.id, doc.template.version);
  const locked = doc.status === 'final' || doc.status === 'amended';
  const assessment = computeAssessment(doc, template);
  // A bilingual report's labels follow the reader's language; a one-language report's, its own.
  const locale = doc.language === 'both' ? language : doc.language;
  const signedByMe = doc.signatures.some((s) => s.signer.userId === props.me.user.id);
  const invited = view.readers.find((r) => r.userId === props.me.user.id);

  const insertMeasurement = (measurement: Measurement) => {
    const measurements = doc.measurements.some((m) => m.id === measurement.id)
      ? doc.measurements.map((m) => (m.id === measurement.id ? measurement : m))
      : [...doc.measurements, measurement];
    change('measurements', { measurements });
    const text: LocalizedText = {};
    for (const l of localesOf(doc.language)) text[l] = `${measurement.label ?? ''} ${measurementSummary(measurement, l)}`.trim();
    change('findings', { findings: [...doc.findings, { id: crypto.randomUUID(), text, measurementIds: [measurement.id], keyImageIds: [] }] });
  };

  const addKeyImage = async () => {
    const captured = await props.captureKeyImage?.();
    if (!captured) return;
    const id = await reportApi.addKeyImage(props.consultId, captured.png);
    // The reader may have typed while the image uploaded: build on the document as it is now.
    const current = docRef.current!;
    change('keyImages', { keyImages: [...current.keyImages, { id, image: captured.image }] });
    const last = current.findings.at(-1);
    if (last) change('findings', { findings: current.findings.map((f) => (f === last ? { ...f, keyImageIds: [...f.keyImageIds, id] } : f)) });
  };

  const sign = async (kind: 'preliminary' | 'final') => {
    clearTimeout(timer.current);
    await flush(doc.version);
    setIssues([]);
    try {
      const { report } = await reportApi.sign(props.consultId, docRef.current!.version, kind);
      setDoc(report);
      await load();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'ReportIncomplete') {
        const found = (error.body as { error?: { issues?: ValidationIssue[] } } | null)?.error?.issues ?? [];
        setIssues(found.length ? found.map((issue) => describeIssue(issue, template, language)) : [error.message]);
      }
      else setIssues([error instanceof ApiError ? error.message : String(error)]);
    }
  };

  return (
    <aside class="report-panel" data-testid="report-panel" lang={locale}>
      <header class="report-header">
        <h2>{template.title[locale]}</h2>
        <span class={`badge status-${doc.status}`} data-testid="report-status">
          {t(`status_${doc.status}` as ReportMessage)}
        </span>
        <SaveIndicator state={save} t={t} onTheirs={() => void load()} onMine={() => save.kind === 'conflict' && void flush(save.latest.report.version)} />
      </header>

      {locked ? (
        <ReportDetails view={{ ...view, report: doc }} consultId={props.consultId} />
      ) : (
        <>
          <label>
            {t('reportLanguage')}
            <select value={doc.language} onChange={(e) => change('language', { language: e.currentTarget.value as ReportLanguage })} data-testid="report-language">
              <option value="zh-CN">中文</option>
              <option value="en">English</option>
              <option value="both">{t('languageBoth')}</option>
            </select>
          </label>
          {template.fields.map((field) => (
            <Field key={field.key} field={field} doc={doc} locale={locale} onChange={(values) => change('values', { values })} />
          ))}

          <section>
            <h3>{t('measurements')}</h3>
            {props.measurements.length === 0 && <p class="muted">—</p>}
            <ul class="measurement-list" data-testid="report-measurements">
              {props.measurements.map((m) => (
                <li key={m.id}>
                  <span>
                    {m.label ?? m.tool}: {measurementSummary(m, locale)}
                  </span>
                  <button type="button" class="secondary" data-testid="insert-measurement" onClick={() => insertMeasurement(m)}>
                    {t('insertMeasurement')}
                  </button>
                </li>
              ))}
            </ul>
            {props.captureKeyImage && (
              <button type="button" class="secondary" data-testid="add-key-image" onClick={() => void addKeyImage()}>
                {t('keyImage')}
              </button>
            )}
          </section>

          <section>
            <h3>{t('findingsList')}</h3>
            {doc.findings.map((finding, i) => (
              <div key={finding.id} class="finding" data-testid="finding">
                <LocalizedInput
                  name={`finding${i}`}
                  value={finding.text}
                  language={doc.language}
                  rows={2}
                  onChange={(text) => change('findings', { findings: doc.findings.map((f) => (f.id === finding.id ? { ...f, text } : f)) })}
                />
                <span class="muted">
                  {finding.measurementIds.length} {t('measurement')} · {finding.keyImageIds.length} {t('keyImages')}
                </span>
                <button type="button" class="secondary" onClick={() => change('findings', { findings: doc.findings.filter((f) => f.id !== finding.id) })}>
                  {t('remove')}
                </button>
              </div>
            ))}
            <button
              type="button"
              class="secondary"
              onClick={() => change('findings', { findings: [...doc.findings, { id: crypto.randomUUID(), text: {}, measurementIds: [], keyImageIds: [] }] })}
            >
              {t('addFinding')}
            </button>
          </section>

          {template.structured === 'nodules' && <Nodules doc={doc} locale={locale} t={t} onChange={(nodules) => change('nodules', { nodules })} />}

          {template.structured === 'recist' && (
            <RecistEditor
              consultId={props.consultId}
              doc={doc}
              template={template}
              locale={locale}
              viewerMeasurements={props.measurements}
              t={t}
              onChange={(recist, measurements) => {
                if (measurements) change('measurements', { measurements });
                change('recist', { recist });
              }}
              onLinkedMeasurementsAdjusted={(adjusted) =>
                change('measurements', (current) => ({ measurements: current.measurements.map((m) => adjusted.find((a) => a.id === m.id) ?? m) }))
              }
            />
          )}

          {assessment && (
            <section data-testid="report-assessment">
              <h3>{t('assessment')}</h3>
              {assessmentLines({ ...doc, assessment }, locale).map((line) => (
                <p key={line}>{line}</p>
              ))}
            </section>
          )}

          {issues.length > 0 && (
            <div class="error" role="alert" data-testid="sign-issues">
              {t('incomplete')}
              <ul>
                {issues.map((issue) => (
                  <li key={issue} data-testid="sign-issue">
                    {issue}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <div class="actions">
            <button type="button" class="secondary" data-testid="sign-preliminary" disabled={!props.me.user.licensed} onClick={() => void sign('preliminary')}>
              {t('signPreliminary')}
            </button>
            <button type="button" data-testid="sign-final" disabled={!props.me.user.licensed} onClick={() => void sign('final')}>
              {t('signFinal')}
            </button>
          </div>
        </>
      )}

      {locked && signedByMe && <Addendum doc={doc} consultId={props.consultId} t={t} onDone={() => void load()} />}
      {invited && !signedByMe && doc.status !== 'draft' && <Opinion consultId={props.consultId} t={t} onDone={() => void load()} />}
    </aside>
  );
}

function SaveIndicator(props: { state: SaveState; t: (key: ReportMessage) => string; onTheirs: () => void; onMine: () => void }) {
  const { state, t } = props;
  if (state.kind === 'conflict') {
    return (
      <div class="conflict" role="alert" data-testid="report-conflict">
        {t('conflict')}
        <button type="button" class="secondary" onClick={props.onTheirs}>
          {t('useTheirs')}
        </button>
        <button type="button" onClick={props.onMine}>
          {t('keepMine')}
        </button>
      </div>
    );
  }
  return (
    <span class="save-state" data-testid="report-save-state" data-state={state.kind}>
      {state.kind === 'saving' ? t('saving') : state.kind === 'saved' ? t('saved') : state.message}
    </span>
  );
}

function Field(props: { field: FieldDefinition; doc: ReportDocument; locale: 'zh-CN' | 'en'; onChange: (values: ReportDocument['values']) => void }) {
  const { field, doc } = props;
  const set = (value: ReportDocument['values'][string]) => props.onChange({ ...doc.values, [field.key]: value });
  const label = `${field.label[props.locale]}${field.required ? ' *' : ''}`;
  if (field.kind === 'narrative') {
    return (
      <label class="field">
        {label}
        <LocalizedInput name={field.key} value={doc.values[field.key] as LocalizedText | undefined} language={doc.language} onChange={set} />
      </label>
    );
  }
  if (field.kind === 'boolean') {
    return (
      <label class="field checkbox">
        <input type="checkbox" name={field.key} checked={doc.values[field.key] === true} onChange={(e) => set(e.currentTarget.checked)} />
        {label}
      </label>
    );
  }
  return (
    <label class="field">
      {label}
      <select name={field.key} value={String(doc.values[field.key] ?? '')} onChange={(e) => set(e.currentTarget.value)}>
        <option value="">—</option>
        {field.options.map((option) => (
          <option key={option.code} value={option.code}>
            {option.label[props.locale]}
          </option>
        ))}
      </select>
    </label>
  );
}

function Nodules(props: { doc: ReportDocument; locale: 'zh-CN' | 'en'; t: (key: ReportMessage) => string; onChange: (nodules: LungNodule[]) => void }) {
  const { doc, locale, t } = props;
  const nodules = doc.nodules ?? [];
  const sizeable = doc.measurements.filter((m) => m.tool === 'Bidirectional' || m.tool === 'Length');
  const update = (id: string, patch: Partial<LungNodule>) => props.onChange(nodules.map((n) => (n.id === id ? { ...n, ...patch } : n)));
  return (
    <section data-testid="nodules">
      <h3>{t('nodules')}</h3>
      {nodules.map((nodule) => (
        <div key={nodule.id} class="nodule" data-testid="nodule">
          <select aria-label={t('type')} name="nodule-type" value={nodule.type} onChange={(e) => update(nodule.id, { type: e.currentTarget.value as NoduleType })}>
            {(Object.keys(noduleTypeLabels) as NoduleType[]).map((type) => (
              <option key={type} value={type}>
                {noduleTypeLabels[type][locale]}
              </option>
            ))}
          </select>
          <select aria-label={t('lobe')} name="nodule-lobe" value={nodule.lobe} onChange={(e) => update(nodule.id, { lobe: e.currentTarget.value as LungLobe })}>
            {(Object.keys(lungLobeLabels) as LungLobe[]).map((lobe) => (
              <option key={lobe} value={lobe}>
                {lungLobeLabels[lobe][locale]}
              </option>
            ))}
          </select>
          <select aria-label={t('measurement')} name="nodule-measurement" value={nodule.measurementId} onChange={(e) => update(nodule.id, { measurementId: e.currentTarget.value })}>
            {sizeable.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label ?? m.tool} {measurementSummary(m, locale)}
              </option>
            ))}
          </select>
          <button type="button" class="secondary" onClick={() => props.onChange(nodules.filter((n) => n.id !== nodule.id))}>
            {t('remove')}
          </button>
        </div>
      ))}
      <button
        type="button"
        class="secondary"
        data-testid="add-nodule"
        disabled={sizeable.length === 0}
        onClick={() => props.onChange([...nodules, { id: crypto.randomUUID(), type: 'solid', lobe: 'RUL', measurementId: sizeable.at(-1)!.id }])}
      >
        {t('addNodule')}
      </button>
    </section>
  );
}

function CreateReport(props: ReportPanelProps & { onCreated: (view: ReportView) => void }) {
  const { language } = useI18n();
  const t = (key: ReportMessage) => reportText(language, key);
  const [templateId, setTemplateId] = useState('general');
  const [reportLanguage, setReportLanguage] = useState<ReportLanguage>(props.bilingual ? 'both' : language);
  if (props.me.user.role !== 'specialist') return null;
  return (
    <aside class="report-panel" data-testid="report-panel">
      <h2>{t('title')}</h2>
      <label>
        {t('template')}
        <select name="template" value={templateId} onChange={(e) => setTemplateId(e.currentTarget.value)}>
          {reportTemplates.map((template) => (
            <option key={template.id} value={template.id}>
              {template.title[language]}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('reportLanguage')}
        <select name="report-language" value={reportLanguage} onChange={(e) => setReportLanguage(e.currentTarget.value as ReportLanguage)}>
          <option value="zh-CN">中文</option>
          <option value="en">English</option>
          <option value="both">{t('languageBoth')}</option>
        </select>
      </label>
      <button
        type="button"
        data-testid="create-report"
        onClick={async () => props.onCreated(await reportApi.create(props.consultId, { templateId, language: reportLanguage, ...(props.studyInstanceUid && { studyInstanceUid: props.studyInstanceUid }) }))}
      >
        {t('create')}
      </button>
    </aside>
  );
}

function Addendum(props: { doc: ReportDocument; consultId: string; t: (key: ReportMessage) => string; onDone: () => void }) {
  const [text, setText] = useState<LocalizedText>({});
  const [error, setError] = useState<string | null>(null);
  return (
    <section data-testid="addendum-form">
      <h3>{props.t('addendum')}</h3>
      <LocalizedInput name="addendum" value={text} language={props.doc.language} onChange={setText} />
      {error && <p class="error">{error}</p>}
      <button
        type="button"
        data-testid="sign-addendum"
        onClick={async () => {
          try {
            await reportApi.addendum(props.consultId, props.doc.version, text as Record<string, string>);
            setText({});
            props.onDone();
          } catch (caught) {
            setError(caught instanceof ApiError ? caught.message : String(caught));
          }
        }}
      >
        {props.t('signAddendum')}
      </button>
    </section>
  );
}

function Opinion(props: { consultId: string; t: (key: ReportMessage) => string; onDone: () => void }) {
  const [verdict, setVerdict] = useState<'agree' | 'disagree' | 'partial'>('agree');
  const [comment, setComment] = useState('');
  return (
    <section data-testid="opinion-form">
      <h3>{props.t('secondOpinion')}</h3>
      <select value={verdict} onChange={(e) => setVerdict(e.currentTarget.value as typeof verdict)}>
        <option value="agree">{props.t('agree')}</option>
        <option value="partial">{props.t('partial')}</option>
        <option value="disagree">{props.t('disagree')}</option>
      </select>
      <textarea placeholder={props.t('comment')} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      <button
        type="button"
        onClick={async () => {
          await reportApi.opinion(props.consultId, verdict, comment ? { 'zh-CN': comment, en: comment } : undefined);
          props.onDone();
        }}
      >
        {props.t('record')}
      </button>
    </section>
  );
}
