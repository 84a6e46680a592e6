// A real three-node Vault cluster on loopback for end-to-end tests: the server binary the other tiers build
// (test/e2e/server/build.sh), integrated storage (raft) in a temporary folder per node, distinct api and cluster ports,
// `retry_join` to the other nodes, initialised and unsealed with Shamir keys that the test keeps, and every node with a
// plugin directory of its own (an absolute path without symlinks) holding the same plugin binaries.
//
// Nothing here imports vitest, so a plain Node process can run it too (the cleanup test does, then kills that process).
//
// Cleanup, whatever happens:
// - every node runs in a process group of its own (detached), so stopping a node by its pid also reaches the plugin
//   processes Vault started, which outlive a node killed with SIGKILL;
// - `stop()` stops every node by pid (SIGTERM, SIGKILL after a grace period, then the group) and removes the folder;
// - a `process.on('exit')` hook does the same synchronously if the test process ends without calling `stop()`;
// - a watchdog, a detached `sh` started with the cluster, waits for the test process to go away; if it goes without
//   `stop()` (the worker killed with SIGKILL, or a timeout that kills it), the watchdog kills every process that runs
//   from the cluster's folder (a Vault node whose command line names it, or a plugin whose executable lies in it) and
//   removes the folder;
// - `reapStaleClusters()`, run at every start, does the same for any cluster folder whose owner is gone (a watchdog
//   that was itself killed).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { run, type Run } from '../helpers/go.js';
import { freePort } from '../helpers/net.js';

/** Every cluster folder starts with this, so a later run can find what an earlier one left. */
export const CLUSTER_PREFIX = 'cvp-cluster-';
const OWNER_FILE = 'owner.pid';
const COMMAND_GROUPS = new Set(['plugin', 'secrets', 'auth', 'lease', 'token', 'policy', 'operator']);

export interface ClusterNode {
  /** n1, n2, n3: also the raft node_id. */
  id: string;
  addr: string;
  clusterAddr: string;
  dir: string;
  pluginDir: string;
  /** The pid of the running server, undefined while the node is stopped. */
  pid: number | undefined;
  log(): string;
}

export interface Cluster {
  work: string;
  nodes: ClusterNode[];
  /** The Shamir unseal keys from `operator init`, kept to unseal restarted nodes. */
  unsealKeys: string[];
  rootToken: string;
  /** A `vault` command line run as a user runs it in a shell, against `node` (VAULT_ADDR) with the root token. */
  sh(node: ClusterNode, command: string, env?: NodeJS.ProcessEnv): Run;
  /** `vault <args>` against `node`, failing with the tail of every node's log on a non-zero exit. */
  vault(node: ClusterNode, ...args: string[]): string;
  /** `vault <args> -format=json` against `node`, parsed. */
  json<T = Record<string, any>>(node: ClusterNode, ...args: string[]): T;
  /** Waits until exactly one running node is active and every running standby names it as leader. */
  waitForLeader(timeoutMs?: number): Promise<ClusterNode>;
  /** Waits until every running node is a raft voter (autopilot promotes joining nodes after stabilisation). */
  waitForVoters(timeoutMs?: number): Promise<void>;
  /** Stops one node by its pid with `signal` and waits for it to exit; returns its plugin processes left running. */
  stopNode(node: ClusterNode, signal: 'SIGTERM' | 'SIGKILL'): Promise<{ leftPlugins: number[] }>;
  /** Starts a stopped node again and unseals it with the kept keys. */
  startNode(node: ClusterNode): Promise<void>;
  /** Copies a file into every node's plugin directory (beside it, then renamed over, as an operator should). */
  installPlugin(binary: string): void;
  /** The plugin processes the node runs now: pid and executable path (inside its plugin directory). */
  pluginProcesses(node: ClusterNode): { pid: number; exe: string }[];
  /** Stops every node by pid, whatever state it is in, and removes the cluster's folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** The Vault server binary (test/e2e/server/build.sh prints its path). */
  binary: string;
  /** 3 unless told. */
  nodes?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process whose command line names `dir` or whose executable lies in it, except this one. */
export function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    try {
      text += ` ${readlinkSync(`/proc/${pid}/exe`)}`;
    } catch {
      // a process of another user, or gone
    }
    if (text.includes(dir)) found.push(pid);
  }
  return found;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
}

