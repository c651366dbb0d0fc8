/**
 * Fault injection shared by every in-memory fake of one test world. Each fake port method reports its
 * call here first (`await faults.hit('store.setSecret', args)`), so a test can make any call fail — by
 * name, by predicate on its arguments, or by its index in the call log — or simulate a crash: after a
 * crash every call of every fake fails, as if the process had died, until `recover()`.
 */
import { RotationError } from '../errors.js';

export interface FaultRule {
  /** Operation name (`store.setSecret`) or a predicate on it. */
  op: string | ((op: string) => boolean);
  /** Only calls whose arguments match. */
  when?: (args: readonly unknown[]) => boolean;
  /** Skip this many matching calls before failing. Default 0. */
  skip?: number;
  /** How many matching calls fail. Default 1; `Infinity` for an outage. */
  times?: number;
  /** The error thrown; default a transient `AzureUnavailable` RotationError. */
  error?: () => Error;
  /** Simulate a process crash: this call and every later one fail until `recover()`. */
  crash?: boolean;
}

/** Thrown by every fake after a simulated crash. */
export class SimulatedCrash extends Error {
  constructor(op: string) {
    super(`simulated crash at ${op}`);
    this.name = 'SimulatedCrash';
  }
}

interface ArmedRule extends Required<Omit<FaultRule, 'when' | 'error'>> {
  when: FaultRule['when'];
  error: FaultRule['error'];
}

export interface FaultHit {
  index: number;
  op: string;
}

/** A call as observers see it: with its arguments (a journal write's record, a secret's name). */
export interface ObservedCall extends FaultHit {
  args: readonly unknown[];
}

export class FaultInjector {
  /** Every call reported, in order (including failed ones). */
  readonly calls: string[] = [];
  /** Calls that were made to fail. */
  readonly injected: FaultHit[] = [];
  private rules: ArmedRule[] = [];
  private crashedAt: string | undefined;
  private failAtIndex: { index: number; crash: boolean } | undefined;
  /** Observers called before a call is decided (tests use it to look at state at a given call). */
  private observers: ((call: ObservedCall) => void)[] = [];

  inject(rule: FaultRule): this {
    this.rules.push({
      op: rule.op,
      when: rule.when,
      skip: rule.skip ?? 0,
      times: rule.times ?? 1,
      error: rule.error,
      crash: rule.crash ?? false,
    });
    return this;
  }

  /** Fails the call with this index in `calls` (0-based, counted from the last `resetCalls`). */
  failAt(index: number, options: { crash?: boolean } = {}): this {
    this.failAtIndex = { index, crash: options.crash ?? false };
    return this;
  }

  onCall(observer: (call: ObservedCall) => void): this {
    this.observers.push(observer);
    return this;
  }

  get crashed(): boolean {
    return this.crashedAt !== undefined;
  }

  /** The process "restarts": calls succeed again. Rules already armed stay armed. */
  recover(): void {
    this.crashedAt = undefined;
  }

  clear(): void {
    this.rules = [];
    this.failAtIndex = undefined;
    this.crashedAt = undefined;
    this.observers = [];
  }

  resetCalls(): void {
    this.calls.length = 0;
    this.injected.length = 0;
  }

  /** Records the call and throws when a rule says so. Synchronous so fakes stay deterministic. */
  hit(op: string, args: readonly unknown[] = []): void {
    if (this.crashedAt !== undefined) throw new SimulatedCrash(this.crashedAt);
    const index = this.calls.length;
    this.calls.push(op);
    for (const observer of this.observers) observer({ index, op, args });
    if (this.failAtIndex?.index === index) {
      const { crash } = this.failAtIndex;
      this.failAtIndex = undefined;
      this.fail(op, index, crash, undefined);
    }
    for (const rule of this.rules) {
      if (rule.times <= 0) continue;
      const matches = typeof rule.op === 'string' ? rule.op === op : rule.op(op);
      if (!matches || (rule.when && !rule.when(args))) continue;
      if (rule.skip > 0) {
        rule.skip -= 1;
        continue;
      }
      rule.times -= 1;
      this.fail(op, index, rule.crash, rule.error);
    }
  }

  private fail(op: string, index: number, crash: boolean, error: (() => Error) | undefined): never {
    this.injected.push({ index, op });
    if (crash) {
      this.crashedAt = op;
      throw new SimulatedCrash(op);
    }
    throw error
      ? error()
      : new RotationError('AzureUnavailable', `injected fault at ${op}`, { transient: true });
  }
}
