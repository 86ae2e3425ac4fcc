import { Builtin, BuiltinError, type HasAttrs, type Value } from '../starlark/index.ts';
import { Label, parseLabel } from './label.ts';

/** Starlark's `Label` type: `Label("//pkg:name")` with .name, .package, .repo_name, ... */
export class LabelValue implements HasAttrs {
  readonly typeName = 'Label';
  readonly label: Label;
  constructor(label: Label) {
    this.label = label;
  }

  getAttr(name: string): Value | undefined {
    const l = this.label;
    switch (name) {
      case 'name':
        return l.name;
      case 'package':
        return l.pkg;
      case 'repo_name':
      case 'workspace_name':
        return l.repo;
      case 'workspace_root':
        return l.repo === '' ? '' : `external/${l.repo}`;
      case 'same_package_label':
        return new Builtin('same_package_label', (call) => {
          const n = call.args[0];
          if (typeof n !== 'string') throw new BuiltinError('same_package_label() takes a target name');
          return new LabelValue(parseLabel(`:${n}`, l.repo, l.pkg));
        });
      case 'relative':
        return new Builtin('relative', (call) => {
          const n = call.args[0];
          if (typeof n !== 'string') throw new BuiltinError('relative() takes a label string');
          return new LabelValue(parseLabel(n, l.repo, l.pkg));
        });
      default:
        return undefined;
    }
  }

  attrNames(): string[] {
    return ['name', 'package', 'relative', 'repo_name', 'same_package_label', 'workspace_name', 'workspace_root'];
  }

  repr(): string {
    return `Label(${JSON.stringify(this.str())})`;
  }

  str(): string {
    // Bazel 7+ prints main-repository labels as "@@//pkg:name"; BUILD files compare against "//".
    return this.label.toString();
  }

  equals(other: Value): boolean {
    return other instanceof LabelValue && other.label.equals(this.label);
  }

  hashKey(): string {
    return `Label:${this.label.toString()}`;
  }
}

/** `Label(text)`, relative to the repository and package of the file that calls it. */
export function labelBuiltin(where: () => { repo: string; pkg: string }, canonical: (l: Label) => Label = (l) => l): Builtin {
  return new Builtin('Label', (call) => {
    const text = call.args[0] ?? call.kwargs.get('input');
    if (text instanceof LabelValue) return text;
    if (typeof text !== 'string') throw new BuiltinError('Label() takes a label string');
    const { repo, pkg } = where();
    try {
      return new LabelValue(canonical(parseLabel(text, repo, pkg)));
    } catch (err) {
      throw new BuiltinError((err as Error).message);
    }
  });
}
