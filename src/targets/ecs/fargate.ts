/**
 * Fargate task sizes. Fargate accepts only fixed CPU/memory pairs (AWS docs: Amazon ECS Developer
 * Guide, "Task CPU and memory", Linux platform 1.4.0); a spec's `resources` (cores, compose memory
 * size) is rounded up to the smallest pair that holds both.
 */

/** CPU units (1024 = 1 vCPU) → allowed memory in MiB: from, to, step. */
export const FARGATE_SIZES: ReadonlyArray<{ cpu: number; min: number; max: number; step: number }> = [
  { cpu: 256, min: 512, max: 2048, step: 512 },
  { cpu: 512, min: 1024, max: 4096, step: 1024 },
  { cpu: 1024, min: 2048, max: 8192, step: 1024 },
  { cpu: 2048, min: 4096, max: 16384, step: 1024 },
  { cpu: 4096, min: 8192, max: 30720, step: 1024 },
  { cpu: 8192, min: 16384, max: 61440, step: 4096 },
  { cpu: 16384, min: 32768, max: 122880, step: 8192 },
];

/** The 256 MiB step of 512 MiB sizes at 0.25 vCPU is 512, 1024, 2048 only (no 1536). */
function memoriesOf(size: (typeof FARGATE_SIZES)[number]): number[] {
  if (size.cpu === 256) return [512, 1024, 2048];
  const out: number[] = [];
  for (let m = size.min; m <= size.max; m += size.step) out.push(m);
  return out;
}

/** Every valid Fargate pair, smallest first (CPU, then memory). */
export function fargatePairs(): Array<{ cpu: number; memoryMiB: number }> {
  return FARGATE_SIZES.flatMap((s) => memoriesOf(s).map((memoryMiB) => ({ cpu: s.cpu, memoryMiB })));
}

/** `2g` → 2048, `1536m` → 1536 (the spec's memory syntax, validated by the schema), rounded up. */
export function memoryMiB(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(size);
  if (!m) throw new Error(`not a memory size: ${size}`);
  const factor = { k: 1 / 1024, m: 1, g: 1024 }[m[2]!.toLowerCase() as "k" | "m" | "g"];
  return Math.ceil(Number(m[1]) * factor);
}

/**
 * The smallest Fargate pair with at least `cpus` cores and `memory`, or undefined when none is
 * that large (more than 16 vCPU or 120 GiB).
 */
export function fargateSize(cpus: number, memory: string): { cpu: number; memoryMiB: number } | undefined {
  const wantCpu = Math.ceil(cpus * 1024);
  const wantMem = memoryMiB(memory);
  return fargatePairs().find((p) => p.cpu >= wantCpu && p.memoryMiB >= wantMem);
}
