import type { Locale } from './language.js';
import type { LungLobe } from './assessments/lung-rads.js';
import type { MeasurementValues } from './measurement.js';
import { DICOM_DCM, LOINC, SNOMED_CT, YUNZHEN_CODE_SYSTEM, type Coding } from './templates/template.js';

/** Coded concepts shared by the FHIR and DICOM SR renderings, so both say the same thing. */

export const UCUM = 'http://unitsofmeasure.org';
export const UMLS = 'http://terminology.hl7.org/CodeSystem/umls';

/** DICOM coding scheme designators (PS3.16 Section 8) for the systems used here; `99YUNZHEN` is private. */
export function codingSchemeDesignator(system: string): string {
  if (system === SNOMED_CT) return 'SCT';
  if (system === DICOM_DCM) return 'DCM';
  if (system === LOINC) return 'LN';
  if (system === UCUM) return 'UCUM';
  if (system === UMLS) return 'UMLS';
  if (system.startsWith(YUNZHEN_CODE_SYSTEM)) return '99YUNZHEN';
  throw new Error(`no coding scheme designator for ${system}`);
}

const dcm = (code: string, display: string): Coding => ({ system: DICOM_DCM, code, display });
const sct = (code: string, display: string): Coding => ({ system: SNOMED_CT, code, display });
export const yunzhen = (code: string, display: string): Coding => ({ system: `${YUNZHEN_CODE_SYSTEM}:report`, code, display });

/** DICOM PS3.16 concepts of TID 1500 and the report sections (CID 7001/7002, CID 6053). */
export const concepts = {
  imagingMeasurementReport: dcm('126000', 'Imaging Measurement Report'),
  languageOfContent: dcm('121049', 'Language of Content Item and Descendants'),
  procedureReported: dcm('121058', 'Procedure reported'),
  personObserverName: dcm('121008', 'Person Observer Name'),
  personObserverOrganization: dcm('121009', "Person Observer's Organization Name"),
  observerType: dcm('121005', 'Observer Type'),
  person: dcm('121006', 'Person'),
  imageLibrary: dcm('111028', 'Image Library'),
  imageLibraryGroup: dcm('126200', 'Image Library Group'),
  imagingMeasurements: dcm('126010', 'Imaging Measurements'),
  measurementGroup: dcm('125007', 'Measurement Group'),
  trackingIdentifier: dcm('112039', 'Tracking Identifier'),
  trackingUniqueIdentifier: dcm('112040', 'Tracking Unique Identifier'),
  finding: dcm('121071', 'Finding'),
  findingSite: sct('363698007', 'Finding Site'),
  imageRegion: dcm('111030', 'Image Region'),
  qualitativeEvaluations: { system: UMLS, code: 'C0034375', display: 'Qualitative Evaluations' },
  procedureDescription: dcm('121065', 'Procedure Description'),
  impression: dcm('121073', 'Impression'),
  recommendation: dcm('121075', 'Recommendation'),
  addendum: dcm('121078', 'Addendum'),
  boardConsensus: yunzhen('tumour-board-consensus', 'Tumour board consensus'),
  overallAssessment: dcm('111413', 'Overall Assessment'),
  breastComposition: sct('129715009', 'Breast composition'),
  lungRadsCategory: sct('1362105002', 'Lung Imaging Reporting and Data System category'),
  nodule: sct('27925004', 'Nodule'),
  lesion: sct('52988006', 'Lesion'),
  diameter: sct('81827009', 'Diameter'),
  solidComponentDiameter: yunzhen('solid-component-diameter', 'Solid component mean diameter'),
  noduleType: yunzhen('nodule-type', 'Nodule attenuation type'),
  lungRadsSModifier: yunzhen('lung-rads-s', 'Lung-RADS S modifier'),
  biRadsAssessment: yunzhen('bi-rads-assessment', 'BI-RADS assessment category'),
  recistOverallResponse: yunzhen('recist-overall-response', 'RECIST 1.1 overall response'),
  recistTargetResponse: yunzhen('recist-target-response', 'RECIST 1.1 target lesion response'),
  recistNonTargetResponse: yunzhen('recist-non-target-response', 'RECIST 1.1 non-target lesion response'),
  recistNewLesions: yunzhen('recist-new-lesions', 'RECIST 1.1 unequivocal new lesions'),
  recistSum: yunzhen('recist-sum', 'Sum of target lesion diameters'),
  recistBaselineSum: yunzhen('recist-baseline-sum', 'Baseline sum of diameters'),
  recistNadir: yunzhen('recist-nadir', 'Smallest sum of diameters on study'),
  recistChangeFromBaseline: yunzhen('recist-change-from-baseline', 'Change of sum from baseline'),
  recistChangeFromNadir: yunzhen('recist-change-from-nadir', 'Change of sum from nadir'),
} as const;

