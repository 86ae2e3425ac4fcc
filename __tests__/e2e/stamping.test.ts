// Issue 16 points 3 and 4 on examples/stamping: the workspace's .bazelrc decides stamping
// (build:release --stamp, --workspace_status_command, --embed_label, --define), go_binary x_defs
// `{KEY}` are stamped as rules_go stamps them, pkg_tar dates its entries at BUILD_TIMESTAMP when
// stamped, an unexpanded `created` is an error naming the target, inputs override the rc file,
// and the tags input replaces remote_tags without building them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type PipelineOptions } from '../../src/pipeline.ts';
import { readTarMembers } from '../../src/tar/reader.ts';
import { runCommand } from '../helpers/run.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';

const example = join(import.meta.dirname, '..', '..', 'examples', 'stamping');
const SDE = '1700000000';

function copyExample(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'stamping-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(example, dir, { recursive: true });
  return dir;
}

function options(root: string, logs: string[], extra: Partial<PipelineOptions> = {}): PipelineOptions {
  return {
    cwd: root,
    targets: ['//app:image_undated'],
    outputDir: join(root, 'out'),
    load: false,
    push: false,
    log: { info: (m) => logs.push(m), warning: (m) => logs.push(`warning: ${m}`) },
    // No git here: the status keys come from the script, the time from SOURCE_DATE_EPOCH.
    env: { ...process.env, SOURCE_DATE_EPOCH: SDE, GITHUB_SHA: '', GITHUB_REF: '' },
    sbom: false,
    ...extra,
  };
}

function find(dir: string, name: string): string {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      const hit = find(p, name);
      if (hit) return hit;
    } else if (e === name) return p;
  }
  return '';
}

async function runApp(root: string): Promise<string> {
  const bin = find(join(root, 'out', 'bin'), 'app');
  assert.ok(bin, 'no app binary under out/bin');
  const r = await runCommand(bin, []);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function layerMtimes(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const { member, body } of readTarMembers(find(join(root, 'out', 'bin'), 'layer.tar'))) {
    out.set(member.name, member.mtime);
    body.resume();
  }
  return out;
}

test('unstamped (no --config): x_defs naming {KEY} keep their defaults, the .bazelrc define applies, pkg_tar keeps the portable mtime', async (t) => {
  const root = copyExample(t);
  const logs: string[] = [];
  await runPipeline(options(root, logs));
  assert.equal(await runApp(root), 'version=dev commit=none name=unset flavor=plain');
  const mtimes = await layerMtimes(root);
  assert.equal(mtimes.get('app/app'), 946684800);
  assert.ok(logs.some((l) => l.includes('x_defs "commit" left unset: it names {STABLE_GIT_COMMIT} and stamping is off')), logs.join('\n'));
  assert.ok(logs.includes('.bazelrc: .bazelrc:3: --define=flavor=plain'), logs.join('\n'));
});

test('config release: stamped from the status script and --embed_label; a key without a value leaves its variable unset', async (t) => {
  const root = copyExample(t);
  const logs: string[] = [];
  const result = await runPipeline(options(root, logs, { targets: ['//app:image'], configs: ['release'] }));
  assert.equal(await runApp(root), 'version=9.9.9 commit=0123456789abcdef0123456789abcdef01234567 name=unset flavor=fancy');
  assert.ok(logs.some((l) => l === 'warning: //app:app: x_defs "name" left unset: no workspace status value for {NO_SUCH_KEY}'), logs.join('\n'));
  // pkg_tar under --stamp: entries dated BUILD_TIMESTAMP (SOURCE_DATE_EPOCH here).
  const mtimes = await layerMtimes(root);
  assert.equal(mtimes.get('app/app'), Number(SDE));
  // created comes from the status script through expand_template.
  const layout = result.reports[0]?.layout;
  assert.ok(layout);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const blob = (d: string) => JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', d.slice(7)), 'utf8'));
  const manifest = blob(index.manifests[0]?.digest ?? '') as { config: { digest: string } };
  const config = blob(manifest.config.digest) as { created: string; history: Array<{ created: string; created_by: string }> };
  assert.equal(config.created, '2024-05-06T07:08:09Z');
  assert.deepEqual(config.history, [{ created: '1970-01-01T00:00:00Z', created_by: 'bazel build //app:layer' }]);
});

test('the stamp input overrides the .bazelrc: config release with stamp false builds unstamped, keeping the define', async (t) => {
  const root = copyExample(t);
  await runPipeline(options(root, [], { configs: ['release'], stamp: false }));
  assert.equal(await runApp(root), 'version=dev commit=none name=unset flavor=fancy');
});

