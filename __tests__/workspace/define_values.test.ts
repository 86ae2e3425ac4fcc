// config_setting(define_values = …) and values = {"define": "K=V"} follow the .bazelrc's --define.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workspace } from '../../src/workspace/workspace.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import { HOST_CONFIG } from '../../src/engine/config.ts';
import { ruleFor } from '../../src/rules/index.ts';

const BUILD = `load("@rules_pkg//pkg:tar.bzl", "pkg_tar")
config_setting(name = "fancy", define_values = {"flavor": "fancy"})
config_setting(name = "fancy_eu", define_values = {"flavor": "fancy", "region": "eu"})
config_setting(name = "plain_by_values", values = {"define": "flavor=plain"})
pkg_tar(
    name = "t",
    package_dir = select({
        ":fancy_eu": "fancy-eu",
        ":fancy": "fancy",
        ":plain_by_values": "plain",
        "//conditions:default": "none",
    }),
)
`;

test('define_values and values["define"] match the --define flags, every key of a setting', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'defines-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'p'));
  writeFileSync(join(root, 'BUILD.bazel'), '');
  writeFileSync(join(root, 'p', 'BUILD.bazel'), BUILD);
  const dir = (define: Record<string, string>) => {
    const ws = new Workspace(root, { rules: ruleFor, log: { info: () => {}, warning: () => {} }, flags: { define } });
    const target = ws.resolve(parseLabel('//p:t'));
    assert.equal(target.kind, 'target');
    return target.kind === 'target' ? ws.configuredAttrs(target.target, HOST_CONFIG).get('package_dir') : undefined;
  };
  assert.equal(dir({}), 'none');
  assert.equal(dir({ flavor: 'fancy' }), 'fancy');
  assert.equal(dir({ flavor: 'fancy', region: 'us' }), 'fancy');
  assert.equal(dir({ flavor: 'fancy', region: 'eu' }), 'fancy-eu');
  assert.equal(dir({ flavor: 'plain' }), 'plain');
  assert.equal(dir({ flavor: 'other' }), 'none');
});
