/** Keeps log lines in memory so tests can assert on them (and scan them for secret values). */
import type { Logger } from '../ports.js';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export class MemoryLogger implements Logger {
  readonly lines: LogLine[] = [];

  info(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(fields ? { level: 'info', message, fields } : { level: 'info', message });
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(fields ? { level: 'warn', message, fields } : { level: 'warn', message });
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(fields ? { level: 'error', message, fields } : { level: 'error', message });
  }
}
