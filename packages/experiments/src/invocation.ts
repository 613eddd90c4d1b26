import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Which nx command started this process. Nx gives every project that has a target to
 * `nx run-many -t <target>`, with the same options and environment as `nx run <project>:<target>`, and
 * has no setting that keeps a project out of run-many; so the one place where "asked for by name" and
 * "swept up by run-many" differ is the nx command line itself. This reads it from the nearest nx process
 * among our ancestors (/proc on Linux, `ps` elsewhere).
 */
export type Invocation =
  /** `nx run p:t`, `nx p:t`, `nx t p`, or run-many with p among its --projects. */
  | { kind: 'explicit'; args: string[] }
  /** run-many / affected over projects not naming p. */
  | { kind: 'many'; args: string[] }
  /** No nx process above us (the script was started by hand) or the process table is unreadable. */
  | { kind: 'unknown' };

/**
 * True for an argv entry that is the nx CLI's entry script (`…/nx/dist/bin/nx.js`, `…/nx/bin/nx.js`, `…/.bin/nx`,
 * `nx`).
 */
export function isNxEntry(arg: string): boolean {
  return (
    /(^|[/\\])nx[/\\](dist[/\\])?bin[/\\]nx(\.js)?$/.test(arg) ||
    /(^|[/\\])\.bin[/\\]nx(\.cmd)?$/.test(arg) ||
    arg === 'nx'
  );
}

/** `*` globs of nx's --projects (tags and directories are not resolved: they count as not naming p). */
function matches(pattern: string, project: string): boolean {
  const negated = pattern.startsWith('!');
  if (negated) return false;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(project);
}

/** The values of nx's projects option in `args` (-p a,b · --projects=a,b · --projects a b). */
export function projectsOption(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = /^(?:--projects|-p)=(.*)$/.exec(a);
    if (eq) out.push(...eq[1].split(','));
    else if (a === '-p' || a === '--projects') {
      for (let j = i + 1; j < args.length && !args[j].startsWith('-'); j++) out.push(...args[j].split(','));
    }
  }
  return out.map((s) => s.trim()).filter(Boolean);
}

/** Classifies the arguments of an nx command line (everything after the nx entry) for `project:target`. */
export function classifyNxArgs(args: string[], project: string): 'explicit' | 'many' {
  const command = args.find((a) => !a.startsWith('-'));
  if (command === 'run-many' || command === 'affected') {
    return projectsOption(args).some((p) => matches(p, project)) ? 'explicit' : 'many';
  }
  // `nx run p:t`, `nx p:t[:configuration]`, `nx t p`: one task asked for by name
  return 'explicit';
}

interface ProcessInfo {
  ppid: number;
  argv: string[];
}

function readProcess(pid: number): ProcessInfo | null {
  try {
    if (existsSync(`/proc/${pid}/stat`)) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((s, i, all) => s !== '' || i < all.length - 1);
      return { ppid, argv };
    }
    const line = execFileSync('ps', ['-o', 'ppid=', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const m = /^(\d+)\s+(.*)$/.exec(line);
    return m ? { ppid: Number(m[1]), argv: m[2].split(/\s+/) } : null;
  } catch {
    return null;
  }
}

/** Walks up from `pid` to the first nx CLI process and classifies its command line. */
export function detectInvocation(
  project: string,
  pid = process.ppid,
  read: (pid: number) => ProcessInfo | null = readProcess,
): Invocation {
  for (let depth = 0; pid > 1 && depth < 32; depth++) {
    const info = read(pid);
    if (!info) return { kind: 'unknown' };
    const entry = info.argv.findIndex(isNxEntry);
    if (entry >= 0) {
      const args = info.argv.slice(entry + 1);
      return { kind: classifyNxArgs(args, project), args };
    }
    pid = info.ppid;
  }
  return { kind: 'unknown' };
}
