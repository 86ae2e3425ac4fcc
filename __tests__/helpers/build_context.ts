// A BuildContext for running one rule's build() in a test, without the engine: attributes,
// dependency providers and an output directory, nothing else (no store, registry or Go).
import { DEFAULT_LAYER_COMPRESSION } from '../../src/oci/layer.ts';
import { mkdir } from 'node:fs/promises';
import { HOST_CONFIG, type Configuration } from '../../src/engine/config.ts';
import type { AttrValues } from '../../src/rules/attrs.ts';
import type { Provider } from '../../src/rules/provider.ts';
import { NO_METADATA, type BuildContext, type Logger, type RuleDef, type StampInfo } from '../../src/rules/rule.ts';
import { Label } from '../../src/workspace/label.ts';

export interface FakeDep {
  attr: string;
  label?: Label;
  provider: Provider;
}

export interface FakeContextOptions {
  rule: RuleDef;
  attrs: AttrValues;
  pkg?: string;
  name?: string;
  config?: Configuration;
  deps?: FakeDep[];
  outDir: string;
  workspaceRoot: string;
  stamp?: StampInfo;
  log?: Logger;
}

function unused(what: string): never {
  throw new Error(`test: ${what} is not available in a fake build context`);
}

export function fakeBuildContext(o: FakeContextOptions): BuildContext {
  const pkg = o.pkg ?? 'pkg';
  const deps = o.deps ?? [];
  return {
    target: { label: new Label('', pkg, o.name ?? 'target'), kind: o.rule.kind, origin: 'test', attrs: new Map(), pos: { file: `${pkg}/BUILD.bazel`, line: 1, column: 1 } },
    config: o.config ?? HOST_CONFIG,
    attrs: o.attrs,
    deps: (attr) => deps.filter((d) => d.attr === attr).map((d) => d.provider),
    dep: (label) => {
      const d = deps.find((x) => x.label?.equals(label));
      if (!d) throw new Error(`internal: ${label} is not a dependency`);
      return d.provider;
    },
    files: (attr) => deps.filter((d) => d.attr === attr).flatMap((d) => d.provider.files),
    outDir: async () => {
      await mkdir(o.outDir, { recursive: true });
      return o.outDir;
    },
    outShortPath: (n) => (pkg === '' ? n : `${pkg}/${n}`),
    workspaceRoot: o.workspaceRoot,
    outRoot: o.outDir,
    get store(): BuildContext['store'] {
      return unused('the blob store');
    },
    goToolchain: async () => unused('the Go toolchain'),
    get goBuilds(): BuildContext['goBuilds'] {
      return unused('the Go build queue');
    },
    get registries(): BuildContext['registries'] {
      return unused('the registry pool');
    },
    log: o.log ?? { info: () => {}, warning: () => {} },
    env: {},
    stamp: o.stamp ?? { enabled: false, values: async () => ({}) },
    metadata: NO_METADATA,
    layerCompression: DEFAULT_LAYER_COMPRESSION,
    compilationMode: 'fastbuild',
  };
}
