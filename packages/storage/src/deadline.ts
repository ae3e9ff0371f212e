import { StorageError } from './object-store.js';

/**
 * Runs one object store call with an abort signal that fires after `ms`, and answers
 * `StorageUnavailable` at that moment whether or not the call has noticed the abort yet:
 * a store that accepts connections and never answers must not hold a request open.
 */
export function withDeadline<T>(ms: number, operation: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timedOut(operation, ms));
      controller.abort();
    }, ms);
  });
  let call: Promise<T>;
  try {
    call = run(controller.signal);
  } catch (error) {
    call = Promise.reject(error);
  }
  call.catch(() => undefined); // when the deadline wins, the aborted call's own failure is moot
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}

/**
 * A timer that runs only while it is armed: the time a call spends waiting on the store, not on
 * the caller. Each renewal (progress from the store) starts the wait afresh. `expired` rejects
 * with `StorageUnavailable` when an armed wait reaches `ms`.
 */
export function createWatchdog(ms: number, operation: string, onExpire: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let fire: (error: StorageError) => void = () => undefined;
  const expired = new Promise<never>((_, reject) => {
    fire = reject;
  });
  expired.catch(() => undefined); // observed by whoever races it
  let done = false;
  const arm = () => {
    if (done) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      done = true;
      fire(timedOut(operation, ms));
      onExpire();
    }, ms);
  };
  return {
    expired,
    arm,
    disarm() {
      clearTimeout(timer);
      timer = undefined;
    },
    /** Restarts an armed wait; a disarmed watchdog stays disarmed. */
    renew() {
      if (timer !== undefined) arm();
    },
    stop() {
      done = true;
      clearTimeout(timer);
    },
  };
}

/**
 * `body` with a stall timeout: a read that gets no data from the store for `ms` fails with
 * `StorageUnavailable` and closes the connection. Only time spent waiting for the store counts;
 * a slow consumer does not. Other read failures become `StorageError`s through `toError`.
 */
export function guardStalls(
  body: ReadableStream<Uint8Array>,
  ms: number,
  operation: string,
  toError: (error: unknown) => StorageError,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StorageError('StorageUnavailable', `object store ${operation} stalled: no data for ${ms} ms`)), ms);
      });
      try {
        const { done, value } = await Promise.race([reader.read(), stalled]);
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        void reader.cancel(error).catch(() => undefined); // drops the stalled connection
        controller.error(error instanceof StorageError ? error : toError(error));
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

function timedOut(operation: string, ms: number): StorageError {
  return new StorageError('StorageUnavailable', `object store ${operation} timed out after ${ms} ms`);
}
