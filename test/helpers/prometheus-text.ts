// A strict reader of Prometheus's text exposition format (0.0.4) for tests: every sample must
// belong to a family declared by `# TYPE`, with the suffixes its type allows, and parse cleanly.

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_count`, … for histograms). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const suffixes: Record<Family['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** Parses `text`; throws on any line that is not valid exposition format. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string];
      const family = families.get(name) ?? { name, type: 'untyped' as const, help: '', samples: [] };
      if (kind === 'HELP') family.help = rest;
      else if (rest in suffixes) family.type = rest as Family['type'];
      else throw new SyntaxError(`line ${index + 1}: unknown type ${rest}`);
      families.set(name, family);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line, index + 1);
    const family = [...families.values()].find((f) => suffixes[f.type].some((suffix) => f.name + suffix === sample.name));
    if (family === undefined) throw new SyntaxError(`line ${index + 1}: sample ${sample.name} has no # TYPE`);
    family.samples.push(sample);
  }
  return families;
}

function parseSample(line: string, lineNumber: number): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(line);
  if (!match) throw new SyntaxError(`line ${lineNumber}: not a sample: ${line}`);
  const [, name, labelText = '', valueText] = match as unknown as [string, string, string | undefined, string];
  const labels: Record<string, string> = {};
  const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
  while (labelPattern.lastIndex < labelText.length) {
    const label = labelPattern.exec(labelText);
    if (!label) throw new SyntaxError(`line ${lineNumber}: bad labels: ${labelText}`);
    labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
  if (Number.isNaN(value) && valueText !== 'NaN') throw new SyntaxError(`line ${lineNumber}: bad value ${valueText}`);
  return { name, labels, value };
}

/** The value of the one sample named `name` (default: the family's own) whose labels include `labels`. */
export function sampleValue(families: Map<string, Family>, family: string, labels: Record<string, string>, name = family): number | undefined {
  const matches = (families.get(family)?.samples ?? []).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}
