// The .go header scanner: where the part go/build reads ends (after the last import declaration,
// whatever comments, strings and line endings come before), which //go:embed lines it collects,
// and that it gives up on what it does not understand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanGoHeader } from '../../src/go/go_header.ts';
import { runCommand } from '../helpers/run.ts';

/** The header of `src` as text, or undefined. */
function header(src: string | Buffer): string | undefined {
  return scanGoHeader(Buffer.isBuffer(src) ? src : Buffer.from(src))?.header.toString('utf8');
}

test('the header ends after the last import declaration', () => {
  assert.equal(header('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println() }\n'), 'package main\n\nimport "fmt"');
  assert.equal(header('package lib\n\nconst X = 1\n'), 'package lib', 'no imports: the package clause');
  assert.equal(header('package main; import "fmt"; import "os"; func main() {}'), 'package main; import "fmt"; import "os"');
  const grouped = 'package main\n\nimport (\n\t"fmt"\n\n\tf "os"\n\t. "io"\n\t_ "embed"\n)\n\nimport "strings"';
  assert.equal(header(`${grouped}\n\n// main is the doc comment of a declaration, not the header.\nfunc main() {}\n`), grouped);
  assert.equal(header('package main\nimport ()\nvar x = 1\n'), 'package main\nimport ()', 'an empty group');
  assert.equal(header('package main\nimport "fmt" // trailing comment\nvar x = 1\n'), 'package main\nimport "fmt"');
  assert.equal(header('package main\n\nimportant := 1\n'), 'package main', 'an identifier that starts with import is not import');
  assert.equal(header('package café\n\nimport "fmt"\n'), 'package café\n\nimport "fmt"', 'a non-ASCII package name');
});

test('comments and strings that look like imports do not move the boundary', () => {
  const src = [
    '// Package main: import "nothing" here; package x',
    '//go:build linux && !race',
    '// +build linux,!race',
    '',
    '/* import "also not" */ package /* import */ main // import "vanity/path"',
    '',
    'import (',
    '\t// import "commented out"',
    '\t"fmt" /* ) import "x" */',
    '\traw `path/with"quote`',
    '\t"esc\\"aped"',
    ')',
  ].join('\n');
  assert.equal(header(`${src}\n\nvar s = \`\nimport "in a raw string"\n\`\n`), src);
  assert.equal(header(`${src}\n/* import "x" */\nfunc f() {}\n`), src);
});

test('the cgo preamble before import "C" is part of the header', () => {
  const src = 'package main\n\n/*\n#cgo LDFLAGS: -lm\n#include <math.h>\n// import "not go"\n*/\nimport "C"\n\nimport "unsafe"';
  assert.equal(header(`${src}\n\nvar _ = unsafe.Sizeof(0)\n`), src);
});

test('a byte order mark and CRLF line endings are kept as bytes', () => {
  const crlf = '\ufeffpackage main\r\n\r\nimport (\r\n\t"fmt"\r\n)';
  const h = scanGoHeader(Buffer.from(`${crlf}\r\n\r\nfunc main() { fmt.Println() }\r\n`));
  assert.ok(h);
  assert.deepEqual([...h.header.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.equal(h.header.toString('utf8'), crlf);
  assert.equal(header('\ufeffpackage main\nimport "os"\n'), '\ufeffpackage main\nimport "os"');
});

test('//go:embed lines anywhere in the file, sorted and unique', () => {
  const h = scanGoHeader(Buffer.from('package main\n\nimport _ "embed"\n\n//go:embed b.txt\nvar b string\n\nfunc f() {\n\t//go:embed  a/*  \r\n}\n\n//go:embed b.txt\nvar c string\n'));
  assert.ok(h);
  assert.equal(h.header.toString(), 'package main\n\nimport _ "embed"');
  assert.deepEqual(h.embeds, ['//go:embed  a/*', '//go:embed b.txt']);
  assert.deepEqual(scanGoHeader(Buffer.from('package main\n'))?.embeds, []);
});

test('what the scanner does not understand gives no header', () => {
  assert.equal(header(''), undefined, 'empty');
  assert.equal(header('// just a comment\n'), undefined, 'no package clause');
  assert.equal(header('func main() {}\n'), undefined, 'no package clause');
  assert.equal(header('package main\n/* open\nimport "fmt"\n'), undefined, 'an unterminated comment');
  assert.equal(header('package main\nimport "fmt\n"\n'), undefined, 'a newline in an interpreted string');
  assert.equal(header('package main\nimport `fmt\n'), undefined, 'an unterminated raw string');
  assert.equal(header('package main\nimport (\n\t"fmt"\n'), undefined, 'an unclosed group');
  assert.equal(header('package main\nimport (\n\t1 "fmt"\n)\n'), undefined, 'a name that is no identifier');
  assert.equal(header('package main\nimport fmt\n'), undefined, 'no path');
  assert.equal(header(Buffer.from('package main\n\nvar x = "\0"\n', 'latin1')), undefined, 'a NUL byte (go/build rejects it)');
});

// Go's own parser, on the whole file and on the header alone: the same package name and imports.
const CHECK_GO = `package main

import (
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"reflect"
)

func parse(src []byte) (string, []string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return "", nil, err
	}
	var out []string
	for _, i := range f.Imports {
		name := ""
		if i.Name != nil {
			name = i.Name.Name
		}
		out = append(out, name+" "+i.Path.Value)
	}
	return f.Name.Name, out, nil
}

func main() {
	var list []struct {
		Path string
		Len  int
	}
	b, _ := os.ReadFile(os.Args[1])
	if err := json.Unmarshal(b, &list); err != nil {
		panic(err)
	}
	checked := 0
	for _, e := range list {
		src, _ := os.ReadFile(e.Path)
		p1, i1, err := parse(src)
		if err != nil {
			continue
		}
		checked++
		p2, i2, err := parse(src[:e.Len])
		if err != nil || p1 != p2 || !reflect.DeepEqual(i1, i2) {
			fmt.Println("mismatch", e.Path, err, i1, i2)
		}
	}
	fmt.Println("checked", checked)
}
`;

test('on the standard library, the header alone gives Go\'s parser the same package and imports', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'go-header-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const goroot = (await runCommand('go', ['env', 'GOROOT'])).stdout.trim();
  // Packages with grouped and named imports, cgo preambles (os/user, runtime/cgo, net) and build constraints.
  const list: Array<{ Path: string; Len: number }> = [];
  for (const pkg of ['net/http', 'os/user', 'runtime/cgo', 'net', 'embed', 'syscall']) {
    for (const name of readdirSync(join(goroot, 'src', pkg)).filter((n) => n.endsWith('.go'))) {
      const path = join(goroot, 'src', pkg, name);
      const h = scanGoHeader(readFileSync(path));
      assert.ok(h, `${path} scanned`);
      list.push({ Path: path, Len: h.header.length });
    }
  }
  writeFileSync(join(dir, 'check.go'), CHECK_GO);
  writeFileSync(join(dir, 'list.json'), JSON.stringify(list));
  const r = await runCommand('go', ['run', 'check.go', 'list.json'], { cwd: dir, env: { ...process.env, GOFLAGS: '', GOTOOLCHAIN: 'local', GO111MODULE: 'off' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `checked ${list.length}`, 'no mismatch');
  assert.ok(list.length > 300, `${list.length} files`);
});
