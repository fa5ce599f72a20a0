// An in-memory KeyValueStore for tests (values copied, as chrome.storage does).
import type { KeyValueStore } from "../lib/kv-store";

export function memoryStore(): KeyValueStore & { dump(): Record<string, unknown> } {
  const items = new Map<string, string>();
  return {
    async get<T>(key: string) {
      const raw = items.get(key);
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    async set(key, value) {
      items.set(key, JSON.stringify(value));
    },
    async remove(key) {
      items.delete(key);
    },
    dump: () => Object.fromEntries([...items].map(([k, v]) => [k, JSON.parse(v) as unknown])),
  };
}
