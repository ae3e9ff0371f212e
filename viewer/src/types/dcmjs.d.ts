/** The small part of dcmjs (no published types) the viewer uses: naturalized datasets and Part 10 writing. */
declare module 'dcmjs' {
  type Naturalized = Record<string, unknown>;
  const dcmjs: {
    data: {
      DicomMetaDictionary: {
        naturalizeDataset(json: Record<string, unknown>): Naturalized;
        denaturalizeDataset(dataset: Naturalized): Record<string, unknown>;
        uid(): string;
        date(): string;
        time(): string;
      };
      DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(options?: Record<string, unknown>): ArrayBuffer };
      DicomMessage: { readFile(buffer: ArrayBuffer): { meta: Record<string, unknown>; dict: Record<string, unknown> } };
      /** DICOM CIELab (0–65535 per component, PS3.3 C.10.7.1.1) to sRGB in 0–1. */
      Colors: { dicomlab2RGB(lab: number[]): number[] };
    };
  };
  export default dcmjs;
}
