import { hostname } from 'node:os';

import { asSystem } from '@yunzhen/db';

/** This process as a claimant of outbox rows: host and pid, so an operator can tell replicas apart. */
export function processClaimant(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * One pass of an outbox: claim a due row (in the database, `claimDue`), attempt it, record the
 * outcome, until nothing is due or `maxPerPass` rows were attempted. Rows are claimed one at a
 * time, so a lease only has to cover one attempt and a slow row does not hold others back
 * from other replicas. A pass that is still running when the next is due is not doubled. A
 * pass runs on the system path named `job` (`asSystem`): an outbox holds every hospital's rows.
 */
export function createOutboxWorker<Row>(options: { job: string; claim: () => Promise<Row[]>; attempt: (row: Row) => Promise<void>; maxPerPass?: number }) {
  const maxPerPass = options.maxPerPass ?? 100;
  let running = false;
  return {
    /** Returns how many rows were attempted. */
    tick(): Promise<number> {
      return asSystem(options.job, pass);
    },
  };

  async function pass(): Promise<number> {
    if (running) return 0;
    running = true;
    let attempted = 0;
    try {
      while (attempted < maxPerPass) {
        const rows = await options.claim();
        if (rows.length === 0) break;
        for (const row of rows) {
          attempted++;
          await options.attempt(row);
        }
      }
    } finally {
      running = false;
    }
    return attempted;
  }
}
