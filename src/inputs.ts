import * as core from '@actions/core';

/** The action's inputs, typed and parsed in one place. */
export interface Inputs {
  targets: string[];
  workingDirectory: string;
  outputDir: string;
  load: boolean;
}

/** Splits a multi-line or space-separated input into items, dropping blanks and `#` comments. */
export function parseList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, ''))
    .flatMap((line) => line.split(/\s+/))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parseBool(name: string, text: string, def: boolean): boolean {
  const v = text.trim().toLowerCase();
  if (v === '') return def;
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new Error(`input "${name}": expected true or false, got "${text}"`);
}

export function getInputs(): Inputs {
  const targets = parseList(core.getInput('targets'));
  if (targets.length === 0) throw new Error('input "targets" is required: name at least one BUILD target, e.g. //apps/app:image_load');
  return {
    targets,
    workingDirectory: core.getInput('working-directory') || '.',
    outputDir: core.getInput('output-dir'),
    load: parseBool('load', core.getInput('load'), true),
  };
}
