// Priority queue and job scheduling.

export interface Job {
  id: string;
  priority: number;
  run(): Promise<void>;
}

export type Comparator<T> = (a: T, b: T) => number;

export enum JobState {
  Pending,
  Running,
  Done,
}

const MAX_CONCURRENCY = 4;

/** A binary heap ordered by a comparator. */
export class PriorityQueue<T> {
  private items: T[] = [];

  constructor(private readonly cmp: Comparator<T>) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last !== undefined) {
      this.items[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(this.items[i], this.items[p]) >= 0) break;
      [this.items[i], this.items[p]] = [this.items[p], this.items[i]];
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.cmp(this.items[l], this.items[m]) < 0) m = l;
      if (r < n && this.cmp(this.items[r], this.items[m]) < 0) m = r;
      if (m === i) return;
      [this.items[i], this.items[m]] = [this.items[m], this.items[i]];
      i = m;
    }
  }
}

export namespace Scheduler {
  export function byPriority(a: Job, b: Job): number {
    return b.priority - a.priority;
  }
}

export async function runAll(jobs: Job[]): Promise<number> {
  const q = new PriorityQueue<Job>(Scheduler.byPriority);
  jobs.forEach((j) => q.push(j));
  let done = 0;
  while (q.size > 0) {
    const batch: Job[] = [];
    while (batch.length < MAX_CONCURRENCY && q.size > 0) batch.push(q.pop()!);
    await Promise.all(batch.map((j) => j.run()));
    done += batch.length;
  }
  return done;
}
