// Bazel labels: `@repo//pkg:name`, `//pkg:name`, `//pkg`, `:name`, `name`, and the
// relative forms used inside a package. The main repository has repo "".

export class Label {
  readonly repo: string;
  readonly pkg: string;
  readonly name: string;
  constructor(repo: string, pkg: string, name: string) {
    this.repo = repo;
    this.pkg = pkg;
    this.name = name;
  }

  toString(): string {
    const repo = this.repo === '' ? '' : `@${this.repo}`;
    return `${repo}//${this.pkg}:${this.name}`;
  }

  /** Workspace-relative path of a source file label (`pkg/name`). */
  get path(): string {
    return this.pkg === '' ? this.name : `${this.pkg}/${this.name}`;
  }

  equals(other: Label): boolean {
    return this.repo === other.repo && this.pkg === other.pkg && this.name === other.name;
  }
}

export class LabelError extends Error {}

const PKG_RE = /^[A-Za-z0-9!%\-@^_"#$&'()*+,;<=>?[\]{|}~/.]*$/;
const NAME_RE = /^[A-Za-z0-9!%\-@^_"#$&'()*+,;<=>?[\]{|}~/. ]+$/;
const REPO_RE = /^[A-Za-z0-9_.\-+~]*$/;

function checkPkg(pkg: string, text: string): void {
  if (!PKG_RE.test(pkg) || pkg.startsWith('/') || pkg.endsWith('/') || pkg.includes('//')) {
    throw new LabelError(`invalid label "${text}": invalid package name "${pkg}"`);
  }
  for (const seg of pkg.split('/')) {
    if (seg === '..' || seg === '.') throw new LabelError(`invalid label "${text}": package name may not contain "${seg}"`);
  }
}

function checkName(name: string, text: string): void {
  if (name === '' || !NAME_RE.test(name)) throw new LabelError(`invalid label "${text}": invalid target name "${name}"`);
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) {
    throw new LabelError(`invalid label "${text}": invalid target name "${name}"`);
  }
  for (const seg of name.split('/')) {
    if (seg === '..' || seg === '.') throw new LabelError(`invalid label "${text}": target name may not contain "${seg}"`);
  }
}

/**
 * Parses `text` relative to the package `pkg` of repository `repo` (where the label was written).
 * Throws LabelError with a one-line message naming the input.
 */
export function parseLabel(text: string, repo = '', pkg = ''): Label {
  if (typeof text !== 'string' || text === '') throw new LabelError(`invalid label "${String(text)}": empty label`);
  let rest = text;
  let labelRepo = repo;
  let absolute = false;
  if (rest.startsWith('@')) {
    const slash = rest.indexOf('//');
    if (slash < 0) {
      // `@repo` is shorthand for `@repo//:repo`.
      const name = rest.replace(/^@+/, '');
      if (!REPO_RE.test(name) || name === '') throw new LabelError(`invalid label "${text}": invalid repository name`);
      return new Label(name, '', name);
    }
    labelRepo = rest.slice(0, slash).replace(/^@+/, '');
    if (!REPO_RE.test(labelRepo)) throw new LabelError(`invalid label "${text}": invalid repository name "${labelRepo}"`);
    rest = rest.slice(slash);
  }
  if (rest.startsWith('//')) {
    absolute = true;
    rest = rest.slice(2);
  }
  let labelPkg: string;
  let name: string;
  if (absolute) {
    const colon = rest.indexOf(':');
    if (colon < 0) {
      labelPkg = rest;
      name = rest.split('/').pop() ?? '';
      if (rest === '') throw new LabelError(`invalid label "${text}": the root package needs an explicit target name ("//:name")`);
    } else {
      labelPkg = rest.slice(0, colon);
      name = rest.slice(colon + 1);
    }
  } else {
    if (rest.startsWith(':')) rest = rest.slice(1);
    if (rest.includes(':')) throw new LabelError(`invalid label "${text}": relative labels cannot name a package`);
    labelPkg = pkg;
    name = rest;
  }
  checkPkg(labelPkg, text);
  checkName(name, text);
  return new Label(labelRepo, labelPkg, name);
}
