/** How the viewer shows DICOM person names: the same reading as the reports' (packages/dicom). */
export { displayName } from '@yunzhen/dicom';
