// The first file Node runs for the action (dist/index.js) and the CLI (dist/cli.js). Written in
// syntax every Node since 12 parses, so it can say which Node it needs instead of crashing.

export const MINIMUM_NODE_MAJOR = 24;

/**
 * The launcher's source: checks the Node version, then imports `main` (a path relative to it).
 * The CLI launcher also turns on Node's on-disk compile cache before loading the 2 MB bundle:
 * every start after the first skips parsing and compiling it (about 15-25 ms of a 100 ms start).
 * @param {'action' | 'cli'} kind
 * @param {string} main
 */
export function launcher(kind, main) {
  const advice =
    kind === 'cli'
      ? `'oci-build: Node ' + process.versions.node + ' is too old: oci-build needs Node ${MINIMUM_NODE_MAJOR} or newer. ' +
    'Install Node ${MINIMUM_NODE_MAJOR} (https://nodejs.org/), or in a checkout of oci-build-action run "npm ci" once and then ' +
    '"npx oci-build ...", which runs it with the Node ${MINIMUM_NODE_MAJOR} that npm installed.\\n'`
      : `'::error title=oci-build-action::This action needs Node ${MINIMUM_NODE_MAJOR} (runs.using: node${MINIMUM_NODE_MAJOR}), but it runs on Node ' + process.versions.node + '. ' +
    'Use a GitHub Actions runner release that supports node${MINIMUM_NODE_MAJOR} actions (hosted runners do), or under act put Node ${MINIMUM_NODE_MAJOR} first on PATH.\\n'`;
  return `${kind === 'cli' ? "#!/usr/bin/env node\nimport module from 'node:module';\n" : ''}if (Number(process.versions.node.split('.')[0]) < ${MINIMUM_NODE_MAJOR}) {
  process.${kind === 'cli' ? 'stderr' : 'stdout'}.write(
    ${advice},
  );
  process.exit(1);
}
${kind === 'cli' ? 'module.enableCompileCache?.();\n' : ''}await import('${main}');
`;
}