/** SR concept names of the measurement values (DICOM CID 7470, 7550, 7464 and TID 1419). */
export function valueConcept(key: Exclude<keyof MeasurementValues, 'unit'>, tool: string): Coding {
  switch (key) {
    case 'length_mm':
      return sct('410668003', 'Length');
    case 'long_axis_mm':
      return sct('103339001', 'Long Axis');
    case 'short_axis_mm':
      return sct('103340004', 'Short Axis');
    case 'angle_deg':
      return tool === 'CobbAngle' ? sct('285285000', 'Cobb angle') : sct('1483009', 'Angle');
    case 'area_mm2':
      return sct('42798000', 'Area');
    case 'mean':
      return sct('373098007', 'Mean');
    case 'stdDev':
      return sct('386136009', 'Standard Deviation');
    case 'min':
      return sct('255605001', 'Minimum');
    case 'max':
      return sct('56851009', 'Maximum');
  }
}

/** Measurement values in the order they are reported. */
export const valueKeys = ['length_mm', 'long_axis_mm', 'short_axis_mm', 'angle_deg', 'area_mm2', 'mean', 'stdDev', 'min', 'max'] as const;

/** UCUM unit of a measurement value: mm, mm2, deg, and `[hnsf'U]` for Hounsfield units. */
export function valueUnit(key: (typeof valueKeys)[number], pixelUnit: string | undefined): { code: string; display: string } {
  if (key === 'length_mm' || key === 'long_axis_mm' || key === 'short_axis_mm') return { code: 'mm', display: 'millimeter' };
  if (key === 'area_mm2') return { code: 'mm2', display: 'square millimeter' };
  if (key === 'angle_deg') return { code: 'deg', display: 'degree' };
  if (pixelUnit === 'HU') return { code: "[hnsf'U]", display: 'Hounsfield unit' };
  if (!pixelUnit) return { code: '1', display: 'no units' };
  // Any other modality unit is kept as a UCUM annotation, which UCUM treats as dimensionless.
  return { code: `{${pixelUnit}}`, display: pixelUnit };
}

/** SNOMED CT lung lobes (DICOM CID 6113 lung anatomy). */
export const lobeCodes: Record<LungLobe, Coding> = {
  RUL: sct('45653009', 'Upper lobe of right lung'),
  RML: sct('72481006', 'Middle lobe of right lung'),
  RLL: sct('266005', 'Lower lobe of right lung'),
  LUL: sct('44714003', 'Upper lobe of left lung'),
  LLL: sct('41224006', 'Lower lobe of left lung'),
};

/** RFC 5646 language tags as DICOM codes (CID 5000). */
export const languageCodes: Record<Locale, { code: string; scheme: 'RFC5646'; meaning: string }> = {
  'zh-CN': { code: 'zh-CN', scheme: 'RFC5646', meaning: 'Chinese (China)' },
  en: { code: 'en', scheme: 'RFC5646', meaning: 'English' },
};
