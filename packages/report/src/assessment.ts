import { assessLungRads, type LungRadsIncompleteReason } from './assessments/lung-rads.js';
import { assessRecist } from './assessments/recist.js';
import type { ReportAssessment, ReportDocument } from './document.js';
import { lungNoduleFieldKeys } from './templates/lung-nodule.js';
import type { ReportTemplate } from './templates/template.js';

/**
 * The assessment computed from the document's structured inputs: Lung-RADS for the nodule
 * template, RECIST 1.1 for the response template, nothing for the others. The editor shows it
 * live; signing freezes it into the document so that a later change of the rules never changes
 * a signed report.
 */
export function computeAssessment(doc: ReportDocument, template: ReportTemplate): ReportAssessment | undefined {
  if (template.structured === 'nodules') {
    const incomplete = doc.values[lungNoduleFieldKeys.incomplete];
    return {
      lungRads: assessLungRads({
        nodules: doc.nodules ?? [],
        measurements: doc.measurements,
        ...(typeof incomplete === 'string' ? { incomplete: incomplete as LungRadsIncompleteReason } : {}),
        sModifier: doc.values[lungNoduleFieldKeys.sModifier] === true,
      }),
    };
  }
  if (template.structured === 'recist' && doc.recist) return { recist: assessRecist(doc.recist, doc.measurements) };
  return undefined;
}
