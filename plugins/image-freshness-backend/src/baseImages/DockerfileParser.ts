import {
  DockerfileParser as AstParser,
  From,
  Instruction,
  Keyword,
} from 'dockerfile-ast';
import { parseReference } from 'oci-client';

/** The base of a Dockerfile's final stage. */
export interface DockerfileBase {
  /** The image of the `FROM` the final stage comes down to, ARGs substituted; `scratch` for none. */
  image: string;
  scratch: boolean;
  /** The digest of a digest-pinned `FROM image:tag@sha256:...`. */
  digest?: string;
  /** 1-based line of that `FROM`. */
  line: number;
  /** The `FROM` line as written. */
  text: string;
  /** `--platform` of the final stage (or of the stage it comes from), ARGs substituted where known. */
  platform?: string;
  /** Stage names followed from the final stage to the real image, e.g. `['final', 'build']`. */
  stages: string[];
}

/** A Dockerfile that cannot be read as a build: where and what to fix. */
export class DockerfileError extends Error {
  constructor(
    message: string,
    /** 1-based line, when the problem is on one. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'DockerfileError';
  }
}

const KEYWORDS = new Set<string>(Object.values(Keyword));

/** Variables BuildKit defines for every build, from the target platform. */
function platformArgs(platform: string | undefined): Map<string, string> {
  const args = new Map<string, string>();
  if (!platform) return args;
  const [os, architecture, variant] = platform.split('/');
  args.set('TARGETPLATFORM', platform);
  if (os) args.set('TARGETOS', os);
  if (architecture) args.set('TARGETARCH', architecture);
  args.set('TARGETVARIANT', variant ?? '');
  return args;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
/** Far beyond any real ARG; ARGs that double themselves reach it in a few lines instead of exhausting memory. */
const MAX_EXPANDED_LENGTH = 64 * 1024;
/** Far beyond any real `${A:-${B:-...}}`; deeper nesting is an attack on the parser, not a build. */
const MAX_NESTING = 32;

/**
 * Substitutes `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`,
 * `${NAME:+word}` and `${NAME+word}` as Docker does (words may hold
 * variables themselves; `\$` is a literal dollar): a variable that is unset
 * or has no value becomes empty. Answers the names that did, so an error
 * about the result can point at them.
 */
function substitute(
  text: string,
  vars: Map<string, string | null>,
  line: number,
): { text: string; empty: string[] } {
  const empty: string[] = [];
  const valueOf = (name: string) => {
    const value = vars.get(name);
    return value === undefined || value === null ? undefined : value;
  };
  const checkLength = (out: string) => {
    if (out.length > MAX_EXPANDED_LENGTH) {
      throw new DockerfileError(
        `"${preview(
          text,
        )}" expands to more than ${MAX_EXPANDED_LENGTH} characters; check the ARGs it uses, they repeat themselves`,
        line,
      );
    }
  };
  const expand = (input: string, nesting: number): string => {
    if (nesting > MAX_NESTING) {
      throw new DockerfileError(
        `variables nested more than ${MAX_NESTING} deep in "${preview(
          text,
        )}"; write the default in fewer levels`,
        line,
      );
    }
    let out = '';
    let i = 0;
    while (i < input.length) {
      checkLength(out);
      const char = input[i];
      if (char === '\\' && input[i + 1] === '$') {
        out += '$';
        i += 2;
        continue;
      }
      if (char !== '$') {
        out += char;
        i += 1;
        continue;
      }
      if (input[i + 1] === '{') {
        let j = i + 2;
        while (j < input.length && NAME_CHAR.test(input[j])) j++;
        const name = input.slice(i + 2, j);
        let operator = '';
        if (input.startsWith(':-', j) || input.startsWith(':+', j)) {
          operator = input.slice(j, j + 2);
        } else if (input[j] === '-' || input[j] === '+') {
          operator = input[j];
        }
        let k = j + operator.length;
        let depth = 1;
        const wordStart = k;
        for (; k < input.length; k++) {
          if (input[k] === '{' && input[k - 1] === '$') depth++;
          else if (input[k] === '}' && --depth === 0) break;
        }
        if (depth !== 0) {
          throw new DockerfileError(
            `unclosed variable "${input.slice(i)}"; close it with }`,
            line,
          );
        }
        if (!name || (!operator && k !== j)) {
          throw new DockerfileError(
            `unsupported variable "${input.slice(
              i,
              k + 1,
            )}"; use \${NAME}, \${NAME:-default} or \${NAME:+alternative}`,
            line,
          );
        }
        const value = valueOf(name);
        const word = () => expand(input.slice(wordStart, k), nesting + 1);
        switch (operator) {
          case ':-':
            out += value ? value : word();
            break;
          case '-':
            out += value !== undefined ? value : word();
            break;
          case ':+':
            out += value ? word() : '';
            break;
          case '+':
            out += value !== undefined ? word() : '';
            break;
          default:
            if (value) out += value;
            else empty.push(name);
        }
        i = k + 1;
        continue;
      }
      if (NAME_START.test(input[i + 1] ?? '')) {
        let j = i + 1;
        while (j < input.length && NAME_CHAR.test(input[j])) j++;
        const name = input.slice(i + 1, j);
        const value = valueOf(name);
        if (value) out += value;
        else empty.push(name);
        i = j;
        continue;
      }
      out += char;
      i += 1;
    }
    checkLength(out);
    return out;
  };
  return { text: expand(text, 0), empty };
}

/** The start of a long text, for messages. */
function preview(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function emptyHint(empty: string[]): string {
  return empty.length > 0
    ? ` (${empty
        .map(name => `ARG ${name}`)
        .join(
          ', ',
        )} has no default value before the first FROM; give it one, e.g. ARG ${
        empty[0]
      }=...)`
    : '';
}

interface Stage {
  from: From;
  line: number;
  text: string;
  /** The image or stage name as written (before substitution). */
  image: string;
  /** Lowercase stage name from `AS name`. */
  name?: string;
  platform?: string;
}

function oneLine(instruction: Instruction): string {
  return instruction
    .getTextContent()
    .replace(/\\\r?\n\s*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function readStage(from: From): Stage {
  const line = from.getRange().start.line + 1;
  const args = from.getArguments().map(a => a.getValue());
  if (args.length === 0) {
    throw new DockerfileError(
      'FROM names no image; write FROM image[:tag][@digest] [AS name]',
      line,
    );
  }
  if (args.length === 2 || args.length > 3) {
    throw new DockerfileError(
      `FROM has ${args.length} arguments (${args.join(
        ' ',
      )}); write FROM image[:tag][@digest] [AS name]`,
      line,
    );
  }
  if (args.length === 3 && args[1].toLowerCase() !== 'as') {
    throw new DockerfileError(
      `FROM expects AS before the stage name, not "${args[1]}"; write FROM image AS name`,
      line,
    );
  }
  const platformFlag = from.getPlatformFlag();
  if (platformFlag && !platformFlag.getValue()) {
    throw new DockerfileError(
      'FROM --platform has no value; write --platform=os/arch',
      line,
    );
  }
  return {
    from,
    line,
    text: oneLine(from),
    image: args[0],
    name: args.length === 3 ? args[2].toLowerCase() : undefined,
    platform: platformFlag?.getValue() ?? undefined,
  };
}

/**
 * Finds the base image of a Dockerfile's final stage with dockerfile-ast:
 * global ARG defaults (and BuildKit's TARGET* platform ARGs) substituted into
 * `FROM` lines, stage aliases followed to the real image, `--platform`
 * noted, `scratch` recognised, digest pins kept. Per Docker's rules a `FROM`
 * only sees ARGs declared before the first `FROM`; an ARG redeclared inside a
 * stage applies to that stage's instructions, never to a `FROM`.
 *
 * Throws a {@link DockerfileError} with the line for malformed input: an
 * unknown instruction, anything but ARG before the first FROM, a FROM without
 * an image or with stray arguments, an ARG without a name, an unset or
 * unclosed variable, or an invalid image reference.
 */
export function parseDockerfile(
  content: string,
  options: { platform?: string } = {},
): DockerfileBase {
  const dockerfile = AstParser.parse(content);
  const instructions = dockerfile.getInstructions();
  let seenFrom = false;
  for (const instruction of instructions) {
    const keyword = instruction.getKeyword();
    const line = instruction.getRange().start.line + 1;
    if (!KEYWORDS.has(keyword)) {
      throw new DockerfileError(
        `unknown instruction "${instruction.getInstruction()}"; check its spelling`,
        line,
      );
    }
    if (keyword === Keyword.FROM) {
      seenFrom = true;
    } else if (!seenFrom && keyword !== Keyword.ARG) {
      throw new DockerfileError(
        `${keyword} comes before the first FROM; only ARG may precede FROM`,
        line,
      );
    }
  }
  const froms = dockerfile.getFROMs();
  if (froms.length === 0) {
    throw new DockerfileError(
      'there is no FROM instruction; a Dockerfile needs one',
    );
  }

  const globals = platformArgs(options.platform) as Map<string, string | null>;
  for (const arg of dockerfile.getInitialARGs()) {
    const line = arg.getRange().start.line + 1;
    const properties = arg.getProperties();
    if (properties.length === 0) {
      throw new DockerfileError(
        'ARG names no variable; write ARG NAME[=default]',
        line,
      );
    }
    for (const property of properties) {
      const value = property.getValue();
      globals.set(
        property.getName(),
        value === null
          ? globals.get(property.getName()) ?? null
          : substitute(value, globals, line).text,
      );
    }
  }

  const stages = froms.map(readStage);
  let index = stages.length - 1;
  const followed: string[] = [];
  const platform = stages[index].platform;
  for (;;) {
    const stage = stages[index];
    const { text: image, empty } = substitute(stage.image, globals, stage.line);
    if (!image) {
      throw new DockerfileError(
        `FROM ${stage.image} names no image${emptyHint(empty)}`,
        stage.line,
      );
    }
    const earlier = stages
      .slice(0, index)
      .map((s, i) => ({ s, i }))
      .reverse()
      .find(({ s }) => s.name !== undefined && s.name === image.toLowerCase());
    if (earlier) {
      followed.push(earlier.s.name!);
      index = earlier.i;
      continue;
    }
    const stagePlatform = platform ?? stage.platform;
    // Build-machine ARGs ($BUILDPLATFORM) are unknown here: note those as written.
    const platformText = stagePlatform
      ? substitute(stagePlatform, globals, stage.line)
      : undefined;
    const notedPlatform =
      platformText && platformText.empty.length === 0
        ? platformText.text
        : stagePlatform;
    if (image.toLowerCase() === 'scratch') {
      return {
        image: 'scratch',
        scratch: true,
        line: stage.line,
        text: stage.text,
        platform: notedPlatform,
        stages: followed,
      };
    }
    let digest: string | undefined;
    try {
      digest = parseReference(image).digest;
    } catch (error) {
      throw new DockerfileError(
        `FROM ${image}: ${(error as Error).message}${emptyHint(empty)}`,
        stage.line,
      );
    }
    return {
      image,
      scratch: false,
      digest,
      line: stage.line,
      text: stage.text,
      platform: notedPlatform,
      stages: followed,
    };
  }
}