test('CLI: --config release stamps, --stamp is not needed; -c opt from the command line overrides', async (t) => {
  const root = copyExample(t);
  const cli = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');
  const env = { ...process.env, SOURCE_DATE_EPOCH: SDE, GITHUB_SHA: '', GITHUB_REF: '' };
  const r = await runCommand(process.execPath, [cli, 'build', '-C', root, '-o', join(root, 'out'), '--config', 'release', '-c', 'opt', '//app:app'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\.bazelrc: \.bazelrc:5: --stamp=true\n/);
  assert.equal(await runApp(root), 'version=9.9.9 commit=0123456789abcdef0123456789abcdef01234567 name=unset flavor=fancy');
  // opt links without -s -w, so the symbol table is there (fastbuild, the default, strips it).
  assert.ok(readFileSync(find(join(root, 'out', 'bin'), 'app')).includes('.symtab'), 'opt keeps .symtab');
  // --nostamp overrides the config's --stamp.
  const off = await runCommand(process.execPath, [cli, 'build', '-C', root, '-o', join(root, 'out'), '--config', 'release', '--nostamp', '//app:app'], { env });
  assert.equal(off.code, 0, off.stderr);
  assert.equal(await runApp(root), 'version=dev commit=none name=unset flavor=fancy');
});

test('an unexpanded created template is a build error naming the image, not an image Docker refuses', async (t) => {
  const root = copyExample(t);
  await assert.rejects(
    runPipeline(options(root, [], { targets: ['//app:image'] })),
    (err: Error) => {
      assert.match(
        err.message,
        /^app\/BUILD\.bazel:\d+:\d+: \/\/app:image: attribute "created": \/\/app:created holds "\{\{BUILD_TIMESTAMP_ISO8601\}\}", not an RFC 3339 date-time such as 2024-01-02T03:04:05Z \(an unexpanded stamp template/,
      );
      return true;
    },
  );
});

test('an unknown --config is an error before anything is built', async (t) => {
  const root = copyExample(t);
  await assert.rejects(runPipeline(options(root, [], { configs: ['relase'] })), /config input: config value 'relase' is not defined in any \.rc file \(\.bazelrc\)/);
});

test('.bazelrc --platforms (config arm64) is the platform targets are built for', async (t) => {
  const root = copyExample(t);
  await runPipeline(options(root, [], { targets: ['//app:app'], configs: ['arm64'] }));
  const bin = find(join(root, 'out', 'bin'), 'app');
  const elf = readFileSync(bin);
  assert.equal(elf.subarray(0, 4).toString('latin1'), '\x7fELF');
  assert.equal(elf.readUInt16LE(18), 183, 'EM_AARCH64');
});

test('pure = "off" for another architecture: an error without a C cross compiler, cgo with CC_FOR_<goos>_<goarch>', async (t) => {
  const root = copyExample(t);
  const env = { ...process.env, CC: '', CC_FOR_linux_arm64: '' };
  await assert.rejects(runPipeline(options(root, [], { targets: ['//app:app_cgo_arm64'], env })), (err: Error) => {
    assert.match(
      err.message,
      /\/\/app:app_cgo_arm64: pure = "off" needs cgo, but linux\/arm64 is not this host's platform \(linux\/amd64\) and no C cross compiler is configured: set CC_FOR_linux_arm64 \(or CC\)/,
    );
    return true;
  });
  // With one configured, the build is a cgo build (never silently pure Go).
  await runPipeline(options(root, [], { targets: ['//app:app_cgo_arm64'], env: { ...env, CC_FOR_linux_arm64: 'aarch64-linux-gnu-gcc' } }));
  const info = await runCommand('go', ['version', '-m', find(join(root, 'out', 'bin'), 'app_cgo_arm64')]);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /\tbuild\tCGO_ENABLED=1\n/);
  assert.match(info.stdout, /\tbuild\tGOARCH=arm64\n/);
});

describe('the tags input replaces remote_tags', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ mode: 'anonymous' });
  });
  after(async () => {
    await registry?.stop();
  });

  test('unstamped remote_tags ("{{BUILD_EMBED_LABEL}}") block a push that uses them, not one whose tags come from the input', async (t) => {
    const root = copyExample(t);
    const push = (extra: Partial<PipelineOptions>) =>
      runPipeline(options(root, [], { targets: ['//app:push'], push: true, repository: `${registry.host}/stamping`, ...extra }));
    const result = await push({ tags: ['v1', 'latest'] });
    const r = result.reports.find((x) => x.label === '//app:push');
    assert.equal(r?.action, 'pushed');
    assert.deepEqual(r?.tags, [`${registry.host}/stamping:v1`, `${registry.host}/stamping:latest`]);
    // The tags file was never built.
    assert.equal(find(join(root, 'out', 'bin'), 'tags.txt'), '');
    const list = await runCommand('skopeo', ['list-tags', '--tls-verify=false', `docker://${registry.host}/stamping`]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { Tags: string[] }).Tags.sort(), ['latest', 'v1']);
    // Without the input, the rule's tags are built, and their unexpanded template is no tag.
    await assert.rejects(push({}), (err: Error) => {
      assert.match(err.message, /\{\{BUILD_EMBED_LABEL\}\}/);
      return true;
    });
  });
});
