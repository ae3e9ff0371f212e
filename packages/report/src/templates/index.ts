import { ReportError } from '../errors.js';
import { breastTemplate } from './breast.js';
import { generalTemplate } from './general.js';
import { lungNoduleTemplate } from './lung-nodule.js';
import { recistTemplate } from './recist.js';
import type { ReportTemplate } from './template.js';

/** Every built-in template, keyed by `templateIds`; a new version of a template is added beside the old one. */
export const reportTemplates: readonly ReportTemplate[] = [generalTemplate, lungNoduleTemplate, breastTemplate, recistTemplate];

/** The template a document was written with; throws `UnknownTemplate` when there is none. */
export function getTemplate(id: string, version: number): ReportTemplate {
  const template = reportTemplates.find((t) => t.id === id && t.version === version);
  if (!template) throw new ReportError('UnknownTemplate', `no report template ${id} version ${version}`);
  return template;
}
