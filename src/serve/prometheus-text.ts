// The Prometheus text exposition format (version 0.0.4): HELP and TYPE once per family, escaped label values,
// families in the order they were declared. Only gauges: every value here is a state, not a count we keep.

export type Labels = Readonly<Record<string, string | number>>;

interface Family {
  readonly help: string;
  readonly samples: Array<{ labels: Labels; value: number }>;
}

export class MetricsText {
  readonly #families = new Map<string, Family>();

  /** Declares a family (so it shows HELP/TYPE even without samples) and adds a sample when value is a number. */
  gauge(name: string, help: string, labels: Labels = {}, value?: number | null): this {
    let f = this.#families.get(name);
    if (!f) {
      f = { help, samples: [] };
      this.#families.set(name, f);
    }
    if (typeof value === 'number' && Number.isFinite(value)) f.samples.push({ labels, value });
    return this;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.#families) {
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} gauge`);
      for (const s of f.samples) out.push(`${name}${labelText(s.labels)} ${numberText(s.value)}`);
    }
    return `${out.join('\n')}\n`;
  }
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function numberText(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}
