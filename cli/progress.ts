/**
 * A one-line progress bar on stderr for bulk rotations, drawn only on a terminal (redirected output gets
 * the final results only). Redrawn in place with `\r`; cleared when done.
 */
import type { Output } from './io.js';

export interface Progress {
  tick(label: string): void;
  done(): void;
}

const NOOP: Progress = { tick: () => {}, done: () => {} };

export function createProgress(out: Output, total: number, width = 28): Progress {
  if (!out.isTTY || total === 0) return NOOP;
  let count = 0;
  const draw = (label: string) => {
    const filled = Math.round((count / total) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const columns = out.columns ?? 80;
    const text = `${bar} ${count}/${total} ${label}`;
    out.write(`\r\u001b[2K${[...text].slice(0, Math.max(10, columns - 1)).join('')}`);
  };
  draw('starting…');
  return {
    tick(label) {
      count += 1;
      draw(label);
    },
    done() {
      out.write('\r\u001b[2K');
    },
  };
}
