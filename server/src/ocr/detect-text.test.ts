import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';

import { afterAll, describe, expect, it } from 'vitest';

import { createTextDetector, OCR_NICE, OcrError } from './detect-text.js';
import { renderTextFrame } from './render-text.js';

const compact = (text: string) => text.replace(/[\s^:_\-./]/g, '').toUpperCase();

/** The OCR engine processes this process started, as the kernel lists them. */
function engineProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('ocr-worker.mjs')) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

describe('detectText', () => {
  const detector = createTextDetector();
  afterAll(() => detector.close());

  it('reads Latin and Chinese identity text burned into a frame, with boxes around it', async () => {
    const frame = await renderTextFrame(512, 384, [
      { text: 'ZHANG SAN  1975-03-14', x: 12, y: 30, sizePx: 20, grey: 255 },
      { text: '患者 李四光', x: 300, y: 360, sizePx: 22, grey: 220 },
    ]);
    const lines = await detector.detectText(frame);
    const all = compact(lines.map((line) => line.text).join(' '));
    expect(all).toContain('ZHANGSAN');
    expect(all).toContain('19750314');
    expect(all).toContain('李四光');
    const name = lines.find((line) => compact(line.text).includes('ZHANGSAN'));
    expect(name?.box.y).toBeLessThan(30);
    expect((name?.box.y ?? 0) + (name?.box.height ?? 0)).toBeGreaterThan(20);
    expect(name?.box.x).toBeLessThan(20);
    const chinese = lines.find((line) => line.text.includes('李四光'));
    expect(chinese?.box.x).toBeGreaterThan(280);
    expect(chinese?.box.y).toBeGreaterThan(320);
    for (const line of lines) expect(line.confidence).toBeGreaterThan(0);
  });

  it('takes RGB frames and maps boxes back from a scaled copy', async () => {
    const grey = await renderTextFrame(1600, 400, [{ text: 'PATIENT ID 8675309', x: 1100, y: 200, sizePx: 40, grey: 255 }]);
    const rgb = new Uint8Array(grey.data.length * 3);
    for (let i = 0; i < grey.data.length; i++) rgb.fill(grey.data[i] ?? 0, i * 3, i * 3 + 3);
    const lines = await detector.detectText({ width: 1600, height: 400, channels: 3, data: rgb });
    const id = lines.find((line) => compact(line.text).includes('8675309'));
    expect(id).toBeDefined();
    expect(id?.box.x).toBeGreaterThan(1000);
    expect((id?.box.x ?? 0) + (id?.box.width ?? 0)).toBeLessThanOrEqual(1600);
  });

  it('finds nothing in a frame without text', async () => {
    const frame = await renderTextFrame(256, 256, []);
    expect(await detector.detectText(frame)).toEqual([]);
  });

  it('refuses an image whose data does not match its size', async () => {
    await expect(detector.detectText({ width: 10, height: 10, channels: 1, data: new Uint8Array(99) })).rejects.toMatchObject({ code: 'OcrInvalidImage' });
  });

  it('fails a frame over its budget and goes on with a fresh worker', async () => {
    const frame = await renderTextFrame(1280, 960, [{ text: 'WANG WEI', x: 40, y: 60, sizePx: 30, grey: 255 }]);
    const late = await detector.detectText(frame, { budgetMs: 1 }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(OcrError);
    expect((late as OcrError).code).toBe('OcrTimeout');
    const lines = await detector.detectText(frame);
    expect(compact(lines.map((line) => line.text).join(' '))).toContain('WANGWEI');
  });

  it('runs the engine in a process of its own, below the server’s CPU priority; a killed engine fails its frame only, and the next frame is read', async () => {
    const frame = await renderTextFrame(1280, 960, [{ text: 'LIU YANG', x: 40, y: 60, sizePx: 30, grey: 255 }]);
    await detector.detectText(frame);
    const [engine] = engineProcesses();
    expect(engine).toBeDefined();
    expect(getPriority(engine)).toBe(Math.max(OCR_NICE, getPriority()));
    expect(getPriority(engine)).toBeGreaterThan(getPriority());

    const inFlight = detector.detectText(frame).catch((error: unknown) => error);
    process.kill(engine!, 'SIGKILL');
    const failed = await inFlight;
    expect(failed).toBeInstanceOf(OcrError);
    expect((failed as OcrError).code).toBe('OcrFailed');
    const lines = await detector.detectText(frame);
    expect(compact(lines.map((line) => line.text).join(' '))).toContain('LIUYANG');
    expect(engineProcesses()).not.toContain(engine);
  });
});
