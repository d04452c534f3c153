import { expect, it } from 'vitest';
import { everyContainer, hardeningOf, memoryOf, restartsOf, type Session } from './session';

/** The hardening as the kubelet enforces it, restarts and memory: for every container of every pod. */
export function hardeningAndLimits(target: Session): void {
  it('every container runs as non-root, on a read-only root, without capabilities', async () => {
    await target.step('hardening: non-root, read-only root, no capabilities', async () => {
      const containers = await everyContainer(target);
      const problems = (await Promise.all(containers.map((container) => hardeningOf(target, container)))).flat();
      expect(problems).toEqual([]);
      return { note: `${containers.length} containers` };
    });
  });

  it('no container restarted that a step did not restart', async () => {
    await target.step('no unexpected container restarts', async () => {
      expect(await restartsOf(target)).toEqual([]);
      return { note: `${(await everyContainer(target)).length} containers, 0 restarts` };
    });
  });

  it("every container's memory is below its limit (the kubelet's stats summary)", async () => {
    await target.step('memory below every limit', async () => {
      const { over, highest } = await memoryOf(target);
      expect(over).toEqual([]);
      return { note: `highest share: ${highest}` };
    });
  });
}

