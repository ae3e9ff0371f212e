import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/** The panels docked beside the images on the reading page. */
export type DockPanelName = 'series' | 'measurements' | 'report';

export type DockState = Record<DockPanelName, boolean>;

/** The resizable sides of the dock: the series strip on the left, measurements and report on the right. */
export type DockSide = 'series' | 'side';

/** Widths in CSS pixels the reader dragged the sides to; a side not dragged keeps its stylesheet width. */
export type DockWidths = Partial<Record<DockSide, number>>;

const allOpen: DockState = { series: true, measurements: true, report: true };

/** A side is never narrower than this, nor wider than this share of the window, so the image keeps most of the width. */
export const MIN_DOCK_WIDTH = 140;
export const MAX_DOCK_SHARE = 0.35;

export function clampDockWidth(width: number, windowWidth: number): number {
  return Math.round(Math.max(MIN_DOCK_WIDTH, Math.min(width, windowWidth * MAX_DOCK_SHARE)));
}

/** Where a reader's choice of open panels is kept: per user, so a shared workstation keeps each reader's own. */
export const dockStorageKey = (userId: string) => `yunzhen.reading-dock.${userId}`;

interface SavedDock {
  open: DockState;
  widths: DockWidths;
}

/** The reader's remembered panels; anything unreadable counts as open (a panel the reader cannot find is worse than one too many). */
export function readDockState(storage: Pick<Storage, 'getItem'>, userId: string): SavedDock {
  try {
    const saved = JSON.parse(storage.getItem(dockStorageKey(userId)) ?? '{}') as Partial<Record<DockPanelName, unknown>> & { widths?: Partial<Record<DockSide, unknown>> };
    const width = (side: DockSide) => (typeof saved.widths?.[side] === 'number' && Number.isFinite(saved.widths[side]) ? { [side]: saved.widths[side] } : {});
    return {
      open: { series: saved.series !== false, measurements: saved.measurements !== false, report: saved.report !== false },
      widths: { ...width('series'), ...width('side') },
    };
  } catch {
    return { open: { ...allOpen }, widths: {} };
  }
}

export function writeDockState(storage: Pick<Storage, 'setItem'>, userId: string, state: SavedDock): void {
  try {
    storage.setItem(dockStorageKey(userId), JSON.stringify({ ...state.open, widths: state.widths }));
  } catch {
    // Private browsing or a full storage: the choice lasts for this page only.
  }
}

/** Which docked panels are open and how wide the sides are, remembered per user in localStorage. */
export function useDockState(userId: string) {
  const [state, setState] = useState<SavedDock>(() => readDockState(localStorage, userId));
  const change = (update: (current: SavedDock) => SavedDock) =>
    setState((current) => {
      const next = update(current);
      writeDockState(localStorage, userId, next);
      return next;
    });
  const toggle = (panel: DockPanelName) => change((current) => ({ ...current, open: { ...current.open, [panel]: !current.open[panel] } }));
  const setWidth = (side: DockSide, width: number) => change((current) => ({ ...current, widths: { ...current.widths, [side]: clampDockWidth(width, window.innerWidth) } }));
  return { open: state.open, widths: state.widths, toggle, setWidth };
}

/**
 * The handle between a docked side and the images: drag it (or use the arrow keys on it) to
 * make the side wider or narrower. `edge` is where the side is: the handle on the left side's
 * right edge grows it to the right, the one on the right side's left edge to the left.
 */
export function DockResizer(props: { side: DockSide; edge: 'left' | 'right'; label: string; width: () => number; onResize: (width: number) => void }) {
  const direction = props.edge === 'left' ? 1 : -1;
  return (
    <div
      class="dock-resizer"
      role="separator"
      aria-orientation="vertical"
      aria-label={props.label}
      tabIndex={0}
      data-testid={`dock-resize-${props.side}`}
      onPointerDown={(event) => {
        const handle = event.currentTarget as HTMLElement;
        handle.setPointerCapture(event.pointerId);
        const startX = event.clientX;
        const startWidth = props.width();
        const move = (e: PointerEvent) => props.onResize(startWidth + direction * (e.clientX - startX));
        const up = () => {
          handle.removeEventListener('pointermove', move);
          handle.removeEventListener('pointerup', up);
        };
        handle.addEventListener('pointermove', move);
        handle.addEventListener('pointerup', up);
        event.preventDefault();
      }}
      onKeyDown={(event) => {
        const step = event.key === 'ArrowRight' ? 16 : event.key === 'ArrowLeft' ? -16 : 0;
        if (!step) return;
        event.preventDefault();
        props.onResize(props.width() + direction * step);
      }}
    />
  );
}

/**
 * A docked panel: a header with its title and a collapse button; collapsed, a narrow strip
 * with the title written down the side, so the images get the room back.
 */
export function DockPanel(props: { name: DockPanelName; title: string; open: boolean; onToggle: () => void; hideLabel: string; showLabel: string; width?: number; children: ComponentChildren }) {
  if (!props.open) {
    return (
      <button type="button" class="dock-strip" data-testid={`dock-open-${props.name}`} aria-expanded="false" title={`${props.showLabel}: ${props.title}`} onClick={props.onToggle}>
        <span>{props.title}</span>
      </button>
    );
  }
  return (
    <section class={`dock-panel dock-${props.name}`} data-testid={`dock-${props.name}`} style={props.width ? { width: `${props.width}px` } : undefined}>
      <header class="dock-header">
        <span>{props.title}</span>
        <button type="button" class="secondary small" data-testid={`dock-close-${props.name}`} aria-expanded="true" title={`${props.hideLabel}: ${props.title}`} onClick={props.onToggle}>
          {props.name === 'series' ? '«' : '»'}
        </button>
      </header>
      <div class="dock-content">{props.children}</div>
    </section>
  );
}
