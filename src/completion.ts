/**
 * Shell completion in cobra's protocol, which kubectl's own bash and zsh completion pass through to
 * plugins (kubectl ≥ 1.26 runs `kubectl_complete-trigger_gateway` on PATH): one candidate per line,
 * `name<TAB>description`, then `:<directive>`. Pure: it works from the command manifest; what needs
 * the cluster (route paths, contexts) is asked for in `dynamic`, and filled in by the command.
 */

export interface FlagSpec {
  name: string;
  char?: string | undefined;
  type: 'boolean' | 'option';
  summary?: string | undefined;
  options?: readonly string[] | undefined;
  hidden?: boolean | undefined;
}

export interface CommandSpec {
  id: string;
  summary?: string | undefined;
  hidden?: boolean | undefined;
  flags: FlagSpec[];
  args: string[];
}

/** cobra's ShellCompDirective values. */
export const Directive = { default: 0, noSpace: 2, noFileCompletion: 4 } as const;

export type DynamicValues = 'routes' | 'contexts';

export interface Completion {
  candidates: Array<{ value: string; description?: string | undefined }>;
  directive: number;
  /** Candidates that come from the cluster or the kubeconfig, to be added by the caller. */
  dynamic?: DynamicValues;
}

/** Positional arguments whose values are route paths. */
const ROUTE_ARGUMENTS: Record<string, string> = { 'route:remove': 'path', test: 'path' };

const none = (): Completion => ({ candidates: [], directive: Directive.noFileCompletion });

/** What can follow `words` (the last word is the one being completed, maybe empty). */
export function complete(commands: CommandSpec[], words: string[]): Completion {
  const partial = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const visible = commands.filter((command) => !command.hidden);
  const positional = before.filter((word) => !word.startsWith('-'));
  let command: CommandSpec | undefined;
  let used = 0;
  for (let length = positional.length; length > 0 && !command; length--) {
    command = visible.find((candidate) => candidate.id === positional.slice(0, length).join(':'));
    if (command) used = length;
  }
  if (!command) return completeCommandName(visible, positional, partial);

  const previous = before.at(-1);
  const valueOf =
    previous?.startsWith('-') && !previous.includes('=') ? flagNamed(command, previous) : undefined;
  if (valueOf?.type === 'option') return completeFlagValue(valueOf, partial);
  if (partial.startsWith('-')) return completeFlagName(command, partial);

  const argumentIndex = countArguments(command, before) - used;
  const argument = command.args[argumentIndex];
  if (argument !== undefined && ROUTE_ARGUMENTS[command.id] === argument) {
    return { ...none(), dynamic: 'routes' };
  }
  return none();
}

function completeCommandName(commands: CommandSpec[], typed: string[], partial: string): Completion {
  const prefix = typed.length ? `${typed.join(':')}:` : '';
  const next = new Map<string, string | undefined>();
  for (const command of commands) {
    if (!command.id.startsWith(prefix)) continue;
    const rest = command.id.slice(prefix.length).split(':');
    const word = rest[0] ?? '';
    if (!word.startsWith(partial)) continue;
    if (!next.has(word)) next.set(word, rest.length === 1 ? command.summary : undefined);
  }
  return {
    candidates: [...next]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([value, description]) => ({ value, description })),
    directive: Directive.noFileCompletion,
  };
}

function flagNamed(command: CommandSpec, word: string): FlagSpec | undefined {
  if (word.startsWith('--')) return command.flags.find((flag) => flag.name === word.slice(2));
  return command.flags.find((flag) => flag.char !== undefined && flag.char === word.slice(1));
}

function completeFlagName(command: CommandSpec, partial: string): Completion {
  const candidates = command.flags
    .filter((flag) => !flag.hidden)
    .flatMap((flag) => {
      const long = `--${flag.name}`;
      const short = flag.char ? [`-${flag.char}`] : [];
      return [long, ...short]
        .filter((name) => name.startsWith(partial))
        .map((value) => ({ value, description: flag.summary }));
    });
  return { candidates, directive: Directive.noFileCompletion };
}

function completeFlagValue(flag: FlagSpec, partial: string): Completion {
  if (flag.options) {
    return {
      candidates: flag.options.filter((option) => option.startsWith(partial)).map((value) => ({ value })),
      directive: Directive.noFileCompletion,
    };
  }
  if (flag.name === 'context') return { ...none(), dynamic: 'contexts' };
  // Files: --kubeconfig, --payload; let the shell complete paths.
  if (flag.name === 'kubeconfig' || flag.name === 'payload')
    return { candidates: [], directive: Directive.default };
  return none();
}

/** Positional words typed so far, flags and their values left out. */
function countArguments(command: CommandSpec, before: string[]): number {
  let count = 0;
  for (let index = 0; index < before.length; index++) {
    const word = before[index] ?? '';
    if (word.startsWith('-')) {
      const flag = flagNamed(command, word.split('=')[0] ?? word);
      if (flag?.type === 'option' && !word.includes('=')) index++;
      continue;
    }
    count++;
  }
  return count;
}

/** The lines cobra's protocol expects. */
export function formatCompletion(completion: Completion): string {
  const lines = completion.candidates.map((candidate) =>
    candidate.description ? `${candidate.value}\t${candidate.description}` : candidate.value,
  );
  return `${[...lines, `:${completion.directive}`].join('\n')}\n`;
}
