/**
 * Where a message feed keeps its cursor (the id of the last message it delivered), so that a new
 * client (a page reload, an app restart) resumes where the last one stopped. Either method may be
 * synchronous or return a promise.
 */
export interface CursorStore {
  /** The saved cursor, or `undefined` when there is none. */
  load(): string | undefined | Promise<string | undefined>;
  /** Saves `cursor`, replacing the previous one. Called after every delivered message. */
  save(cursor: string): void | Promise<void>;
  /** Forgets the cursor (after a gap, or on sign-out). */
  clear(): void | Promise<void>;
}

/** A cursor kept in memory: survives reconnects, not a restart. `initial` is the cursor to start after. */
export function memoryCursorStore(initial?: string): CursorStore {
  let cursor = initial;
  return {
    load: () => cursor,
    save: (next) => void (cursor = next),
    clear: () => void (cursor = undefined),
  };
}

/** The part of the Web Storage API a {@link localStorageCursorStore} uses. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Options of {@link localStorageCursorStore}. */
export interface LocalStorageCursorStoreOptions {
  /**
   * The storage key. Use one per user (e.g. `switchboard-cursor:<userId>`): a cursor belongs to one
   * recipient's history. Default `switchboard-cursor`.
   */
  readonly key?: string;
  /** Default `globalThis.localStorage`. */
  readonly storage?: KeyValueStorage;
}

/**
 * A cursor kept in `localStorage` (or any {@link KeyValueStorage}), so a page reload resumes with no
 * loss. A storage that refuses writes (quota, private mode) degrades to the cursor in memory.
 * @throws TypeError when no storage is given and `globalThis.localStorage` does not exist.
 */
export function localStorageCursorStore(options: LocalStorageCursorStoreOptions = {}): CursorStore {
  const key = options.key ?? 'switchboard-cursor';
  const storage = options.storage ?? (globalThis as { localStorage?: KeyValueStorage }).localStorage;
  if (storage === undefined) {
    throw new TypeError(`Cannot create a localStorage cursor store: this runtime has no localStorage: key ${key}`);
  }
  let latest: string | undefined;
  return {
    load: () => storage.getItem(key) ?? latest,
    save(cursor) {
      latest = cursor;
      try {
        storage.setItem(key, cursor);
      } catch {
        // Quota or private mode: the in-memory copy still serves reconnects of this page.
      }
    },
    clear() {
      latest = undefined;
      storage.removeItem(key);
    },
  };
}
