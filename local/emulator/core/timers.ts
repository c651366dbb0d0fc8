/** Cancellable sleeps, so `stop()` can release every pending delay at once and leave no timer behind. */
export class Timers {
  readonly #pending = new Map<NodeJS.Timeout, () => void>();
  #cancelled = false;

  /** Resolves `true` after `ms`, or `false` at once if cancelled (now or later). */
  sleep(ms: number): Promise<boolean> {
    if (this.#cancelled) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        resolve(true);
      }, ms);
      this.#pending.set(timer, () => resolve(false));
    });
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Clears every pending sleep (they resolve `false`); later sleeps resolve `false` immediately. */
  cancelAll(): void {
    this.#cancelled = true;
    for (const [timer, cancel] of this.#pending) {
      clearTimeout(timer);
      cancel();
    }
    this.#pending.clear();
  }
}
