import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorOf, evaluate, show } from './helpers.ts';

describe('string methods', () => {
  it('changes case', () => {
    assert.equal(show('["hello WORLD".capitalize(), "Ab".lower(), "Ab".upper(), "hello big-world x1y".title()]'),
      '["Hello world", "ab", "AB", "Hello Big-World X1Y"]');
  });

  it('classifies characters', () => {
    assert.equal(show('["ab1".isalnum(), "ab-".isalnum(), "abc".isalpha(), "a1".isalpha(), "123".isdigit(), "".isdigit()]'),
      '[True, False, True, False, True, False]');
    assert.equal(show('["ab1".islower(), "aB".islower(), "AB1".isupper(), "123".isupper(), " \\t\\n".isspace(), "".isspace()]'),
      '[True, False, True, False, True, False]');
  });

  it('finds substrings', () => {
    assert.equal(show('["banana".count("a"), "banana".count("an", 2), "banana".count("")]'), '[3, 1, 7]');
    assert.equal(show('["banana".find("an"), "banana".find("an", 2), "banana".find("x"), "banana".rfind("an"), "banana".find("a", -2)]'),
      '[1, 3, -1, 3, 5]');
    assert.equal(show('["banana".index("n"), "banana".rindex("n"), "banana".find("an", 0, 2)]'), '[2, 4, -1]');
    assert.equal(errorOf('x = "abc".index("z")'), 'BUILD.bazel:1:16: index: substring not found');
    assert.equal(errorOf('x = "abc".rindex("z")'), 'BUILD.bazel:1:17: rindex: substring not found');
  });

  it('tests prefixes and suffixes, with tuples and ranges', () => {
    assert.equal(show('["main.go".endswith(".go"), "main.go".endswith((".c", ".go")), "main.go".startswith("ma"), "main.go".startswith(("x", "y"))]'),
      '[True, True, True, False]');
    assert.equal(show('["abcdef".startswith("cd", 2), "abcdef".endswith("cd", 0, 4)]'), '[True, True]');
    assert.equal(errorOf('x = "a".startswith(1)'), 'BUILD.bazel:1:19: startswith() argument must be a string or a tuple of strings, not "int"');
  });

  it('joins, splits and partitions', () => {
    assert.equal(show('", ".join(["a", "b", "c"])'), '"a, b, c"');
    assert.equal(show('"-".join(("x",))'), '"x"');
    assert.equal(show('"".join({"k": 1, "v": 2})'), '"kv"');
    assert.equal(errorOf('x = ",".join(["a", 1])'), 'BUILD.bazel:1:13: join: element 1 has type "int", want "string"');
    assert.equal(show('"a,b,,c".split(",")'), '["a", "b", "", "c"]');
    assert.equal(show('"a,b,c".split(",", 1)'), '["a", "b,c"]');
    assert.equal(show('"a,b,c".rsplit(",", 1)'), '["a,b", "c"]');
    assert.equal(show('"  a  b\\tc\\n ".split()'), '["a", "b", "c"]');
    assert.equal(show('"  a  b  c ".split(None, 1)'), '["a", "b  c "]');
    assert.equal(show('"  a  b  c ".rsplit(None, 1)'), '["  a  b", "c"]');
    assert.equal(show('"".split()'), '[]');
    assert.equal(errorOf('x = "a".split("")'), 'BUILD.bazel:1:14: split: empty separator');
    assert.equal(show('"a\\nb\\r\\nc\\rd\\n".splitlines()'), '["a", "b", "c", "d"]');
    assert.equal(show('"a\\nb\\r\\n".splitlines(True)'), '["a\\n", "b\\r\\n"]');
    assert.equal(show('["k=v=w".partition("="), "k=v=w".rpartition("="), "kv".partition("="), "kv".rpartition("=")]'),
      '[("k", "=", "v=w"), ("k=v", "=", "w"), ("kv", "", ""), ("", "", "kv")]');
    assert.equal(show('"abc".elems()'), '["a", "b", "c"]');
  });

  it('strips, replaces and removes affixes', () => {
    assert.equal(show('["  x  ".strip(), "  x  ".lstrip(), "  x  ".rstrip(), "xxaxx".strip("x"), "abcba".lstrip("ab")]'),
      '["x", "x  ", "  x", "a", "cba"]');
    assert.equal(show('["a.b.c".replace(".", "/"), "a.b.c".replace(".", "/", 1), "ab".replace("", "-"), "aaa".replace("a", "b", 0)]'),
      '["a/b/c", "a/b.c", "-a-b-", "aaa"]');
    assert.equal(show('["lib_foo".removeprefix("lib_"), "foo.go".removesuffix(".go"), "x".removeprefix("y"), "x".removesuffix("")]'),
      '["foo", "foo", "x", "x"]');
  });

  it('reports bad method arguments and unknown methods', () => {
    assert.equal(errorOf('x = "a".upper(1)'), 'BUILD.bazel:1:14: upper() does not accept positional arguments, but got 1');
    assert.equal(errorOf('x = "a".replace("a")'), 'BUILD.bazel:1:16: replace() missing mandatory argument "new"');
    assert.equal(errorOf('x = "a".replace("a", 1)'), 'BUILD.bazel:1:16: replace() argument "new": got value of type "int", want "string"');
    assert.equal(errorOf('x = "a".nope()'), 'BUILD.bazel:1:9: value of type "string" has no field or method "nope"');
  });
});

