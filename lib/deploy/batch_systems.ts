/**
 * Every batch system by its `-T` name.
 *
 * @module
 */

import type { BatchSystem } from "./batch_system.ts";
import { condor } from "./condor.ts";
import { pbs, torque } from "./pbs.ts";
import { sge } from "./sge.ts";
import { slurm } from "./slurm.ts";

/** The batch systems `-T` accepts besides `local`. */
export const BATCH_SYSTEMS: Record<string, BatchSystem> = { slurm, sge, condor, pbs, torque };
