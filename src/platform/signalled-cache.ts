import type { SignalBus } from './signals.ts';

/** What a signalled cache needs of the signal bus. */
export type CacheLink = Pick<SignalBus, 'isLive' | 'onResync'>;

/**
 * A per-node cache of what the database says, kept true by change signals (REL-2: "a cached
 * client must not outlive a rotation or removal"). Why an entry can never outlive a change:
 * - the node that commits a change drops its own entry and signals the others after the commit;
 *   if the signal cannot be sent, the change is refused before it is made (`assertSignalsLive`);
 *   should the link break between that check and the signal, the change is kept and logged
 *   (`announceSaved`), and a node that stayed connected may use its entry until `ttlMs` expires;
 * - while this node cannot hear signals (`link.isLive()` false: the subscriber is reconnecting,
 *   or its heartbeat went unanswered), nothing is read from or kept in the cache: every lookup
 *   asks the database;
 * - when the link is back, everything is dropped (`onResync`) before the cache answers again,
 *   since signals sent meanwhile were lost;
 * - a lookup that was reading while a change was signalled answers its own request but is not
 *   kept: what it read may predate the change.
 * `ttlMs` bounds what a lost signal could cost if all of that failed, and lets rarely used entries go.
 */
export function createSignalledCache<V>(options: {
  link: CacheLink;
  now(): number;
  ttlMs: number;
  maxEntries: number;
}) {
  const entries = new Map<string, { value: V; at: number }>();
  let generation = 0; // bumped by every forget and clear
  const clear = () => {
    generation++;
    entries.clear();
  };
  options.link.onResync(clear);

  return {
    async get(key: string, load: () => Promise<V>): Promise<V> {
      if (!options.link.isLive()) {
        if (entries.size > 0) clear();
        return load();
      }
      const hit = entries.get(key);
      if (hit && options.now() - hit.at < options.ttlMs) return hit.value;
      const started = generation;
      const at = options.now();
      const value = await load();
      if (started === generation && options.link.isLive()) {
        if (entries.size >= options.maxEntries) entries.clear();
        entries.set(key, { value, at });
      }
      return value;
    },
    forget(key: string): void {
      generation++;
      entries.delete(key);
    },
    clear,
  };
}
