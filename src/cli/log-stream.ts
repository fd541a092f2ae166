/**
 * A pino destination for people at a terminal: each JSON log line becomes
 * `warning: <message> (key=value, ...)` on stderr. Unreadable lines pass through unchanged.
 */
export function humanLogStream(write: (text: string) => void): { write(line: string): void } {
  const LABELS: Record<string, string> = { warn: 'warning', fatal: 'error' };
  const SKIP = new Set(['level', 'time', 'service', 'msg', 'pid', 'hostname']);
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        write(line);
        return;
      }
      const level = String(entry.level ?? 'info');
      const extra = Object.entries(entry)
        .filter(([key]) => !SKIP.has(key))
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
      const tail = extra.length > 0 ? ` (${extra.join(', ')})` : '';
      write(`${LABELS[level] ?? level}: ${String(entry.msg ?? '')}${tail}\n`);
    },
  };
}
