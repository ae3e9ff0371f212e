/**
 * `pnpm bench:pixels`: burned-in identity found by OCR, on the corpus the tests make
 * (server/src/testing/burned-in-corpus.ts: 24 ultrasound instances, names, IDs and birth dates in
 * Latin and Chinese script at 13–28 px, three placements, two contrasts, five transfer syntaxes,
 * a third of them 6-frame clips). Each instance goes through the pixel scan job's own function
 * (`scanInstanceFrames`: decode, render to 8 bits, OCR up to 5 frames, propose padded boxes, mark
 * identity) in this process, with one OCR worker as the server runs it. Reports the recall of
 * identity text (a line counts as found when the proposed boxes cover ≥ 90 % of its ink), the
 * share marked as naming the patient, and the time per frame: load (worker start and model load,
 * until a blank frame is answered), cold (the first corpus frame), warm (the frames after it).
 * `--cases N` runs the first N cases only.
 */
import { buildCorpusInstance, corpusCases, coverage } from '@yunzhen/server/testing';

import { scanInstanceFrames } from '../../server/src/ingest/pixel-scanner.js';
import { createTextDetector } from '../../server/src/ocr/detect-text.js';
import { percentile, report, round } from './harness.js';

const option = process.argv.indexOf('--cases');
const cases = corpusCases().slice(0, option > 0 ? Number(process.argv[option + 1]) : undefined);
const instances = await Promise.all(cases.map((c) => buildCorpusInstance(c)));

const loadStarted = performance.now();
const detector = createTextDetector();
try {
  await detector.detectText({ width: 32, height: 32, channels: 1, data: new Uint8Array(32 * 32) });
  const loadMs = performance.now() - loadStarted;

  // Each frame timed on its own: the detector is wrapped so the job's function stays as it runs in the server.
  const frameMs: number[] = [];
  const timed = {
    ...detector,
    async detectText(...args: Parameters<typeof detector.detectText>) {
      const started = performance.now();
      try {
        return await detector.detectText(...args);
      } finally {
        frameMs.push(performance.now() - started);
      }
    },
  };
  let found = 0;
  let marked = 0;
  let total = 0;
  const byScript = { latin: { found: 0, total: 0 }, chinese: { found: 0, total: 0 } };
  for (const instance of instances) {
    const { patient } = instance.case;
    const known = [{ patient: { name: patient.name, id: patient.id, birthDate: patient.birthDate, issuer: '', sex: '' } }];
    const result = await scanInstanceFrames(instance.bytes, { detector: timed, known, modality: 'US', maxFrames: 5 });
    const ocr = result.proposals.filter((p) => p.source === 'ocr');
    for (const text of instance.texts) {
      total++;
      const script = /\p{Script=Han}/u.test(text.text) ? byScript.chinese : byScript.latin;
      script.total++;
      if (coverage(text.box, ocr) >= 0.9) {
        found++;
        script.found++;
      }
      if (ocr.some((p) => coverage(text.box, [p]) > 0 && p.identity.includes(text.kind))) marked++;
    }
  }
  const [cold = 0, ...warm] = frameMs;
  report(
    {
      bench: 'pixels',
      set: `corpus-${instances.length}`,
      engine: 'paddleocr-ppocrv4-onnx',
      workers: 1,
      identity_texts: total,
      recall: round(found / total, 3),
      recall_latin: round(byScript.latin.found / Math.max(1, byScript.latin.total), 3),
      recall_chinese: round(byScript.chinese.found / Math.max(1, byScript.chinese.total), 3),
      marked_identity: round(marked / total, 3),
      frames: frameMs.length,
      load_ms: round(loadMs, 0),
      cold_frame_ms: round(cold, 0),
      warm_frame_median_ms: round(percentile(warm.length ? warm : [cold], 50), 0),
      warm_frame_p90_ms: round(percentile(warm.length ? warm : [cold], 90), 0),
    },
    `recall ${found}/${total} identity texts (Latin ${byScript.latin.found}/${byScript.latin.total}, Chinese ${byScript.chinese.found}/${byScript.chinese.total}), ` +
      `marked as the patient's ${marked}/${total}; ${frameMs.length} frames: load ${round(loadMs, 0)} ms, cold ${round(cold, 0)} ms, ` +
      `warm median ${round(percentile(warm.length ? warm : [cold], 50), 0)} ms (p90 ${round(percentile(warm.length ? warm : [cold], 90), 0)} ms) per frame`,
  );
} finally {
  await detector.close();
}
