/**
 * Requests answered by one lazily started worker thread, one at a time in order, so heavy synchronous work (hashing a
 * file, decoding an image in JavaScript) does not hold up the event loop that every request shares. The worker is
 * unref'd (an idle one never keeps the process alive). If it cannot be started or dies, `call` resolves to undefined
 * for the requests it had — the caller then does the work on its own thread — and the next call starts a new one,
 * unless this one never answered at all (its script cannot be loaded): then every later call resolves to undefined.
 * The worker script answers each `{ id, ...request }` message with `{ id, ...answer }`.
 * With `timeoutMs`, a request not answered in time rejects with ThreadTimeout and the worker is terminated (a fresh
 * one serves the next call), as are the requests it still had.
 */
type Pending<A> = { resolve: (answer: A | undefined) => void; reject: (e: Error) => void };

export class ThreadTimeout extends Error {
  constructor(ms: number) {
    super(`no answer from the worker thread within ${ms} ms`);
    this.name = "ThreadTimeout";
  }
}

export class ThreadCall<Q extends object, A extends object> {
  private worker: Worker | undefined;
  private broken = false;
  private nextId = 0;
  private readonly pending = new Map<number, Pending<A>>();

  constructor(private readonly start: () => Worker) {}

  /** The worker's answer, or undefined when there is no working worker thread. */
  call(request: Q, timeoutMs?: number): Promise<A | undefined> {
    const w = this.getWorker();
    if (!w) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise<A | undefined>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => clearTimeout(timer);
      this.pending.set(id, { resolve: (a) => (done(), resolve(a)), reject: (e) => (done(), reject(e)) });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          if (this.worker !== w) return;
          this.worker = undefined;
          w.terminate();
          this.settleAll((p) => p.reject(new ThreadTimeout(timeoutMs)));
        }, timeoutMs);
      }
      w.postMessage({ id, ...request });
    });
  }

  private settleAll(how: (p: Pending<A>) => void): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) how(p);
  }

  private getWorker(): Worker | undefined {
    if (this.worker || this.broken) return this.worker;
    let w: Worker;
    try {
      w = this.start();
    } catch {
      this.broken = true;
      return undefined;
    }
    (w as Worker & { unref?(): void }).unref?.();
    let answered = false;
    w.onmessage = (e: MessageEvent<A & { id: number }>) => {
      answered = true;
      const p = this.pending.get(e.data.id);
      this.pending.delete(e.data.id);
      p?.resolve(e.data);
    };
    w.onerror = () => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.broken = !answered;
      this.settleAll((p) => p.resolve(undefined));
    };
    this.worker = w;
    return w;
  }
}
