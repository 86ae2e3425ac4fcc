#!/usr/bin/env node
import module from 'node:module';
if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(
    'oci-build: Node ' + process.versions.node + ' is too old: oci-build needs Node 24 or newer. ' +
    'Install Node 24 (https://nodejs.org/), or in a checkout of oci-build-action run "npm ci" once and then ' +
    '"npx oci-build ...", which runs it with the Node 24 that npm installed.\n',
  );
  process.exit(1);
}
module.enableCompileCache?.();
await import('./cli-main.js');
