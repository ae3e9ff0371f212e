const CJK = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/;

/** One component group of a DICOM PN: its `^`-separated parts, spaced unless written in CJK characters. */
function group(value: string | undefined): string {
  const parts = (value ?? '').split('^').map((part) => part.trim()).filter(Boolean);
  return parts.join(CJK.test(parts.join('')) ? '' : ' ');
}

/**
 * A DICOM person name (PS3.5 6.2) as people read it: components separated by spaces instead of
 * `^` (`JOHANSSON^LUCIA^G^^` → `JOHANSSON LUCIA G`); with an ideographic group (after the first
 * `=`), that one first and the alphabetic one beside it (`Wang^XiaoMing=王^小明` → `王小明 (Wang XiaoMing)`).
 */
export function displayName(name: string | null | undefined): string {
  const [alphabetic, ideographic] = (name ?? '').split('=');
  const alpha = group(alphabetic);
  const ideo = group(ideographic);
  if (ideo && alpha) return `${ideo} (${alpha})`;
  return ideo || alpha;
}

/** One component group of a DICOM person name (PS3.5 6.2), by component. */
export interface PersonNameGroup {
  family: string;
  given: string[];
  prefix: string[];
  suffix: string[];
  /** The group as people read it (`group` above): "Zhang XiaoDong", "张小东". */
  text: string;
}

/**
 * The alphabetic and ideographic groups of a DICOM person name, each split into family name,
 * given and middle names, prefix and suffix (PS3.5 6.2.1), for records that keep names
 * structured (FHIR HumanName). Empty groups are left out; the phonetic group too.
 */
export function personNameGroups(name: string | null | undefined): PersonNameGroup[] {
  return (name ?? '')
    .split('=')
    .slice(0, 2)
    .flatMap((value) => {
      const [family = '', given = '', middle = '', prefix = '', suffix = ''] = value.split('^').map((part) => part.trim());
      const text = group(value);
      if (!text) return [];
      return [{ family, given: [given, middle].filter(Boolean), prefix: prefix ? [prefix] : [], suffix: suffix ? [suffix] : [], text }];
    });
}
