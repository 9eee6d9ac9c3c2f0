// A tiny in-memory key-value store with expiry.
import { EventEmitter } from "events";

const DEFAULT_TTL = 60_000;
let instances = 0;

/**
 * Returns the current time in milliseconds.
 */
function now() {
  return Date.now();
}

export class Store extends EventEmitter {
  constructor(ttl = DEFAULT_TTL) {
    super();
    this.ttl = ttl;
    this.items = new Map();
    instances++;
  }

  /** Stores value under key. */
  set(key, value) {
    this.items.set(key, { value, expires: now() + this.ttl });
    this.emit("set", key);
  }

  get(key) {
    const item = this.items.get(key);
    if (!item) return undefined;
    if (item.expires < now()) {
      this.items.delete(key);
      this.emit("expire", key);
      return undefined;
    }
    return item.value;
  }

  static create() {
    return new Store();
  }
}

export const createStore = (ttl) => new Store(ttl);

export function *keys(store) {
  for (const k of store.items.keys()) {
    yield k;
  }
}

export default Store;
