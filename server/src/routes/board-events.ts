import { createHash } from 'node:crypto';

import { asSystem, BOARD_CHANNEL, type ChannelListener, type Db, type Repositories } from '@yunzhen/db';

/** What every participant's browser mirrors: who presents and the presenter's viewport, numbered. */
export interface BoardState {
  sessionId: string;
  /** Grows with every change: a follower ignores a state older than one it has shown. */
  seq: number;
  /** The presenter by participant key (`participantKey`), never by user id: the hospitals' ids stay their own. */
  presenter: { key: string; displayName: string } | null;
  viewport: unknown;
}

/** How a session names a participant to the others: stable within the session, meaningless outside it. */
export function participantKey(sessionId: string, userId: string): string {
  return createHash('sha256').update(`yunzhen-board:${sessionId}:${userId}`).digest('hex').slice(0, 16);
}

export async function loadBoardState(repos: Repositories, sessionId: string): Promise<BoardState | undefined> {
  const session = await repos.boards.get(sessionId);
  if (!session) return undefined;
  return {
    sessionId,
    seq: Number(session.viewport_seq),
    presenter: session.presenter_id ? { key: participantKey(sessionId, session.presenter_id), displayName: session.presenter_name ?? '' } : null,
    viewport: session.viewport ?? null,
  };
}

/**
 * Fans the board's changes out to the event streams this process serves. A change is committed
 * by whichever replica the presenter's request reached and announced with NOTIFY at commit;
 * every replica LISTENs on a connection of its own (opened with the first stream), reads the
 * session's state once per notification and writes it to its streams. A lost listening
 * connection, once back, sends every followed session's state again, since some may have been missed.
 */
export function createBoardEvents(db: Pick<Db, 'listen'>, repos: Repositories) {
  const subscribers = new Map<string, Set<(state: BoardState) => void>>();
  let listening: Promise<ChannelListener> | undefined;

  const deliver = async (sessionId: string) => {
    const handlers = subscribers.get(sessionId);
    if (!handlers?.size) return;
    // Streams of several users share one read: the access check was made when each stream opened.
    const state = await asSystem('board-events', () => loadBoardState(repos, sessionId));
    if (state) for (const handler of handlers) handler(state);
  };

  const listen = () => {
    listening ??= db
      .listen(BOARD_CHANNEL, {
        message: (sessionId) => void deliver(sessionId).catch(() => undefined),
        resumed: () => {
          for (const sessionId of subscribers.keys()) void deliver(sessionId).catch(() => undefined);
        },
      })
      .catch((error: unknown) => {
        listening = undefined; // the next stream tries again
        throw error;
      });
    return listening;
  };

  return {
    /** Calls `handler` with the session's state after every change; resolves once changes are being heard. */
    async subscribe(sessionId: string, handler: (state: BoardState) => void): Promise<() => void> {
      await listen();
      const handlers = subscribers.get(sessionId) ?? new Set();
      handlers.add(handler);
      subscribers.set(sessionId, handlers);
      return () => {
        handlers.delete(handler);
        if (!handlers.size) subscribers.delete(sessionId);
      };
    },
  };
}

export type BoardEvents = ReturnType<typeof createBoardEvents>;
