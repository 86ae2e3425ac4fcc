import { parseArgs } from 'node:util';
import { runPipeline, type PipelineOptions } from './pipeline.ts';
import { verifyReproducible } from './verify.ts';
import { describeError } from './errors.ts';
import { parseAnnotations, parseByteCount, parseCompilationMode, parseCompression, parseKeyValues, parsePlatforms } from './util/parse.ts';
import type { MetadataOverrides } from './rules/rule.ts';
import { setDebugSink } from './util/debug.ts';

const USAGE = `usage: oci-build <command> [options] <target>...

commands:
  build   build the targets (images become OCI layouts under the output directory)
  run     build, then run the named oci_load / oci_push targets (load into Docker, push to a
          registry), like \`bazel run\`

options:
  -C, --directory DIR   start in DIR (inside the Bazel workspace); default: current directory
  -o, --output DIR      output directory; default: <workspace>/.oci-build
  -p, --platform P      build images for platform P (repeatable, or comma-separated) into an index
  --repository R        push to repository R (registry/path) instead of the rule's
  -t, --tag T           tag to push (repeatable; replaces the rule's remote_tags)
  --insecure-registry H allow plain HTTP / unverified TLS for registry host H (loopback always is)
  --chunk-size N        upload blobs in chunks of N bytes (e.g. 5MiB) instead of one PUT
  --stamp               stamp targets with stamp = -1 (git commit, tag, time), like bazel --stamp
                        (default: as the workspace's .bazelrc says; --nostamp: off)
  --config NAME         apply the .bazelrc's build:NAME lines, like bazel --config (repeatable)
  --label K=V           add a label to every image config (repeatable)
  --annotation [index:|manifest:]K=V   add an annotation to every manifest or index (repeatable)
  -c, --compilation-mode M  fastbuild (default: Go binaries linked with -s -w, as rules_go does
                        under bazel's defaults), opt (symbols kept) or dbg (also -N -l)
  --compression C       compress layers given as uncompressed tars with C: gzip (default), zstd,
                        or none (as they are, like rules_oci)
  --compression-level N gzip 0-9 (default 1) or zstd 1-19 (default 3)
  --no-sbom             no SPDX SBOM in the layouts and no SBOM referrer pushed
  --verify-reproducible first build the targets twice (separate stores, fresh Go build cache) and
                        fail, naming each differing blob, if any digest differs
  -v, --verbose         debug lines on stderr: each registry request (method, URL, status, time),
                        each command run, cache keys, go builds and blobs skipped or mounted
  -h, --help            show this help

targets: //pkg:name, :name (relative to -C), //pkg/..., //... ; e.g.
  oci-build run -C examples/monorepo //apps/hello_world:image_amd64_load`;

function metadataFrom(labels: string[], annotations: string[]): MetadataOverrides {
  const a = parseAnnotations(annotations.join('\n'));
  return { labels: parseKeyValues('--label', labels.join('\n')), manifestAnnotations: a.manifest, indexAnnotations: a.index };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      directory: { type: 'string', short: 'C' },
      output: { type: 'string', short: 'o' },
      platform: { type: 'string', short: 'p', multiple: true },
      repository: { type: 'string' },
      tag: { type: 'string', short: 't', multiple: true },
      'insecure-registry': { type: 'string', multiple: true },
      'chunk-size': { type: 'string' },
      stamp: { type: 'boolean' },
      nostamp: { type: 'boolean' },
      config: { type: 'string', multiple: true },
      label: { type: 'string', multiple: true },
      annotation: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
      'no-sbom': { type: 'boolean' },
      compression: { type: 'string' },
      'compilation-mode': { type: 'string', short: 'c' },
      'compression-level': { type: 'string' },
      'verify-reproducible': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
    },
  });
  if (values.verbose) setDebugSink((m) => process.stderr.write(`debug: ${m}\n`));
  const [command, ...targets] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== 'build' && command !== 'run') {
    process.stderr.write(`oci-build: ${command ? `unknown command "${command}"` : 'missing command'}\n${USAGE}\n`);
    return 2;
  }
  if (values.stamp && values.nostamp) {
    process.stderr.write('oci-build: --stamp and --nostamp exclude each other\n');
    return 2;
  }
  if (targets.length === 0) {
    process.stderr.write(`oci-build: no targets given\n${USAGE}\n`);
    return 2;
  }
  const started = performance.now();
  const pipelineOptions: PipelineOptions = {
    cwd: values.directory ?? process.cwd(),
    targets,
    outputDir: values.output,
    load: command === 'run',
    push: command === 'run',
    platforms: parsePlatforms((values.platform ?? []).join(',')),
    repository: values.repository,
    tags: values.tag ?? [],
    pushOptionNames: '--repository and -t',
    insecureRegistries: values['insecure-registry'] ?? [],
    chunkSize: parseByteCount('--chunk-size', values['chunk-size'] ?? ''),
    stamp: values.nostamp ? false : values.stamp,
    configs: values.config ?? [],
    metadata: metadataFrom(values.label ?? [], values.annotation ?? []),
    log: {
      info: (m) => process.stderr.write(`${m}\n`),
      warning: (m) => process.stderr.write(`warning: ${m}\n`),
    },
    // On a terminal, a live status line; in logs, a heartbeat line every 10 s.
    status: process.stderr.isTTY ? (line) => process.stderr.write(`\r\x1b[K${line}`) : undefined,
    group: async (name, fn) => {
      process.stderr.write(`> ${name}\n`);
      return fn();
    },
    sbom: !values['no-sbom'],
    compilationMode: values['compilation-mode'] === undefined ? undefined : parseCompilationMode('--compilation-mode', values['compilation-mode']),
    layerCompression: parseCompression('--compression', values.compression ?? '', '--compression-level', values['compression-level'] ?? ''),
  };
  if (values['verify-reproducible']) await verifyReproducible(pipelineOptions);
  const result = await runPipeline(pipelineOptions);
  for (const r of result.reports) {
    const parts = [r.label, r.kind, r.action];
    if (r.digest) parts.push(r.digest);
    if (r.platforms.length) parts.push(r.platforms.join(','));
    if (r.tags.length) parts.push(r.tags.join(','));
    if (r.references.length) parts.push(r.references.join(','));
    if (r.layout) parts.push(r.layout);
    process.stdout.write(`${parts.join('  ')}\n`);
  }
  process.stderr.write(`done in ${((performance.now() - started) / 1000).toFixed(2)}s\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`oci-build: error: ${describeError(err)}\n`);
    process.exitCode = 1;
  },
);
