import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/** The panels docked beside the images on the reading page. */
export type DockPanelName = 'series' | 'measurements' | 'report';

export type DockState = Record<DockPanelName, boolean>;

const allOpen: DockState = { series: true, measurements: true, report: true };

/** Where a reader's choice of open panels is kept: per user, so a shared workstation keeps each reader's own. */
export const dockStorageKey = (userId: string) => `yunzhen.reading-dock.${userId}`;

/** The reader's remembered panels; anything unreadable counts as open (a panel the reader cannot find is worse than one too many). */
export function readDockState(storage: Pick<Storage, 'getItem'>, userId: string): DockState {
  try {
    const saved = JSON.parse(storage.getItem(dockStorageKey(userId)) ?? '{}') as Partial<Record<DockPanelName, unknown>>;
    return { series: saved.series !== false, measurements: saved.measurements !== false, report: saved.report !== false };
  } catch {
    return { ...allOpen };
  }
}

export function writeDockState(storage: Pick<Storage, 'setItem'>, userId: string, state: DockState): void {
  try {
    storage.setItem(dockStorageKey(userId), JSON.stringify(state));
  } catch {
    // Private browsing or a full storage: the choice lasts for this page only.
  }
}

/** Which docked panels are open, remembered per user in localStorage. */
export function useDockState(userId: string) {
  const [state, setState] = useState<DockState>(() => readDockState(localStorage, userId));
  const toggle = (panel: DockPanelName) =>
    setState((current) => {
      const next = { ...current, [panel]: !current[panel] };
      writeDockState(localStorage, userId, next);
      return next;
    });
  return { open: state, toggle };
}

/**
 * A docked panel: a header with its title and a collapse button; collapsed, a narrow strip
 * with the title written down the side, so the images get the room back.
 */
export function DockPanel(props: { name: DockPanelName; title: string; open: boolean; onToggle: () => void; hideLabel: string; showLabel: string; children: ComponentChildren }) {
  if (!props.open) {
    return (
      <button type="button" class="dock-strip" data-testid={`dock-open-${props.name}`} aria-expanded="false" title={`${props.showLabel}: ${props.title}`} onClick={props.onToggle}>
        <span>{props.title}</span>
      </button>
    );
  }
  return (
    <section class={`dock-panel dock-${props.name}`} data-testid={`dock-${props.name}`}>
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
