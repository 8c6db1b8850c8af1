/** Types of scripted-model.mjs (a scripted OpenAI-compatible model server for tests and benches). */
export interface ScriptedRequest {
  model: string;
  at: number;
  lastUser: string;
  lastRole?: string;
  tools: string[];
  failed: boolean;
  authorization: boolean;
  decision?: unknown;
}
export interface ScriptedModel {
  port: number;
  requests: ScriptedRequest[];
  setFailing(models: string[]): void;
  close(): Promise<void>;
}
export function startScriptedModel(opts?: { port?: number; host?: string; failing?: string[] }): Promise<ScriptedModel>;
export function decide(body: unknown): { text?: string; tool?: { name: string; args: unknown } };
export function turnText(messages: unknown[]): string;
