import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** TrueType fonts for the PDF: one regular and one bold face covering Chinese and Latin text. */
export interface ReportFonts {
  regular: Uint8Array;
  bold: Uint8Array;
}

const require = createRequire(import.meta.url);
let notoSansSc: Promise<ReportFonts> | undefined;

/**
 * Noto Sans SC (SIL Open Font License 1.1) as static TrueType files from the npm package
 * `@expo-google-fonts/noto-sans-sc`, read once per process. PDFKit embeds only the glyphs a
 * report uses, so a report stays tens of kilobytes although each file is about 10 MB.
 */
export function loadNotoSansSc(): Promise<ReportFonts> {
  notoSansSc ??= (async () => {
    const [regular, bold] = await Promise.all([
      readFile(require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf')),
      readFile(require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf')),
    ]);
    return { regular, bold };
  })();
  return notoSansSc;
}
