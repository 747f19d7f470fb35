/**
 * A pool of hosts serving the same models (a provider entry with several `base_url`s). Each
 * call goes to the healthy host with the fewest calls in flight; a host that cannot be reached
 * is marked down for a cooldown and the call fails over to the next one. Only "unavailable"
 * fails over: any other error is the model's or the request's and would repeat elsewhere.
 */
import { ProviderError } from "../errors.js";
import type {
  Capacity,
  GenerateRequest,
  GenerateResult,
  HealthStatus,
  ModelInfo,
  Provider,
  ProviderType,
  StreamPart,
} from "./spec.js";

export const defaultCooldownMs = 30_000;

export interface PoolHost {
  url: string;
  provider: Provider;
}

export interface PoolOptions {
  cooldownMs?: number;
  now?: () => number;
}

export interface PoolMemberState {
  url: string;
  inFlight: number;
  /** Calls handed to this host so far (tie-breaker that spreads sequential calls). */
  served: number;
  /** Epoch ms until which the host is skipped; 0 when up. */
  downUntil: number;
  lastError: string | undefined;
}

export interface HostHealth {
  url: string;
  status: HealthStatus;
  inFlight: number;
  down: boolean;
}

interface Member extends PoolMemberState {
  provider: Provider;
}

export class ProviderPool implements Provider {
  readonly local: boolean;
  /** Present when every host offers it (Anthropic). */
  readonly countTokens?: (request: GenerateRequest) => Promise<number>;
  private readonly members: Member[];
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    readonly type: ProviderType,
    hosts: PoolHost[],
    options: PoolOptions = {},
  ) {
    if (hosts.length === 0) throw new Error("a provider pool needs at least one host");
    this.members = hosts.map((host) => ({
      ...host,
      inFlight: 0,
      served: 0,
      downUntil: 0,
      lastError: undefined,
    }));
    this.local = hosts.every((host) => host.provider.local);
    this.cooldownMs = options.cooldownMs ?? defaultCooldownMs;
    this.now = options.now ?? Date.now;
    if (hosts.every((host) => host.provider.countTokens)) {
      this.countTokens = (request) =>
        this.withFailover(
          (provider) => (provider.countTokens ? provider.countTokens(request) : Promise.resolve(0)),
          false,
        );
    }
  }

  /** A snapshot of each host's load and state. */
  state(): PoolMemberState[] {
    return this.members.map(({ provider: _provider, ...state }) => ({ ...state }));
  }

  /** Healthy hosts by load (in flight, then calls served), then hosts in cooldown as a last resort. */
  private order(): Member[] {
    const now = this.now();
    const up = this.members.filter((member) => member.downUntil <= now);
    const down = this.members.filter((member) => member.downUntil > now);
    up.sort((a, b) => a.inFlight - b.inFlight || a.served - b.served);
    down.sort((a, b) => a.downUntil - b.downUntil);
    return [...up, ...down];
  }

  private markDown(member: Member, error: ProviderError): void {
    member.downUntil = this.now() + this.cooldownMs;
    member.lastError = error.message;
  }

  private markUp(member: Member): void {
    member.downUntil = 0;
    member.lastError = undefined;
  }

  private allDown(lastError: ProviderError | undefined): ProviderError {
    const urls = this.members.map((member) => member.url).join(", ");
    return new ProviderError("unavailable", `${this.name}: no host of the pool can be reached (${urls})`, {
      provider: this.name,
      hint: lastError?.hint ?? "start the servers, or remove the unreachable hosts from base_url",
      cause: lastError,
    });
  }

  /** Runs `operation` on hosts in order until one does not fail with "unavailable". */
  private async withFailover<T>(
    operation: (provider: Provider) => Promise<T>,
    countLoad: boolean,
  ): Promise<T> {
    let lastError: ProviderError | undefined;
    for (const member of this.order()) {
      if (countLoad) {
        member.inFlight += 1;
        member.served += 1;
      }
      try {
        const result = await operation(member.provider);
        this.markUp(member);
        return result;
      } catch (error) {
        if (!(error instanceof ProviderError) || error.kind !== "unavailable") throw error;
        this.markDown(member, error);
        lastError = error;
      } finally {
        if (countLoad) member.inFlight -= 1;
      }
    }
    throw this.allDown(lastError);
  }

  generate(request: GenerateRequest): Promise<GenerateResult> {
    return this.withFailover((provider) => provider.generate(request), true);
  }

  /** Fails over only before the first part: once text has streamed, a retry elsewhere would duplicate it. */
  async *stream(request: GenerateRequest): AsyncGenerator<StreamPart> {
    let lastError: ProviderError | undefined;
    for (const member of this.order()) {
      member.inFlight += 1;
      member.served += 1;
      let started = false;
      try {
        for await (const part of member.provider.stream(request)) {
          started = true;
          yield part;
        }
        this.markUp(member);
        return;
      } catch (error) {
        if (started || !(error instanceof ProviderError) || error.kind !== "unavailable") throw error;
        this.markDown(member, error);
        lastError = error;
      } finally {
        member.inFlight -= 1;
      }
    }
    throw this.allDown(lastError);
  }

  listModels(options: { signal?: AbortSignal } = {}): Promise<ModelInfo[]> {
    return this.withFailover((provider) => provider.listModels(options), false);
  }

  capacity(model: string, options: { signal?: AbortSignal } = {}): Promise<Capacity> {
    return this.withFailover((provider) => {
      if (!provider.capacity) return Promise.resolve({ model });
      return provider.capacity(model, options);
    }, false);
  }

  /** Health of every host (in parallel); also refreshes which hosts are down. */
  async hostHealth(options: { signal?: AbortSignal } = {}): Promise<HostHealth[]> {
    return Promise.all(
      this.members.map(async (member) => {
        const status = await member.provider.health(options);
        if (status.ok) this.markUp(member);
        else if (!status.reachable) {
          member.downUntil = this.now() + this.cooldownMs;
          member.lastError = status.message;
        }
        return { url: member.url, status, inFlight: member.inFlight, down: member.downUntil > this.now() };
      }),
    );
  }

  /** Healthy when at least one host is; the message lists every host. */
  async health(options: { signal?: AbortSignal } = {}): Promise<HealthStatus> {
    const hosts = await this.hostHealth(options);
    const up = hosts.filter((host) => host.status.ok);
    const lines = hosts.map((host) => `${host.url}: ${host.status.ok ? "ok" : host.status.message}`);
    const firstUp = up[0]?.status;
    const firstDown = hosts.find((host) => !host.status.ok)?.status;
    const authFailed = hosts.some((host) => host.status.authenticated === false);
    return {
      ok: up.length > 0,
      reachable: hosts.some((host) => host.status.reachable),
      ...(authFailed && up.length === 0 ? { authenticated: false } : {}),
      message: `${up.length}/${hosts.length} hosts up — ${lines.join("; ")}`,
      ...(up.length < hosts.length && firstDown?.hint ? { hint: firstDown.hint } : {}),
      ...(firstUp?.version ? { version: firstUp.version } : {}),
    };
  }
}