/**
 * Removes what earlier runs left: a cluster folder whose owner process is gone has every process running from it
 * killed, then is deleted. A folder without an owner file is left alone (another run may be creating it right now).
 */
export function reapStaleClusters(): { reaped: string[] } {
  const reaped: string[] = [];
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(CLUSTER_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8').trim());
    } catch {
      continue;
    }
    if (owner > 0 && alive(owner)) continue;
    for (const pid of processesUnder(realpathSync(dir))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return { reaped };
}

/**
 * The watchdog: a detached shell that outlives this process. While the owner lives it sleeps; once the owner is gone it
 * kills every process running from the cluster's folder and removes the folder. `stop()` kills it first.
 */
function startWatchdog(work: string, owner: number): ChildProcess {
  const script = [
    'owner=$1; work=$2',
    'while kill -0 "$owner" 2>/dev/null; do sleep 1; done',
    // Twice: a node killed in the first pass cannot start a plugin after it, but a plugin may be mid-start.
    'for pass in 1 2; do',
    '  for p in /proc/[0-9]*; do',
    '    pid=${p#/proc/}; [ "$pid" = "$$" ] && continue',
    '    what="$(tr "\\000" " " <"$p/cmdline" 2>/dev/null) $(readlink "$p/exe" 2>/dev/null)"',
    '    case "$what" in *"$work"*) kill -9 "$pid" 2>/dev/null ;; esac',
    '  done',
    '  sleep 1',
    'done',
    'rm -rf "$work"',
  ].join('\n');
  const child = spawn('sh', ['-c', script, 'cvp-cluster-watchdog', String(owner), work], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

function nodeConfig(node: ClusterNode, peers: ClusterNode[], apiPort: number, clusterPort: number): string {
  const joins = peers
    .filter((p) => p !== node)
    .map((p) => `  retry_join {\n    leader_api_addr = "${p.addr}"\n  }\n`)
    .join('');
  return `ui = false
disable_mlock = true
api_addr = "${node.addr}"
cluster_addr = "${node.clusterAddr}"
plugin_directory = "${node.pluginDir}"
log_level = "debug"

storage "raft" {
  path = "${join(node.dir, 'raft')}"
  node_id = "${node.id}"
  # Loopback: elect a new leader in about a second rather than five.
  performance_multiplier = 1
${joins}}

listener "tcp" {
  address = "127.0.0.1:${apiPort}"
  cluster_address = "127.0.0.1:${clusterPort}"
  tls_disable = true
}
`;
}

interface Health {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
}

async function health(addr: string): Promise<Health | undefined> {
  try {
    const response = await fetch(`${addr}/v1/sys/health`, { signal: AbortSignal.timeout(2_000) });
    return (await response.json()) as Health;
  } catch {
    return undefined;
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  reapStaleClusters();
  const count = options.nodes ?? 3;
  // realpath: the plugin directories must be symlink-free absolute paths, or registration is refused.
  const work = realpathSync(mkdtempSync(join(tmpdir(), CLUSTER_PREFIX)));
  writeFileSync(join(work, OWNER_FILE), `${process.pid}\n`);
  const watchdog = startWatchdog(work, process.pid);
  const pathDir = join(work, 'path');
  mkdirSync(pathDir);
  symlinkSync(options.binary, join(pathDir, 'vault'));

  const children = new Map<ClusterNode, ChildProcess>();
  const ports: [number, number][] = [];
  const nodes: ClusterNode[] = [];
  for (let i = 1; i <= count; i++) {
    const apiPort = await freePort();
    const clusterPort = await freePort();
    ports.push([apiPort, clusterPort]);
    const dir = join(work, `n${i}`);
    const node: ClusterNode = {
      id: `n${i}`,
      addr: `http://127.0.0.1:${apiPort}`,
      clusterAddr: `https://127.0.0.1:${clusterPort}`,
      dir,
      pluginDir: join(dir, 'plugins'),
      pid: undefined,
      log: () => (existsSync(join(dir, 'vault.log')) ? readFileSync(join(dir, 'vault.log'), 'utf8') : ''),
    };
    nodes.push(node);
  }
  nodes.forEach((node, i) => {
    mkdirSync(join(node.dir, 'raft'), { recursive: true });
    mkdirSync(node.pluginDir);
    writeFileSync(join(node.dir, 'vault.hcl'), nodeConfig(node, nodes, ports[i]![0], ports[i]![1]));
  });

  let stopped = false;
  const killAll = () => {
    for (const [node, child] of children) {
      if (child.pid) killGroup(child.pid);
      node.pid = undefined;
    }
    children.clear();
  };
  const onExit = () => {
    if (stopped) return;
    killAll();
    try {
      process.kill(watchdog.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const spawnNode = (node: ClusterNode) => {
    const out = openSync(join(node.dir, 'vault.log'), 'a');
    // detached: a process group of its own (pgid = pid), which its plugin processes join.
    const child = spawn(options.binary, ['server', `-config=${join(node.dir, 'vault.hcl')}`], {
      stdio: ['ignore', out, out],
      detached: true,
      env: { PATH: process.env.PATH, HOME: node.dir },
    });
    child.unref();
    children.set(node, child);
    node.pid = child.pid;
  };

  const env = (node: ClusterNode, token: string): NodeJS.ProcessEnv => ({
    PATH: `${pathDir}:${process.env.PATH}`,
    VAULT_ADDR: node.addr,
    VAULT_TOKEN: token,
    HOME: work,
  });
  const logs = () => nodes.map((n) => `--- ${n.id} (${n.addr}) log tail ---\n${n.log().slice(-2500)}`).join('\n');
  let rootToken = '';
  const sh = (node: ClusterNode, command: string, extra: NodeJS.ProcessEnv = {}) =>
    run('sh', ['-c', command], { env: { ...env(node, rootToken), ...extra }, cwd: work, timeout: 120_000 });
  const vault = (node: ClusterNode, ...args: string[]) => {
    const result = run('vault', args, { env: env(node, rootToken), cwd: work, timeout: 120_000 });
    if (result.code !== 0) throw new Error(`vault ${args.join(' ')} (on ${node.id}) exited ${result.code}:\n${result.stdout}${result.stderr}\n${logs()}`);
    return result.stdout;
  };
  const json = <T>(node: ClusterNode, ...args: string[]): T => {
    // `vault operator raft list-peers` has three command words; the flags go after all of them.
    const words = args[0] === 'operator' && args[1] === 'raft' ? 3 : COMMAND_GROUPS.has(args[0]!) ? 2 : 1;
    return JSON.parse(vault(node, ...args.slice(0, words), '-format=json', ...args.slice(words))) as T;
  };

  const waitFor = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const [node, child] of children) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${node.id} exited (${child.exitCode ?? child.signalCode}) while waiting for ${what}\n${logs()}`);
        }
      }
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs()}`);
      await sleep(250);
    }
  };

  const unseal = async (node: ClusterNode, keys: string[]) => {
    // A joining node first joins through retry_join, then takes the keys; until it has joined, unseal may fail.
    await waitFor(`${node.id} to unseal`, 60_000, async () => {
      const h = await health(node.addr);
      if (h && !h.sealed) return true;
      // A node that has not joined yet refuses the keys; retry_join tries again every few seconds.
      for (const key of keys) {
        const result = run('vault', ['operator', 'unseal', key], { env: env(node, ''), cwd: work, timeout: 30_000 });
        if (result.code !== 0) return undefined;
      }
      const after = await health(node.addr);
      return after && !after.sealed ? true : undefined;
    });
  };

  const running = () => nodes.filter((n) => n.pid !== undefined);

  const cluster: Cluster = {
    work,
    nodes,
    unsealKeys: [],
    get rootToken() {
      return rootToken;
    },
    sh,
    vault,
    json,
    async waitForLeader(timeoutMs = 60_000) {
      return waitFor('a single active node', timeoutMs, async () => {
        const states = await Promise.all(running().map(async (n) => ({ n, h: await health(n.addr) })));
        const active = states.filter((s) => s.h && !s.h.sealed && !s.h.standby);
        if (active.length !== 1 || states.some((s) => !s.h || s.h.sealed)) return undefined;
        const leader = active[0]!.n;
        for (const { n } of states) {
          try {
            const response = await fetch(`${n.addr}/v1/sys/leader`, { signal: AbortSignal.timeout(2_000) });
            const body = (await response.json()) as { leader_address?: string };
            if (body.leader_address !== leader.addr) return undefined;
          } catch {
            return undefined;
          }
        }
        return leader;
      });
    },
    async waitForVoters(timeoutMs = 60_000) {
      await waitFor('every node to be a raft voter', timeoutMs, async () => {
        const leader = await cluster.waitForLeader();
        const result = run('vault', ['operator', 'raft', 'list-peers', '-format=json'], { env: env(leader, rootToken), cwd: work, timeout: 30_000 });
        if (result.code !== 0) return undefined;
        const servers = (JSON.parse(result.stdout) as { data: { config: { servers: { node_id: string; voter: boolean }[] } } }).data.config.servers;
        return servers.length === nodes.length && servers.every((s) => s.voter) ? true : undefined;
      });
    },
    async stopNode(node, signal) {
      const child = children.get(node);
      if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`${node.id} is not running`);
      const pid = child.pid!;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      // What the node left running in its group: plugin processes outlive a server killed outright.
      await sleep(200);
      const leftPlugins = processesUnder(node.pluginDir);
      killGroup(pid);
      for (const p of leftPlugins) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      children.delete(node);
      node.pid = undefined;
      return { leftPlugins };
    },
    async startNode(node) {
      if (node.pid !== undefined) throw new Error(`${node.id} is running`);
      spawnNode(node);
      await waitFor(`${node.id} to listen`, 60_000, async () => ((await health(node.addr)) ? true : undefined));
      await unseal(node, cluster.unsealKeys.slice(0, 2));
    },
    installPlugin(binary) {
      for (const node of nodes) {
        const target = join(node.pluginDir, basename(binary));
        copyFileSync(binary, `${target}.new`);
        renameSync(`${target}.new`, target);
      }
    },
    pluginProcesses(node) {
      return processesUnder(node.pluginDir).map((pid) => {
        let exe = '';
        try {
          exe = readlinkSync(`/proc/${pid}/exe`);
        } catch {
          // gone
        }
        return { pid, exe };
      });
    },
    async stop() {
      if (stopped) return;
      // Politely first, so Vault stops its plugins; then every group, whatever is left.
      const exits = [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      );
      await Promise.race([Promise.all(exits), sleep(15_000)]);
      killAll();
      for (const pid of processesUnder(work)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      try {
        process.kill(watchdog.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      stopped = true;
      process.off('exit', onExit);
      rmSync(work, { recursive: true, force: true });
    },
  };

  try {
    for (const node of nodes) spawnNode(node);
    const first = nodes[0]!;
    await waitFor(`${first.id} to listen`, 60_000, async () => ((await health(first.addr)) ? true : undefined));
    const init = JSON.parse(
      run('vault', ['operator', 'init', '-key-shares=3', '-key-threshold=2', '-format=json'], { env: env(first, ''), cwd: work, timeout: 60_000 }).stdout || '{}',
    ) as { unseal_keys_b64?: string[]; root_token?: string };
    if (!init.unseal_keys_b64 || !init.root_token) throw new Error(`operator init failed\n${logs()}`);
    cluster.unsealKeys.push(...init.unseal_keys_b64);
    rootToken = init.root_token;
    const keys = init.unseal_keys_b64.slice(0, 2);
    await unseal(first, keys);
    await waitFor(`${first.id} to become active`, 60_000, async () => {
      const h = await health(first.addr);
      return h && !h.sealed && !h.standby ? true : undefined;
    });
    for (const node of nodes.slice(1)) await unseal(node, keys);
    await cluster.waitForLeader();
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
