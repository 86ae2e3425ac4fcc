import { readFile } from 'node:fs/promises';
import type { AttrValues } from './attrs.ts';
import type { BuildContext } from './rule.ts';

async function readDepFile(ctx: BuildContext, attr: string): Promise<string> {
  const label = ctx.attrs.label(attr);
  const files = label ? ctx.dep(label).files : [];
  if (files.length !== 1) throw new Error(`attribute "${attr}": ${label} must provide exactly one file, got ${files.length}`);
  return readFile((files[0] as { path: string }).path, 'utf8');
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

/** A list attribute given inline or as a label of a file with one item per line (rules_oci). */
export async function listValue(ctx: BuildContext, attrs: AttrValues, attr: string): Promise<string[] | undefined> {
  const v = attrs.listOrLabel(attr);
  if (!v) return undefined;
  if ('list' in v) return v.list;
  return lines(await readDepFile(ctx, attr));
}

/** A dict attribute given inline or as a label of a file of `key=value` lines (rules_oci). */
export async function dictValue(ctx: BuildContext, attrs: AttrValues, attr: string): Promise<Record<string, string> | undefined> {
  const v = attrs.dictOrLabel(attr);
  if (!v) return undefined;
  if ('dict' in v) return v.dict;
  const out: Record<string, string> = {};
  for (const line of lines(await readDepFile(ctx, attr))) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`attribute "${attr}": line "${line}" is not key=value`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** A single string read from the file a label attribute names (rules_oci `created`). */
export async function fileText(ctx: BuildContext, attr: string): Promise<string | undefined> {
  if (!ctx.attrs.has(attr)) return undefined;
  return (await readDepFile(ctx, attr)).trim();
}
