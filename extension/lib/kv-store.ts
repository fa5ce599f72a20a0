// A small async key-value interface so the token vault and settings work over
// chrome.storage (extension) and localStorage (demo page, tests).

export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  remove(key: string): Promise<void>;
}

export function chromeStore(area: chrome.storage.StorageArea): KeyValueStore {
  return {
    async get<T>(key: string) {
      const items = await area.get(key);
      return items[key] as T | undefined;
    },
    set: (key, value) => area.set({ [key]: value }),
    remove: (key) => area.remove(key),
  };
}

/** Values stored as JSON under a prefix (the demo page keeps its settings in localStorage). */
export function webStore(storage: Storage, prefix: string): KeyValueStore {
  return {
    async get<T>(key: string) {
      const raw = storage.getItem(prefix + key);
      return raw === null ? undefined : (JSON.parse(raw) as T);
    },
    async set(key, value) {
      storage.setItem(prefix + key, JSON.stringify(value));
    },
    async remove(key) {
      storage.removeItem(prefix + key);
    },
  };
}
