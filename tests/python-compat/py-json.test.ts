/**
 * src/python-compat/py-json.ts against Python's own json module, run here: `json.dumps(json.loads(text),
 * ensure_ascii=False, indent=4)` must come out byte for byte the same, for documents where JavaScript's
 * JSON differs (member order, floats, big integers, duplicate keys, escapes, nesting).
 */
import { expect, test } from "bun:test";
import { parsePyJson, pyFloatRepr, pyJsonDumps } from "../../src/python-compat/py-json.ts";

const DOCS = [
  '{"b":1,"2":2.0,"1":3,"c":1e3}',
  '{"title":"Kronika české země","pages":[1,2.5,-0,-0.0,1E-7,0.0001,0.00001,1e15,1e16,123456789012345678901234567890],"x":{}}',
  '[{"a":[],"b":{"c":[true,false,null]}},"tab\\there \\"quoted\\" back\\\\slash \\u0001 \\u00e9 \\ud83d\\ude00",3.14159]',
  '{"dup":1,"other":2,"dup":3}',
  '"just a string"',
  "42",
  "1.5e300",
  '{"nested":{"deeper":{"deepest":[1,[2,[3,{}]]]}}}',
  '{"f":[0.1,0.2,1.0,100.0,1e22,5e-324,1.7976931348623157e308,2.5e-5,123.456e2]}',
];

test("the same text as Python's json.dumps(json.loads(x), ensure_ascii=False, indent=4)", () => {
  const script =
    "import sys, json\nprint(json.dumps([json.dumps(json.loads(d), ensure_ascii=False, indent=4) for d in json.loads(sys.stdin.read())]))";
  const py = Bun.spawnSync(["python3", "-c", script], { stdin: Buffer.from(JSON.stringify(DOCS)), stderr: "pipe" });
  expect(py.stderr.toString()).toBe("");
  const expected: string[] = JSON.parse(py.stdout.toString());
  const ours = DOCS.map((d) => pyJsonDumps(parsePyJson(d)));
  for (let i = 0; i < DOCS.length; i++) expect([DOCS[i], ours[i]]).toEqual([DOCS[i], expected[i]]);
  expect(expected[0]).toBe('{\n    "b": 1,\n    "2": 2.0,\n    "1": 3,\n    "c": 1000.0\n}');
});

test("float repr of many random doubles equals Python's repr", () => {
  const xs: number[] = [];
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 300; i++) xs.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20));
  const py = Bun.spawnSync(
    ["python3", "-c", "import sys, json\nprint(json.dumps([repr(float(x)) for x in json.loads(sys.stdin.read())]))"],
    { stdin: Buffer.from(JSON.stringify(xs)) },
  );
  expect(xs.map(pyFloatRepr)).toEqual(JSON.parse(py.stdout.toString()));
});
