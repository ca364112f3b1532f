/** Number and table formatting for the CLI's human-readable output. */
import { formatBytes } from '../core/size.js';

export { formatBytes };

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "1.23M", "456.7k", "999" (for rates). */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A log address with its page number and the size it represents ("12,582,976 (page 12, 12.0 MiB)"). */
export function formatAddress(address: number, pageSize: number): string {
  return `${formatCount(address)}  (page ${Math.floor(address / pageSize)}, ${formatBytes(address)})`;
}

/**
 * A plain-text table: the first row is the header; columns after the first are right-aligned.
 */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]): string =>
    indent + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const [header, ...body] = rows;
  if (header === undefined) return '';
  const rule = indent + widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n') + '\n';
}

/** "key: value" lines with the keys aligned. */
export function keyValues(pairs: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${(k + ':').padEnd(width + 1)}  ${v}`).join('\n') + '\n';
}