describe('string formatting', () => {
  it('formats with %', () => {
    assert.equal(evaluate('"%s-%d" % ("a", 3)'), 'a-3');
    assert.equal(evaluate('"%s" % "solo"'), 'solo');
    assert.equal(evaluate('"%s" % [1, "x"]'), '[1, "x"]');
    assert.equal(evaluate('"%r|%s" % ("q", None)'), '"q"|None');
    assert.equal(evaluate('"100%%"  % ()'), '100%');
    assert.equal(evaluate('"%x %X %o %i %c%c" % (255, 255, 8, -3, 65, "b")'), 'ff FF 10 -3 Ab');
    assert.equal(evaluate('"%(name)s is %(age)d" % {"name": "bob", "age": 4}'), 'bob is 4');
    assert.equal(evaluate('"%s" % ((1, 2),)'), '(1, 2)');
  });

  it('reports % formatting errors', () => {
    assert.equal(errorOf('x = "%s %s" % ("a",)'), 'BUILD.bazel:1:13: not enough arguments for format string');
    assert.equal(errorOf('x = "%s" % ("a", "b")'), 'BUILD.bazel:1:10: too many arguments for format string');
    assert.equal(errorOf('x = "%d" % "a"'), 'BUILD.bazel:1:10: %d format requires an int, not "string"');
    assert.equal(errorOf('x = "%z" % 1'), 'BUILD.bazel:1:10: unsupported format character "z"');
    assert.equal(errorOf('x = "abc%" % 1'), 'BUILD.bazel:1:12: incomplete format');
    assert.equal(errorOf('x = "%(k)s" % {}'), 'BUILD.bazel:1:13: format: key "k" not found');
  });

  it('formats with str.format', () => {
    assert.equal(evaluate('"{} and {}".format("a", 1)'), 'a and 1');
    assert.equal(evaluate('"{1}{0}{1}".format("a", "b")'), 'bab');
    assert.equal(evaluate('"{name}-{v}".format(name = "x", v = [1])'), 'x-[1]');
    assert.equal(evaluate('"{{literal}} {}".format(2)'), '{literal} 2');
    assert.equal(evaluate('"{!r} {!s}".format("q", "q")'), '"q" q');
  });

  it('reports str.format errors', () => {
    assert.equal(errorOf('x = "{} {0}".format(1)'), 'BUILD.bazel:1:20: format: cannot switch from automatic field numbering to manual field numbering');
    assert.equal(errorOf('x = "{}{}".format(1)'), 'BUILD.bazel:1:18: format: index 1 out of range');
    assert.equal(errorOf('x = "{nope}".format()'), 'BUILD.bazel:1:20: format: keyword "nope" not found');
    assert.equal(errorOf('x = "{:>4}".format(1)'), 'BUILD.bazel:1:19: format: format specifications are not supported');
    assert.equal(errorOf('x = "a}".format()'), "BUILD.bazel:1:16: format: single '}' in format string");
    assert.equal(errorOf('x = "{a".format()'), "BUILD.bazel:1:16: format: unmatched '{' in format string");
  });
});
