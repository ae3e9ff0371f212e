/**
 * Keyboard shortcuts of the reading page: one table drives both the key handler and the help
 * panel, so what the panel shows is what the keys do.
 */
import type { MessageKey } from '../i18n.js';
import { ToolName, type PrimaryToolName } from './tool-names.js';
import type { WindowPreset } from './reading-session.js';

export type ShortcutAction =
  | { kind: 'tool'; tool: PrimaryToolName }
  | { kind: 'preset'; preset: WindowPreset }
  | { kind: 'scroll'; delta: number }
  | { kind: 'scrollTo'; position: 'first' | 'last' }
  | { kind: 'series'; delta: number }
  | { kind: 'layout'; layout: Layout }
  | { kind: 'view'; op: 'invert' | 'rotateRight' | 'rotateLeft' | 'flipH' | 'flipV' | 'reset' | 'zoomIn' | 'zoomOut' }
  | { kind: 'cine' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'delete' }
  | { kind: 'help' }
  | { kind: 'tags' }
  | { kind: 'nextViewport' }
  | { kind: 'save' };

export type Layout = '1x1' | '1x2' | '2x2';
export const layouts: readonly Layout[] = ['1x1', '1x2', '2x2'];
export const viewportCount = (layout: Layout) => (layout === '1x1' ? 1 : layout === '1x2' ? 2 : 4);

export interface Shortcut {
  /** How the keys are written in the help panel. */
  keys: string;
  label: MessageKey;
  action: ShortcutAction;
  matches: (event: KeyboardEvent) => boolean;
}

const plain = (key: string) => (e: KeyboardEvent) => !e.ctrlKey && !e.metaKey && !e.altKey && e.key.toLowerCase() === key.toLowerCase() && (key.toLowerCase() === key ? !e.shiftKey : true);
const shifted = (code: string) => (e: KeyboardEvent) => e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey && e.code === code;
const ctrl = (key: string, shift = false) => (e: KeyboardEvent) => (e.ctrlKey || e.metaKey) && !e.altKey && e.shiftKey === shift && e.key.toLowerCase() === key;
const code = (value: string) => (e: KeyboardEvent) => !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey && e.code === value;

