import type { IndexAttributes } from '@yunzhen/dicom';
import type { InstanceRecord, Patient, Study } from '@yunzhen/db';

/**
 * The patient and study parts of the index record of an instance that joins a study already
 * stored (a specialist's SR, a masked copy): taken from the rows, so the study keeps its identity.
 */
export function storedStudyParts(patient: Patient, study: Study): Pick<InstanceRecord, 'patient' | 'study'> {
  return {
    patient: { pseudonymId: patient.pseudonym_id, pseudonymName: patient.pseudonym_name, sex: patient.sex, birthDate: patient.birth_date },
    study: {
      studyUid: study.study_uid,
      studyDate: study.study_date,
      studyTime: study.study_time,
      accessionNumber: study.accession_number,
      studyDescription: study.study_description,
      studyId: study.study_id,
      patientAge: study.patient_age,
    },
  };
}

/** The image attributes of an instance's index row, as read from the file that is stored. */
export function imageParts(a: IndexAttributes): Pick<InstanceRecord['instance'], 'instanceNumber' | 'transferSyntaxUid' | 'rows' | 'columns' | 'numberOfFrames' | 'bitsAllocated'> {
  return { instanceNumber: a.InstanceNumber, transferSyntaxUid: a.TransferSyntaxUID, rows: a.Rows, columns: a.Columns, numberOfFrames: a.NumberOfFrames, bitsAllocated: a.BitsAllocated };
}
