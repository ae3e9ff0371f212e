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
