export { renderReportPdf, type RenderPdfOptions } from './render-pdf.js';
export { loadNotoSansSc, type ReportFonts } from './fonts.js';
