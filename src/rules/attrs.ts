import { Label, parseLabel, LabelError } from '../workspace/label.ts';
import type { AttrSchema, AttrType } from './schema.ts';

// Attribute values are recorded by the workspace as plain data; the rules read them here.
export { PlainDict, type Plain } from '../workspace/values.ts';
import { PlainDict, type Plain } from '../workspace/values.ts';

/** A one-line attribute error; the engine prefixes it with the target's position and label. */
export class AttrError extends Error {}

export type ListOrLabel = { list: string[] } | { label: Label };
export type DictOrLabel = { dict: Record<string, string> } | { label: Label };

function typeOf(v: Plain): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PlainDict) return 'dict';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

function expectStringList(name: string, v: Plain): string[] {
  if (!Array.isArray(v)) throw new AttrError(`attribute "${name}": expected a list of strings, got ${typeOf(v)}`);
  return v.map((e, i) => {
    if (typeof e !== 'string') throw new AttrError(`attribute "${name}": element ${i} is ${typeOf(e)}, expected string`);
    return e;
  });
}

function expectStringDict(name: string, v: Plain): Record<string, string> {
  if (!(v instanceof PlainDict)) throw new AttrError(`attribute "${name}": expected a dict of strings, got ${typeOf(v)}`);
  const out: Record<string, string> = {};
  for (const [k, val] of v.entries) {
    if (typeof val !== 'string') throw new AttrError(`attribute "${name}": value for key "${k}" is ${typeOf(val)}, expected string`);
    out[k] = val;
  }
  return out;
}

/**
 * Typed access to one configured target's attributes. Types are checked on construction so that
 * every wrong type is reported before anything is built.
 */
export class AttrValues {
  readonly #values: Map<string, Plain>;
  readonly #schema: AttrSchema;
  readonly #repo: string;
  readonly #pkg: string;

  constructor(values: Map<string, Plain>, schema: AttrSchema, repo: string, pkg: string) {
    this.#values = values;
    this.#schema = schema;
    this.#repo = repo;
    this.#pkg = pkg;
    for (const [name, spec] of Object.entries(schema)) {
      const v = values.get(name);
      if (v === undefined || v === null) {
        if (spec.mandatory) throw new AttrError(`missing mandatory attribute "${name}"`);
        continue;
      }
      this.#check(name, spec.type, v);
    }
  }

  #check(name: string, type: AttrType, v: Plain): void {
    switch (type) {
      case 'string':
        if (typeof v !== 'string') throw new AttrError(`attribute "${name}": expected string, got ${typeOf(v)}`);
        return;
      case 'bool':
        if (typeof v !== 'boolean' && !(typeof v === 'number' && (v === 0 || v === 1)))
          throw new AttrError(`attribute "${name}": expected bool, got ${typeOf(v)}`);
        return;
      case 'int':
        if (typeof v !== 'number') throw new AttrError(`attribute "${name}": expected int, got ${typeOf(v)}`);
        return;
      case 'label':
      case 'platform':
        if (typeof v !== 'string') throw new AttrError(`attribute "${name}": expected a label string, got ${typeOf(v)}`);
        this.#parse(name, v);
        return;
      case 'string_list':
        expectStringList(name, v);
        return;
      case 'label_list':
      case 'platform_list':
        for (const s of expectStringList(name, v)) this.#parse(name, s);
        return;
      case 'string_dict':
        expectStringDict(name, v);
        return;
      case 'label_keyed_string_dict':
        for (const k of Object.keys(expectStringDict(name, v))) this.#parse(name, k);
        return;
      case 'string_list_or_label':
        if (typeof v === 'string') this.#parse(name, v);
        else expectStringList(name, v);
        return;
      case 'string_dict_or_label':
        if (typeof v === 'string') this.#parse(name, v);
        else expectStringDict(name, v);
        return;
      case 'ignored':
        return;
    }
  }

  #parse(name: string, text: string): Label {
    try {
      return parseLabel(text, this.#repo, this.#pkg);
    } catch (err) {
      if (err instanceof LabelError) throw new AttrError(`attribute "${name}": ${err.message}`);
      throw err;
    }
  }

  has(name: string): boolean {
    const v = this.#values.get(name);
    return v !== undefined && v !== null;
  }

  raw(name: string): Plain | undefined {
    return this.#values.get(name);
  }

  string(name: string): string | undefined;
  string(name: string, def: string): string;
  string(name: string, def?: string): string | undefined {
    const v = this.#values.get(name);
    return typeof v === 'string' ? v : def;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.#values.get(name);
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    return def;
  }

  int(name: string): number | undefined {
    const v = this.#values.get(name);
    return typeof v === 'number' ? v : undefined;
  }

  stringList(name: string): string[] {
    const v = this.#values.get(name);
    return v === undefined || v === null ? [] : expectStringList(name, v);
  }

  stringDict(name: string): Record<string, string> {
    const v = this.#values.get(name);
    return v === undefined || v === null ? {} : expectStringDict(name, v);
  }

  label(name: string): Label | undefined {
    const v = this.#values.get(name);
    return typeof v === 'string' ? this.#parse(name, v) : undefined;
  }

  labelList(name: string): Label[] {
    return this.stringList(name).map((s) => this.#parse(name, s));
  }

  labelKeyedDict(name: string): Array<[Label, string]> {
    return Object.entries(this.stringDict(name)).map(([k, v]) => [this.#parse(name, k), v]);
  }

  listOrLabel(name: string): ListOrLabel | undefined {
    const v = this.#values.get(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return { label: this.#parse(name, v) };
    return { list: expectStringList(name, v) };
  }

  dictOrLabel(name: string): DictOrLabel | undefined {
    const v = this.#values.get(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return { label: this.#parse(name, v) };
    return { dict: expectStringDict(name, v) };
  }

  /** Every label this target depends on, per attribute, in attribute order. */
  labelDeps(): Array<{ attr: string; label: Label }> {
    const out: Array<{ attr: string; label: Label }> = [];
    for (const [name, spec] of Object.entries(this.#schema)) {
      if (!this.has(name)) continue;
      switch (spec.type) {
        case 'label': {
          const l = this.label(name);
          if (l) out.push({ attr: name, label: l });
          break;
        }
        case 'label_list':
          for (const l of this.labelList(name)) out.push({ attr: name, label: l });
          break;
        case 'label_keyed_string_dict':
          for (const [l] of this.labelKeyedDict(name)) out.push({ attr: name, label: l });
          break;
        case 'string_list_or_label': {
          const v = this.listOrLabel(name);
          if (v && 'label' in v) out.push({ attr: name, label: v.label });
          break;
        }
        case 'string_dict_or_label': {
          const v = this.dictOrLabel(name);
          if (v && 'label' in v) out.push({ attr: name, label: v.label });
          break;
        }
        default:
          break;
      }
    }
    return out;
  }
}
