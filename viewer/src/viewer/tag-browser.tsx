import { keywordOf } from '@yunzhen/dicom';
import { useMemo, useState } from 'preact/hooks';

import { useI18n } from '../i18n.js';
import { valueText, type DicomJson } from './dicom-json.js';
import { imageIndex } from './study-data.js';

interface Row {
  depth: number;
  tag: string;
  keyword: string;
  vr: string;
  value: string;
}

/** Every attribute of the displayed image's WADO-RS metadata, sequences expanded; values shown as text only. */
export function TagBrowser(props: { imageId: string | undefined; onClose: () => void }) {
  const { t } = useI18n();
  const [filter, setFilter] = useState('');
  const json = props.imageId ? imageIndex.get(props.imageId)?.json : undefined;
  const rows = useMemo(() => (json ? flatten(json, 0) : []), [json]);
  const needle = filter.trim().toLowerCase();
  const shown = needle ? rows.filter((r) => `${r.tag} ${r.keyword} ${r.value}`.toLowerCase().includes(needle)) : rows;
  return (
    <div class="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="dialog tag-browser" role="dialog" aria-modal="true" aria-label={t('tags.title')} data-testid="tag-browser">
        <header>
          <h2>{t('tags.title')}</h2>
          <input type="search" placeholder={t('tags.filter')} value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} data-testid="tag-filter" autoFocus />
          <button type="button" class="secondary" onClick={props.onClose}>
            {t('close')}
          </button>
        </header>
        {!json && <p class="muted">{t('tags.none')}</p>}
        <div class="tag-table-wrap">
          <table class="table tag-table">
            <thead>
              <tr>
                <th>{t('tags.tag')}</th>
                <th>{t('tags.keyword')}</th>
                <th>VR</th>
                <th>{t('tags.value')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((row, i) => (
                <tr key={i} data-testid="tag-row">
                  <td class="mono" style={{ paddingLeft: `${0.6 + row.depth}rem` }}>
                    ({row.tag.slice(0, 4)},{row.tag.slice(4)})
                  </td>
                  <td>{row.keyword}</td>
                  <td class="mono">{row.vr}</td>
                  <td class="tag-value">
                    <bdi>{row.value}</bdi>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}

const MAX_VALUE_CHARS = 500;

function flatten(ds: DicomJson, depth: number): Row[] {
  const rows: Row[] = [];
  for (const [tag, attribute] of Object.entries(ds)) {
    if (!attribute || !/^[0-9A-Fa-f]{8}$/.test(tag)) continue;
    const keyword = keywordOf(Number.parseInt(tag, 16)) ?? (Number.parseInt(tag.slice(0, 4), 16) % 2 === 1 ? 'private' : '');
    if (attribute.vr === 'SQ') {
      const items = (attribute.Value ?? []) as DicomJson[];
      rows.push({ depth, tag, keyword, vr: 'SQ', value: `${items.length} item(s)` });
      items.forEach((item, i) => {
        rows.push({ depth: depth + 1, tag: 'FFFEE000', keyword: `Item ${i + 1}`, vr: '', value: '' });
        rows.push(...flatten(item, depth + 2));
      });
      continue;
    }
    let value: string;
    if (attribute.BulkDataURI) value = '(bulk data)';
    else if (attribute.InlineBinary) value = `(${Math.floor((attribute.InlineBinary.length * 3) / 4)} bytes)`;
    else value = (attribute.Value ?? []).map(valueText).join('\\');
    if (value.length > MAX_VALUE_CHARS) value = `${value.slice(0, MAX_VALUE_CHARS)}…`;
    rows.push({ depth, tag: tag.toUpperCase(), keyword, vr: attribute.vr, value });
  }
  return rows;
}
