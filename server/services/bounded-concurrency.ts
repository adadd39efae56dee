// Runs work over many items with at most `limit` in flight: enough to overlap round trips to Google,
// few enough that memory and the calls made at any moment stay bounded.
export async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
