import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goBuildArgs, goBuildEnv, type GoBuildRequest } from '../../src/go/build.ts';

const base: GoBuildRequest = {
  moduleRoot: '/ws',
  packagePath: './apps/x',
  goos: 'linux',
  goarch: 'arm',
  goarm: '7',
  cgo: false,
  xDefs: { 'main.version': '1.2 beta', Commit: 'abc' },
  gcLinkopts: ['-s', '-w'],
  gcGoopts: [],
  tags: ['netgo', 'osusergo'],
  out: '/out/x',
  label: '//apps:x',
};

test('go build flags are reproducible and carry x_defs, linkopts and tags', () => {
  // No -buildid=: Go's build ID is a hash of the inputs, and keeping it lets go skip relinking.
  assert.deepEqual(goBuildArgs(base), [
    'build',
    '-trimpath',
    '-buildvcs=false',
    "-ldflags=-X main.Commit=abc -X 'main.version=1.2 beta' -s -w -s -w",
    '-tags=netgo,osusergo',
    '-o',
    '/out/x',
    './apps/x',
  ]);
});

test('the build environment pins the platform and the toolchain, keeping GOFLAGS', () => {
  const env = goBuildEnv(base, { GOFLAGS: '-mod=mod', GOARM: '5', GOAMD64: 'v3', PATH: '/bin' });
  assert.equal(env.GOOS, 'linux');
  assert.equal(env.GOARCH, 'arm');
  assert.equal(env.GOARM, '7');
  assert.equal(env.GOAMD64, undefined);
  assert.equal(env.CGO_ENABLED, '0');
  assert.equal(env.GOTOOLCHAIN, 'local');
  assert.equal(env.GOFLAGS, '-mod=mod');
});

test('compilation modes link as rules_go does under bazel -c: fastbuild strips, opt keeps symbols, dbg adds -N -l', () => {
  const req: GoBuildRequest = { ...base, xDefs: {}, gcLinkopts: [], gcGoopts: ['-m'], tags: [] };
  const flags = (mode: GoBuildRequest['compilationMode']) => goBuildArgs({ ...req, compilationMode: mode }).filter((a) => a.startsWith('-ldflags') || a.startsWith('-gcflags'));
  assert.deepEqual(flags(undefined), ['-ldflags=-s -w', '-gcflags=-m']);
  assert.deepEqual(flags('fastbuild'), ['-ldflags=-s -w', '-gcflags=-m']);
  assert.deepEqual(flags('opt'), ['-gcflags=-m']);
  assert.deepEqual(flags('dbg'), ['-gcflags=all=-N -l -m']);
});

test('an overlay and a generated modfile are passed as -overlay and -modfile, before -o', () => {
  const args = goBuildArgs({ ...base, xDefs: {}, gcLinkopts: [], tags: [], overlay: '/o/cache/go-overlays/ab.json', modfile: '/o/cache/go-modfiles/cd/go.mod' });
  assert.deepEqual(args.slice(-5), ['-overlay=/o/cache/go-overlays/ab.json', '-modfile=/o/cache/go-modfiles/cd/go.mod', '-o', '/out/x', './apps/x']);
});
