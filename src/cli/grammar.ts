/**
 * Table-driven argument parsing for `keyway` (ARCHITECTURE B8, after
 * ikectl's token tables): each command declares its positionals and flags,
 * and one parser checks every command the same way.
 */

export interface FlagSpec {
  /** long name without dashes, e.g. "socket" */
  readonly name: string;
  /** metavariable shown in usage when the flag takes a value, e.g. "PATH" */
  readonly value?: string;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** required positional arguments, in order */
  readonly positionals: readonly string[];
  readonly flags: readonly FlagSpec[];
}

export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'socket', value: 'PATH', help: 'control socket (default $KEYWAY_SOCKET or /run/keyway/keyway.sock)' },
  { name: 'json', help: 'print the result as JSON (the stable shape in docs/cli.md)' },
  { name: 'help', help: 'show usage' },
];

export interface ParsedArgs {
  readonly command: string;
  readonly positionals: readonly string[];
  /** flag name -> value ("" for boolean flags) */
  readonly flags: ReadonlyMap<string, string>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses `argv` (without node and script) against the command table.
 * Accepts `--flag value`, `--flag=value` and flags before or after positionals.
 * Throws UsageError (exit code 2) on anything it does not understand.
 */
export function parseArgv(argv: readonly string[], table: readonly CommandSpec[]): ParsedArgs {
  const flags = new Map<string, string>();
  const positionals: string[] = [];
  let spec: CommandSpec | undefined;
  const known = (name: string): FlagSpec | undefined =>
    GLOBAL_FLAGS.find((f) => f.name === name) ?? spec?.flags.find((f) => f.name === name);

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i] ?? '';
    if (tok === '-h') {
      flags.set('help', '');
      continue;
    }
    if (tok.startsWith('--') && tok.length > 2) {
      const eq = tok.indexOf('=');
      const name = eq === -1 ? tok.slice(2) : tok.slice(2, eq);
      const f = known(name);
      if (f === undefined) throw new UsageError(`unknown option --${name}${spec ? ` for "${spec.name}"` : ''}`);
      if (flags.has(name)) throw new UsageError(`--${name} given twice`);
      if (f.value === undefined) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`);
        flags.set(name, '');
      } else if (eq !== -1) {
        flags.set(name, tok.slice(eq + 1));
      } else {
        const v = argv[i + 1];
        if (v === undefined) throw new UsageError(`--${name} needs a value (${f.value})`);
        flags.set(name, v);
        i++;
      }
      continue;
    }
    if (tok.startsWith('-') && tok !== '-') throw new UsageError(`unknown option ${tok}`);
    if (spec === undefined) {
      spec = table.find((c) => c.name === tok);
      if (spec === undefined) throw new UsageError(`unknown command "${tok}"`);
      continue;
    }
    positionals.push(tok);
  }
  if (spec === undefined) {
    if (flags.has('help')) return { command: 'help', positionals: [], flags };
    throw new UsageError('no command given');
  }
  if (!flags.has('help')) {
    if (positionals.length < spec.positionals.length) {
      throw new UsageError(`"${spec.name}" needs ${spec.positionals.join(' ')}`);
    }
    if (positionals.length > spec.positionals.length) {
      throw new UsageError(`unexpected argument "${positionals[spec.positionals.length] ?? ''}"`);
    }
  }
  return { command: spec.name, positionals, flags };
}

function flagUsage(f: FlagSpec): string {
  return f.value === undefined ? `--${f.name}` : `--${f.name} ${f.value}`;
}

/** Usage text generated from the same table the parser uses. */
export function usage(table: readonly CommandSpec[], only?: string): string {
  const cmds = only === undefined ? table : table.filter((c) => c.name === only);
  const lines = ['usage: keyway <command> [options]', '', 'commands:'];
  for (const c of cmds) {
    const synopsis = [c.name, ...c.positionals, ...c.flags.map((f) => `[${flagUsage(f)}]`)].join(' ');
    lines.push(`  ${synopsis}`, `      ${c.summary}`);
    for (const f of c.flags) lines.push(`      ${flagUsage(f).padEnd(22)} ${f.help}`);
  }
  lines.push('', 'global options:');
  for (const f of GLOBAL_FLAGS) lines.push(`  ${flagUsage(f).padEnd(16)} ${f.help}`);
  return `${lines.join('\n')}\n`;
}
