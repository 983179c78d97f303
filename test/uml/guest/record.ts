/** What one guest scenario reports back to the host test (results.json). */
export interface ScenarioResult {
  readonly name: string;
  readonly ok: boolean;
  readonly details: Record<string, unknown>;
  readonly ms: number;
  readonly error?: string;
}

export interface Recorder {
  /** runs fn, recording ok/error; `details` is filled by fn and kept either way */
  scenario(name: string, fn: (details: Record<string, unknown>) => Promise<void>): Promise<void>;
}