export const shortcuts: readonly Shortcut[] = [
  { keys: 'W', label: 'tool.WindowLevel', action: { kind: 'tool', tool: ToolName.WindowLevel }, matches: plain('w') },
  { keys: 'P', label: 'tool.Pan', action: { kind: 'tool', tool: ToolName.Pan }, matches: plain('p') },
  { keys: 'Z', label: 'tool.Zoom', action: { kind: 'tool', tool: ToolName.Zoom }, matches: plain('z') },
  { keys: 'L', label: 'tool.Length', action: { kind: 'tool', tool: ToolName.Length }, matches: plain('l') },
  { keys: 'A', label: 'tool.Angle', action: { kind: 'tool', tool: ToolName.Angle }, matches: plain('a') },
  { keys: 'C', label: 'tool.CobbAngle', action: { kind: 'tool', tool: ToolName.CobbAngle }, matches: plain('c') },
  { keys: 'B', label: 'tool.Bidirectional', action: { kind: 'tool', tool: ToolName.Bidirectional }, matches: plain('b') },
  { keys: 'E', label: 'tool.EllipticalROI', action: { kind: 'tool', tool: ToolName.EllipticalROI }, matches: plain('e') },
  { keys: 'G', label: 'tool.RectangleROI', action: { kind: 'tool', tool: ToolName.RectangleROI }, matches: plain('g') },
  { keys: 'F', label: 'tool.PlanarFreehandROI', action: { kind: 'tool', tool: ToolName.PlanarFreehandROI }, matches: plain('f') },
  { keys: 'S', label: 'tool.SplineROI', action: { kind: 'tool', tool: ToolName.SplineROI }, matches: plain('s') },
  { keys: 'D', label: 'tool.Probe', action: { kind: 'tool', tool: ToolName.Probe }, matches: plain('d') },
  { keys: 'N', label: 'tool.ArrowAnnotate', action: { kind: 'tool', tool: ToolName.ArrowAnnotate }, matches: plain('n') },
  { keys: '1', label: 'preset.lung', action: { kind: 'preset', preset: 'lung' }, matches: code('Digit1') },
  { keys: '2', label: 'preset.mediastinum', action: { kind: 'preset', preset: 'mediastinum' }, matches: code('Digit2') },
  { keys: '3', label: 'preset.abdomen', action: { kind: 'preset', preset: 'abdomen' }, matches: code('Digit3') },
  { keys: '4', label: 'preset.bone', action: { kind: 'preset', preset: 'bone' }, matches: code('Digit4') },
  { keys: '5', label: 'preset.brain', action: { kind: 'preset', preset: 'brain' }, matches: code('Digit5') },
  { keys: '0', label: 'preset.auto', action: { kind: 'preset', preset: 'auto' }, matches: code('Digit0') },
  { keys: '↑ / ↓', label: 'shortcut.scroll', action: { kind: 'scroll', delta: 1 }, matches: code('ArrowDown') },
  { keys: '↑', label: 'shortcut.scrollBack', action: { kind: 'scroll', delta: -1 }, matches: code('ArrowUp') },
  { keys: 'PgUp / PgDn', label: 'shortcut.scrollPage', action: { kind: 'scroll', delta: 10 }, matches: code('PageDown') },
  { keys: 'PgUp', label: 'shortcut.scrollPageBack', action: { kind: 'scroll', delta: -10 }, matches: code('PageUp') },
  { keys: 'Home', label: 'shortcut.first', action: { kind: 'scrollTo', position: 'first' }, matches: code('Home') },
  { keys: 'End', label: 'shortcut.last', action: { kind: 'scrollTo', position: 'last' }, matches: code('End') },
  { keys: '← / →', label: 'shortcut.series', action: { kind: 'series', delta: 1 }, matches: code('ArrowRight') },
  { keys: '←', label: 'shortcut.seriesBack', action: { kind: 'series', delta: -1 }, matches: code('ArrowLeft') },
  { keys: 'Tab', label: 'shortcut.nextViewport', action: { kind: 'nextViewport' }, matches: code('Tab') },
  { keys: 'Shift+1', label: 'layout.1x1', action: { kind: 'layout', layout: '1x1' }, matches: shifted('Digit1') },
  { keys: 'Shift+2', label: 'layout.1x2', action: { kind: 'layout', layout: '1x2' }, matches: shifted('Digit2') },
  { keys: 'Shift+4', label: 'layout.2x2', action: { kind: 'layout', layout: '2x2' }, matches: shifted('Digit4') },
  { keys: 'I', label: 'view.invert', action: { kind: 'view', op: 'invert' }, matches: plain('i') },
  { keys: 'R', label: 'view.rotateRight', action: { kind: 'view', op: 'rotateRight' }, matches: plain('r') },
  { keys: 'Shift+R', label: 'view.rotateLeft', action: { kind: 'view', op: 'rotateLeft' }, matches: (e) => e.shiftKey && !e.ctrlKey && !e.metaKey && e.key.toLowerCase() === 'r' },
  { keys: 'H', label: 'view.flipH', action: { kind: 'view', op: 'flipH' }, matches: plain('h') },
  { keys: 'V', label: 'view.flipV', action: { kind: 'view', op: 'flipV' }, matches: plain('v') },
  { keys: '+ / −', label: 'view.zoomIn', action: { kind: 'view', op: 'zoomIn' }, matches: (e) => !e.ctrlKey && !e.metaKey && (e.key === '+' || e.key === '=') },
  { keys: '−', label: 'view.zoomOut', action: { kind: 'view', op: 'zoomOut' }, matches: (e) => !e.ctrlKey && !e.metaKey && (e.key === '-' || e.key === '_') },
  { keys: 'X', label: 'view.reset', action: { kind: 'view', op: 'reset' }, matches: plain('x') },
  { keys: 'Space', label: 'cine.toggle', action: { kind: 'cine' }, matches: code('Space') },
  { keys: 'Ctrl+Z', label: 'shortcut.undo', action: { kind: 'undo' }, matches: ctrl('z') },
  { keys: 'Ctrl+Y', label: 'shortcut.redo', action: { kind: 'redo' }, matches: (e) => ctrl('y')(e) || ctrl('z', true)(e) },
  { keys: 'Delete', label: 'shortcut.delete', action: { kind: 'delete' }, matches: (e) => e.key === 'Delete' || e.key === 'Backspace' },
  { keys: 'Ctrl+S', label: 'shortcut.save', action: { kind: 'save' }, matches: ctrl('s') },
  { keys: 'T', label: 'shortcut.tags', action: { kind: 'tags' }, matches: plain('t') },
  { keys: '?', label: 'shortcut.help', action: { kind: 'help' }, matches: (e) => e.key === '?' },
];

/** The rows of the help panel: pairs that share a line (↑ / ↓) are shown once. */
export const helpRows = shortcuts.filter((s) => !['shortcut.scrollBack', 'shortcut.scrollPageBack', 'shortcut.seriesBack', 'view.zoomOut'].includes(s.label));

export function findShortcut(event: KeyboardEvent): Shortcut | undefined {
  return shortcuts.find((s) => s.matches(event));
}
