import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabel } from '../../src/workspace/label.ts';

test('labels resolve relative to the package they are written in', () => {
  const cases: Array<[string, string, string]> = [
    ['//apps/hello_world:image', 'libs', '//apps/hello_world:image'],
    ['//apps/hello_world', 'libs', '//apps/hello_world:hello_world'],
    [':pkg', 'apps/hello_world', '//apps/hello_world:pkg'],
    ['pkg', 'apps/hello_world', '//apps/hello_world:pkg'],
    ['main.go', 'apps/hello_world', '//apps/hello_world:main.go'],
    ['sub/file.txt', 'apps', '//apps:sub/file.txt'],
    ['//:root', 'x', '//:root'],
    ['@rules_go//go:def.bzl', '', '@rules_go//go:def.bzl'],
    ['@@rules_go//go:def.bzl', '', '@rules_go//go:def.bzl'],
    ['@distroless', '', '@distroless//:distroless'],
  ];
  for (const [text, pkg, want] of cases) assert.equal(parseLabel(text, '', pkg).toString(), want, text);
});

test('bad labels give one-line errors naming the input', () => {
  assert.throws(() => parseLabel('//a/../b:c'), { message: 'invalid label "//a/../b:c": package name may not contain ".."' });
  assert.throws(() => parseLabel(''), { message: 'invalid label "": empty label' });
  assert.throws(() => parseLabel('//apps:'), { message: 'invalid label "//apps:": invalid target name ""' });
  assert.throws(() => parseLabel('//'), /root package needs an explicit target name/);
  assert.throws(() => parseLabel('a:b', '', 'x'), { message: 'invalid label "a:b": relative labels cannot name a package' });
  assert.throws(() => parseLabel(':../etc/passwd', '', 'x'), /target name may not contain "\.\."/);
  assert.throws(() => parseLabel('//apps/:x'), /invalid package name/);
});
