/**
 * Terminal output: ANSI colours (only on a terminal, never with `NO_COLOR` or `--no-color`) and tables
 * that fit the terminal width — flexible columns shrink with an ellipsis, fixed ones keep their width.
 */

export interface Style {
  enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  magenta(text: string): string;
  gray(text: string): string;
  bold(text: string): string;
}

const code = (open: number, close: number) => (enabled: boolean) => (text: string) =>
  enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;

export function createStyle(enabled: boolean): Style {
  return {
    enabled,
    red: code(31, 39)(enabled),
    green: code(32, 39)(enabled),
    yellow: code(33, 39)(enabled),
    blue: code(34, 39)(enabled),
    magenta: code(35, 39)(enabled),
    gray: code(90, 39)(enabled),
    bold: code(1, 22)(enabled),
  };
}

/** Colour when the stream is a terminal, unless `NO_COLOR` is set (any value) or `--no-color` is given. */
export function colourEnabled(
  isTTY: boolean,
  env: Readonly<Record<string, string | undefined>>,
  flag: boolean,
): boolean {
  if (flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return isTTY;
}

/** `text` (default: the status itself) in the colour of an inventory state or a run status. */
export function paint(style: Style, status: string, text: string = status): string {
  switch (status) {
    case 'failing':
    case 'failed':
    case 'overdue':
      return style.red(text);
    case 'expired':
      return style.bold(style.magenta(text));
    case 'manual-action-required':
    case 'propagated-with-errors':
      return style.yellow(text);
    case 'due':
      return style.yellow(text);
    case 'no-expiry':
    case 'queued':
    case 'running':
      return style.blue(text);
    case 'unmanaged':
    case 'skipped':
      return style.gray(text);
    case 'ok':
    case 'done':
    case 'revoked':
      return style.green(text);
    default:
      return text;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\u001b\[[0-9;]*m/g;

export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

/** Cuts plain text to `width` characters with an ellipsis. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, width).join('');
  return `${chars.slice(0, width - 1).join('')}…`;
}

export interface Column<T> {
  header: string;
  /** Plain text of the cell (used for widths and truncation). */
  text: (row: T) => string;
  /** Optional colouring applied after truncation. */
  colour?: (text: string, row: T) => string;
  align?: 'left' | 'right';
  /** Shrinks (with an ellipsis) when the table is wider than the terminal. Default false. */
  flex?: boolean;
  /** Smallest width a flexible column shrinks to (default 8). */
  min?: number;
}

/** Renders rows as a table no wider than `width` (when the fixed columns allow it). */
export function renderTable<T>(
  columns: readonly Column<T>[],
  rows: readonly T[],
  width: number,
  style: Style,
): string {
  const texts = rows.map((row) => columns.map((c) => c.text(row).replace(/\s+/g, ' ')));
  const widths = columns.map((c, i) =>
    Math.max(visibleLength(c.header), ...texts.map((t) => visibleLength(t[i]!))),
  );
  const gap = 2;
  let total = widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
  while (total > width) {
    let widest = -1;
    columns.forEach((c, i) => {
      if (c.flex && widths[i]! > (c.min ?? 8) && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    });
    if (widest < 0) break;
    widths[widest] = widths[widest]! - 1;
    total -= 1;
  }
  const cell = (text: string, i: number, row: T | undefined) => {
    const column = columns[i]!;
    const cut = truncate(text, widths[i]!);
    const pad = ' '.repeat(Math.max(0, widths[i]! - visibleLength(cut)));
    const coloured = row !== undefined && column.colour ? column.colour(cut, row) : cut;
    const last = i === columns.length - 1;
    if (column.align === 'right') return pad + coloured;
    return last ? coloured : coloured + pad;
  };
  const header = columns.map((c, i) => cell(c.header, i, undefined)).join(' '.repeat(gap));
  const lines = [style.bold(header.trimEnd())];
  texts.forEach((t, r) => {
    lines.push(
      t
        .map((text, i) => cell(text, i, rows[r]))
        .join(' '.repeat(gap))
        .trimEnd(),
    );
  });
  return `${lines.join('\n')}\n`;
}

export function terminalWidth(
  columns: number | undefined,
  env: Readonly<Record<string, string | undefined>>,
): number {
  const fromEnv = Number(env.COLUMNS);
  if (columns && columns > 0) return columns;
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return 120;
}
