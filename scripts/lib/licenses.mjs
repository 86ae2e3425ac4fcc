// dist/licenses.txt: the licence of every npm package with code in the bundles, as
// docker/build-push-action ships one. Built from the bundler's list of input files, so a package
// that is installed but tree-shaken away entirely is not listed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LICENSE_FILE = /^(licen[cs]e|copying)(\.(md|txt|markdown))?$/i;

/** `node_modules/@scope/name` or `node_modules/name` (the innermost) that `file` lies in. */
function packageDir(file) {
  const parts = file.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const take = parts[at + 1].startsWith('@') ? 3 : 2;
  return parts.slice(0, at + take).join('/');
}

/**
 * @param {string[]} inputs bundler input paths, relative to the repository root
 * @param {string} root
 */
export function licenseNotices(inputs, root = process.cwd()) {
  const dirs = [...new Set(inputs.map(packageDir).filter((d) => d !== undefined))];
  const packages = dirs.map((dir) => {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const license = typeof manifest.license === 'string' ? manifest.license : (manifest.license?.type ?? 'UNKNOWN');
    const file = existsSync(join(root, dir)) ? readdirSync(join(root, dir)).sort().find((f) => LICENSE_FILE.test(f)) : undefined;
    const text = file ? readFileSync(join(root, dir, file), 'utf8').trim() : undefined;
    return { name: manifest.name, version: manifest.version, license, text };
  });
  const seen = new Set();
  const out = [];
  for (const p of packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1))) {
    const key = `${p.name}@${p.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`${p.name} ${p.version}\n${p.license}\n${p.text ?? `(no licence file in the package; its package.json says ${p.license})`}\n`);
  }
  return `Third-party packages bundled into dist/ (name, version, licence):\n\n${out.join('\n---\n\n')}`;
}
