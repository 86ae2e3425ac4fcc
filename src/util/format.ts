// Small text helpers for messages: one home, so every message flattens and sizes the same way.

/** `s` with every run of whitespace (newlines included) made one space, trimmed; cut to `max` characters with "…". */
export function oneLine(s: string, max = Infinity): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** "512 B", "1.2 MiB"; an exact multiple of its unit without a fraction: "8 MiB", "64 KiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}
