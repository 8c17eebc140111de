// The agent's state in memory, mirrored to the state file after every change. Writes are chained so they land
// in order; a failed write is logged and does not stop the agent (the next change writes the whole state again).
import type { Logger } from './logger.js';
import { type AgentError, type AgentState, MAX_ERRORS, writeState } from './state-file.js';

export class StateKeeper {
  private current: AgentState;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    initial: AgentState,
    private readonly log: Logger,
  ) {
    this.current = initial;
  }

  get state(): AgentState {
    return this.current;
  }

  update(patch: Partial<Omit<AgentState, 'version'>>): Promise<void> {
    this.current = { ...this.current, ...patch, updatedAt: new Date().toISOString() };
    const snapshot = this.current;
    this.chain = this.chain.then(() =>
      writeState(this.path, snapshot).catch((e: unknown) =>
        this.log.log('warn', 'state.write-failed', `cannot write the state file ${this.path}`, {
          error: (e as Error).message,
        }),
      ),
    );
    return this.chain;
  }

  addError(e: AgentError): Promise<void> {
    return this.update({ lastErrors: [...this.current.lastErrors, e].slice(-MAX_ERRORS) });
  }

  flush(): Promise<void> {
    return this.chain;
  }
}
