/** A sleep that `wake()` cuts short (new work, or stop). Uses one timer at a time, cleared on wake. */
export class Waiter {
  #pending: { resolve: () => void; timer: NodeJS.Timeout } | undefined;

  wait(ms: number): Promise<void> {
    this.wake();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending = undefined;
        resolve();
      }, ms);
      this.#pending = { resolve, timer };
    });
  }

  wake(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve();
  }
}
